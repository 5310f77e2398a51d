#!/usr/bin/env bash
# Runs the vmm-bench suite and writes target/bench/results.json (JMH JSON, with -prof gc) and
# target/bench/results.md (score, error, units, B/op, ratio to the baseline per row).
#   vmm-bench/run.sh                short profile (-f 1 -wi 2 -w 1s -i 3 -r 1s; in nested KVM
#                                   -f 1 -wi 5 -w 2s -i 3 -r 2s)
#   vmm-bench/run.sh --full         each class's own annotations (3-5 warmups, 5 measurements)
#   vmm-bench/run.sh -- ARGS        extra JMH options; a benchmark regex among them replaces the
#                                   default selection, e.g. -- DispatchBenchmark -p stats=true
#   vmm-bench/run.sh --nested ...   run everything (or the given selection) inside nested KVM
# The KVM classes (KvmRoundTrip, KvmLifecycle) need /dev/kvm. Without it, the other classes run
# here and the KVM ones inside nested KVM (scripts/env/nested-kvm.sh: QEMU TCG, so their absolute
# numbers say little about a hardware host); JVMM_NO_NESTED=1 skips them instead.
# Builds the jar first unless it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
JAVA="$JAVA_HOME/bin/java"

full=()
nested=0
kvm_part=""
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=(--full); shift ;;
    --nested) nested=1; shift ;;
    --kvm-part) kvm_part="$2"; shift 2 ;; # internal: round-trip or lifecycle, what a nested run does
    --) shift; break ;;
    *) break ;;
  esac
done
profile=(-f 1 -wi 2 -w 1s -i 3 -r 1s)
# Under QEMU TCG the JIT needs about 6 s to reach steady state on the KVM loops (measured), and
# every fork starts slowly: longer warmup, fewer and longer iterations.
if [ -n "${JVMM_IN_NESTED:-}" ]; then profile=(-f 1 -wi 5 -w 2s -i 3 -r 2s); fi
if [ ${#full[@]} -gt 0 ]; then profile=(); fi

# A JMH argument that is neither an option nor an option's value is a benchmark regex.
given=0
value_next=0
for a in "$@"; do
  if [ "$value_next" = 1 ]; then value_next=0; continue; fi
  case "$a" in
    -h|-l|-lp|-lprof|-lrf) ;;
    -*) value_next=1 ;;
    *) given=1 ;;
  esac
done

host_classes='^org\.jvmm\.bench\.(Dispatch|Clock|GuestMemory|Virtqueue|FfmCall)Benchmark\.'
round_trip_classes='^org\.jvmm\.bench\.KvmRoundTripBenchmark\.'
lifecycle_classes='^org\.jvmm\.bench\.KvmLifecycleBenchmark\.'
kvm_classes='^org\.jvmm\.bench\.Kvm(RoundTrip|Lifecycle)Benchmark\.'
jar=vmm-bench/target/benchmarks.jar
out=target/bench

jmh() {
  local json="$1"
  shift
  "$JAVA" --sun-misc-unsafe-memory-access=allow -jar "$jar" "${profile[@]}" -prof gc -rf json -rff "$json" "$@"
}

in_nested() {
  scripts/env/nested-kvm.sh --timeout 3600 --idle-timeout 300 -- env JVMM_IN_NESTED=1 "$root/vmm-bench/run.sh" "$@"
}

# JMH's forks report to the harness over TCP, and the nested guest boots with loopback down.
if [ -n "${JVMM_IN_NESTED:-}" ]; then ip link set lo up 2>/dev/null || true; fi
if [ "$kvm_part" = round-trip ]; then
  jmh "$out/results-kvm.json" "$round_trip_classes" "$@"
  exit 0
elif [ "$kvm_part" = lifecycle ]; then
  # Creating and destroying VMs back to back has locked up the nested guest's kernel
  # twice within 10 s here: fewer VMs under TCG, in a nested guest of their own.
  if [ -n "${JVMM_IN_NESTED:-}" ] && [ ${#full[@]} -eq 0 ]; then profile=(-f 1 -wi 2 -w 1s -i 3 -r 1s); fi
  jmh "$out/results-lifecycle.json" "$lifecycle_classes" "$@"
  exit 0
fi

if [ ! -f "$jar" ]; then
  mvn -B -ntp -q -pl vmm-bench -am package -DskipTests
fi
if [ "$nested" = 1 ] && [ ! -e /dev/kvm ]; then
  in_nested "${full[@]}" -- "$@"
  exit
fi

mkdir -p "$out"
rm -f "$out"/results-*.json
if [ "$given" = 1 ]; then
  jmh "$out/results-host.json" "$@"
else
  jmh "$out/results-host.json" "$host_classes" "$@"
  if [ -e /dev/kvm ]; then
    jmh "$out/results-kvm.json" "$kvm_classes" "$@"
  elif [ -n "${JVMM_NO_NESTED:-}" ]; then
    echo "run.sh: no /dev/kvm and JVMM_NO_NESTED is set: KVM benchmarks skipped" >&2
  else
    echo "run.sh: no /dev/kvm: running the KVM benchmarks inside nested KVM (scripts/env/nested-kvm.sh; slow)" >&2
    for part in round-trip lifecycle; do
      in_nested --kvm-part "$part" "${full[@]}" -- "$@" \
        || echo "run.sh: the nested KVM run ($part) failed (status $?): its rows are missing" >&2
    done
  fi
fi
# A run that died leaves an empty JSON file behind: merge the others.
python3 - "$out"/results-*.json > "$out/results.json" <<'EOF'
import json, os, sys
print(json.dumps([run for path in sys.argv[1:] if os.path.getsize(path) for run in json.load(open(path))], indent=2))
EOF
python3 vmm-bench/results_md.py "$out/results.json" > "$out/results.md"
cat "$out/results.md"
