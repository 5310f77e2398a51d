#!/usr/bin/env bash
# What `jvmm run --jfr` costs: the same guest and workload run without JFR, with --jfr at its default
# threshold and with --jfr-threshold 0 (every exit recorded), ROUNDS times each, interleaved (plain, default,
# all, plain, ...) so that drift on a shared machine hits the three alike; prints the median of each and,
# after it, every run's value in the order the runs were made.
#
#   scripts/measure/jfr-overhead.sh [ROUNDS] [BYTES]      (defaults: 3 rounds, 8192 bytes)
#
# Workload: guests/bin/uart-poll.bin writing BYTES bytes to the polled 8250 (two port-I/O exits per byte,
# about 2*BYTES exits in all), serial output to /dev/null, with --exit-stats. Each run is a fresh JVM
# through ./jvmm, so JFR's start-up is in every --jfr figure, as it is for a user.
# Columns: the whole command's wall time (JVM start to exit), the guest's run time from the exit report,
# the exits that reached jvmm, the average time jvmm took to handle one (the exit report's IO row), and
# the exit events in the recording (jfr summary).
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

# one KIND ROUND: runs the guest, appends "wall_ms guest_ms user_exits avg_exit_us events" to $work/KIND
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
  local guest exits avg events=0
  guest=$(sed -n 's/.*wall time \([0-9.]*\) s.*/\1/p' "$log" | head -1)
  exits=$(awk '$1 == "Total" { print $2; exit }' "$log")
  avg=$(awk '$1 == "IO" && $6 ~ /us$/ { sub(/us$/, "", $6); printf "%d", $6 + 0.5; exit }' "$log")
  if [ -f "$rec" ]; then
    events=$("$JAVA_HOME/bin/jfr" summary "$rec" | awk '$1 ~ /^org\.jvmm\.(Pio|Mmio|Other)Exit$/ { n += $2 } END { print n + 0 }')
  fi
  echo "$(( (t1 - t0) / 1000000 )) $(awk -v g="$guest" 'BEGIN { printf "%d", g * 1000 }') $exits ${avg:-?} $events" >>"$work/$kind"
  echo "jfr-overhead: round $round $kind: $(tail -1 "$work/$kind")" >&2
}

for r in $(seq 1 "$rounds"); do
  for kind in plain default all; do one "$kind" "$r"; done
done

# median of column COL of file F
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# "MEDIAN (RUN1, RUN2, ...)": column COL of file F, runs in the order they were made
cell() { echo "$(median "$1" "$2") ($(awk -v c="$2" '{ printf "%s%s", (NR > 1 ? ", " : ""), $c }' "$1"))"; }
echo "uart-poll, $bytes bytes, $rounds runs each; each cell: the median (every run, in order)"
echo "wall ms: whole command; guest ms: the guest's run from the exit report; avg exit us: the exit report's IO row"
printf '| %s | %s | %s | %s | %s | %s |\n' run "wall ms" "guest ms" "user exits" "avg exit us" "JFR exit events"
printf '|%s|%s|%s|%s|%s|%s|\n' --- --- --- --- --- ---
for kind in plain default all; do
  case "$kind" in
    plain) label="no JFR" ;;
    default) label="\`--jfr\` (default 100us)" ;;
    all) label="\`--jfr --jfr-threshold 0\`" ;;
  esac
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(cell "$work/$kind" 1)" "$(cell "$work/$kind" 2)" \
    "$(cell "$work/$kind" 3)" "$(cell "$work/$kind" 4)" "$(cell "$work/$kind" 5)"
done
