#!/usr/bin/env bash
# How long until the guest runs: jvmm's start-up against the JVM's own, side by side in one run.
#
#   scripts/measure/startup.sh [ROUNDS]      (default 5)
#
# Times, interleaved round by round so that drift on a shared machine hits all alike, and prints
# the median (min-max) of each, in ms:
#   java -version          the JDK ./jvmm runs on, started the same way (the baseline)
#   launcher               ./jvmm alone: JDK discovery, staleness check, AOT cache check
#                          (JVMM_LAUNCHER_DRY_RUN=1: it prints the java command instead of running it)
#   jvmm --version         ./jvmm --version, whole
#   run: main              ./jvmm run of guests/bin/hello.bin: when main() began,
#   run: cli               when its command line's model was built (picocli),
#   run: first KVM_RUN     when its vCPU was about to enter the guest,
#   run: guest stop        when the guest's debug exit stopped it (all three reported by jvmm
#                          itself, JVMM_STARTUP_REPORT=1, from the launcher's start),
#   run: whole             and the whole command, as the shell sees it, from a run of its own
#                          without the report (whose reading of /proc and formatting is not the user's)
#   run, no AOT: whole     the same without the AOT cache (JVMM_AOT=0)
#   run, default JVM: whole  the same with the JVM's default options instead of the launcher's lean
#                          ones (JVMM_LEAN=0; with its own AOT cache)
#   run, C2: whole         the lean options with C2 back on (JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4,
#                          with its own AOT cache): what the lean set's C1-only JIT saves
# then the ratio of `run: whole` to `java -version`, which docs/performance.md budgets.
# Needs /dev/kvm: without it, the script re-runs itself inside scripts/env/nested-kvm.sh (one boot
# for every run; the JVM there is emulated by QEMU TCG, `java -version` included).
# Take /tmp/jvmm-heavy.lock around it on a shared machine.
set -euo pipefail
rounds="${1:-5}"
root="$(cd "$(dirname "$0")/../.." && pwd -P)"
cd "$root"
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
hello="$root/guests/bin/hello.bin"
if [ -z "${JVMM_IN_NESTED:-}" ]; then
  ./jvmm --version >/dev/null   # builds (and trains the AOT cache) here, not in the slow nested guest
  if [ ! -e /dev/kvm ]; then
    echo "startup: no /dev/kvm here: running inside scripts/env/nested-kvm.sh" >&2
    exec scripts/env/nested-kvm.sh --timeout 3600 --idle-timeout 900 -- env JVMM_IN_NESTED=1 "$0" "$rounds"
  fi
fi
where="host KVM"
[ -n "${JVMM_IN_NESTED:-}" ] && where="nested KVM (QEMU TCG, 1 vCPU)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
record() { echo "$2" >>"$work/$1"; }

# The guest's EXIT_OK through the debug exit is status 1 ((0 << 1) | 1).
hello_run() { # ENV...: one ./jvmm run of hello into $work/out and $work/err; fails the script unless EXIT_OK
  local rc=0
  env "$@" ./jvmm run --payload "$hello" >"$work/out" 2>"$work/err" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q "Hello from a jvmm guest" "$work/out"; then
    cat "$work/out" "$work/err" >&2
    echo "startup: ./jvmm run of hello exited with $rc, not the guest's EXIT_OK (1)" >&2
    exit 1
  fi
}

# KIND ENV...: two runs of hello: one with jvmm's report for its instants, then one as a user runs it
# for the whole time (the report's own work, reading smaps and formatting, is not the user's).
run_hello() {
  local kind="$1" t0 t1 line
  shift
  hello_run "$@" JVMM_STARTUP_REPORT=1
  line=$(grep '^jvmm-startup:' "$work/err" || true)
  for key in main cli first_run stop; do
    v=$(sed -n "s/.* ${key}_ms=\([0-9.]*\).*/\1/p" <<<"$line")
    [ -n "$v" ] && record "$kind: $key" "$v"
  done
  t0=$EPOCHREALTIME
  hello_run "$@"
  t1=$EPOCHREALTIME
  record "$kind: whole" "$(ms "$t0" "$t1")"
}

# Warm-up: file cache, and the AOT cache trained where this runs (with KVM, once).
./jvmm run --payload "$hello" >/dev/null 2>&1 || true
JVMM_LEAN=0 ./jvmm run --payload "$hello" >/dev/null 2>&1 || true
JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4 ./jvmm run --payload "$hello" >/dev/null 2>&1 || true
"$JAVA_HOME/bin/java" -version 2>/dev/null

for r in $(seq 1 "$rounds"); do
  t0=$EPOCHREALTIME; "$JAVA_HOME/bin/java" -version 2>/dev/null; t1=$EPOCHREALTIME
  record "java -version" "$(ms "$t0" "$t1")"
  t0=$EPOCHREALTIME; JVMM_LAUNCHER_DRY_RUN=1 ./jvmm run --payload "$hello" >/dev/null; t1=$EPOCHREALTIME
  record "launcher" "$(ms "$t0" "$t1")"
  t0=$EPOCHREALTIME; ./jvmm --version >/dev/null; t1=$EPOCHREALTIME
  record "jvmm --version" "$(ms "$t0" "$t1")"
  run_hello "run"
  run_hello "run, no AOT" JVMM_AOT=0
  run_hello "run, default JVM" JVMM_LEAN=0
  run_hello "run, C2" JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4
  echo "startup: round $r of $rounds done" >&2
done

stat() { # FILE: median (min-max)
  sort -n "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%9.1f  (%.1f-%.1f)", m, v[1], v[NR] }'
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "startup: $rounds rounds on $where, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)${JVMM_JAVA_OPTIONS:+, JVMM_JAVA_OPTIONS=$JVMM_JAVA_OPTIONS}; ms, median (min-max)"
for kind in "java -version" "launcher" "jvmm --version" "run: main" "run: cli" "run: first_run" "run: stop" \
            "run: whole" "run, no AOT: main" "run, no AOT: cli" "run, no AOT: first_run" "run, no AOT: stop" \
            "run, no AOT: whole" "run, default JVM: first_run" "run, default JVM: whole" \
            "run, C2: first_run" "run, C2: whole"; do
  [ -s "$work/$kind" ] || continue
  label="${kind/first_run/first KVM_RUN}"
  label="${label/: stop/: guest stop}"
  printf '  %-28s %s\n' "$label" "$(stat "$work/$kind")"
done
awk -v run="$(median "$work/run: whole")" -v java="$(median "$work/java -version")" \
  'BEGIN { printf "  %-28s %9.2f  (target: 2 or less)\n", "run: whole / java -version", run / java }'
