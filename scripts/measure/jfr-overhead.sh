#!/usr/bin/env bash
# What `jvmm run --jfr` costs: the same guest and workload run without JFR, with --jfr at its default
# threshold and with --jfr-threshold 0 (every exit recorded), ROUNDS times each, interleaved (plain, default,
# all, plain, ...) so that drift on a shared machine hits the three alike; prints the median of each.
#
#   scripts/measure/jfr-overhead.sh [ROUNDS] [BYTES]      (defaults: 3 rounds, 8192 bytes)
#
# Workload: guests/bin/uart-poll.bin writing BYTES bytes to the polled 8250 (two port-I/O exits per byte,
# about 2*BYTES exits in all), serial output to /dev/null, with --exit-stats. Each run is a fresh JVM
# through ./jvmm, so JFR's start-up is in every --jfr figure, as it is for a user.
# Columns: the whole command's wall time (JVM start to exit), the guest's run time from the exit report,
# the exits that reached jvmm, and the exit events in the recording (jfr summary).
# Needs /dev/kvm; without it the script re-runs itself inside scripts/env/nested-kvm.sh (one boot for all runs).
set -euo pipefail
rounds="${1:-3}"
bytes="${2:-8192}"
root="$(cd "$(dirname "$0")/../.." && pwd -P)"
. "$root/scripts/env/find-jdk.sh"
jvmm_find_jdk >/dev/null || exit 1
# Build on the host first: inside nested KVM Maven has no network.
"$root/jvmm" --version >/dev/null
if [ ! -e /dev/kvm ] && [ -z "${JVMM_IN_NESTED:-}" ]; then
  echo "jfr-overhead: no /dev/kvm on this host: running inside nested KVM (scripts/env/nested-kvm.sh)" >&2
  exec "$root/scripts/env/nested-kvm.sh" --timeout 1800 --idle-timeout 600 -- \
    env JVMM_IN_NESTED=1 "$root/scripts/measure/jfr-overhead.sh" "$rounds" "$bytes"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# one KIND ROUND: runs the guest, appends "wall_ms guest_ms user_exits events" to $work/KIND
one() {
  local kind="$1" round="$2" jfr=() log="$work/$1.$2.log" rec="$work/$1.$2.jfr"
  case "$kind" in
    plain) ;;
    default) jfr=(--jfr "$rec") ;;
    all) jfr=(--jfr "$rec" --jfr-threshold 0) ;;
  esac
  local t0 t1
  t0=$(date +%s%N)
  local rc=0
  JVMM_IN_NESTED=1 "$root/jvmm" run --payload "$root/guests/bin/uart-poll.bin" --arg "0=$bytes" \
    --serial out=/dev/null --exit-stats "${jfr[@]}" >"$log" 2>&1 || rc=$?
  t1=$(date +%s%N)
  # jvmm exits with the guest's debug-exit status, (code << 1) | 1: 1 is the guest's EXIT_OK.
  [ "$rc" = 1 ] || { cat "$log" >&2; echo "jfr-overhead: $kind run $round: exit status $rc, not 1" >&2; exit 1; }
  local guest exits events=0
  guest=$(sed -n 's/.*wall time \([0-9.]*\) s.*/\1/p' "$log" | head -1)
  exits=$(awk '$1 == "Total" { print $2; exit }' "$log")
  if [ -f "$rec" ]; then
    events=$("$JAVA_HOME/bin/jfr" summary "$rec" | awk '$1 ~ /^org\.jvmm\.(Pio|Mmio|Other)Exit$/ { n += $2 } END { print n + 0 }')
  fi
  echo "$(( (t1 - t0) / 1000000 )) $(awk -v g="$guest" 'BEGIN { printf "%d", g * 1000 }') $exits $events" >>"$work/$kind"
  echo "jfr-overhead: round $round $kind: $(tail -1 "$work/$kind")" >&2
}

for r in $(seq 1 "$rounds"); do
  for kind in plain default all; do one "$kind" "$r"; done
done

# median of column COL of file F
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "uart-poll, $bytes bytes, median of $rounds runs each (wall ms: whole command; guest ms: from the exit report)"
printf '| %-28s | %8s | %8s | %10s | %10s |\n' run "wall ms" "guest ms" "user exits" "JFR events"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------ ---------- ---------- ------------ ------------
for kind in plain default all; do
  case "$kind" in
    plain) label="no JFR" ;;
    default) label="--jfr (default 100us)" ;;
    all) label="--jfr --jfr-threshold 0" ;;
  esac
  printf '| %-28s | %8s | %8s | %10s | %10s |\n' "$label" "$(median "$work/$kind" 1)" "$(median "$work/$kind" 2)" \
    "$(median "$work/$kind" 3)" "$(median "$work/$kind" 4)"
done
