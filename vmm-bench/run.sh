#!/usr/bin/env bash
# Runs the vmm-bench suite and writes target/bench/results.json (JMH JSON) and target/bench/results.md.
#   vmm-bench/run.sh            short profile (a few minutes on 2 idle cores)
#   vmm-bench/run.sh --full     JMH's per-class defaults (3 x 1 s warmup, 5 x 1 s measurement)
#   vmm-bench/run.sh -- ARGS    extra JMH options, e.g. -- 'DispatchBenchmark' -p stats=true
# Builds the jar first unless it exists. Benchmarks that need /dev/kvm are left out when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
jvmm_find_jdk || exit 1
JAVA="$JAVA_HOME/bin/java"

profile=(-f 1 -wi 2 -w 1s -i 3 -r 1s)
if [ "${1:-}" = "--full" ]; then profile=(); shift; fi
if [ "${1:-}" = "--" ]; then shift; fi

if [ ! -f vmm-bench/target/benchmarks.jar ]; then
  mvn -B -ntp -q -pl vmm-bench -am package -DskipTests
fi

if [ -e /dev/kvm ]; then
  include='^org\.jvmm\.bench\.'
else
  echo "run.sh: no /dev/kvm: KvmLifecycleBenchmark skipped" >&2
  include='^org\.jvmm\.bench\.(Dispatch|GuestMemory|Virtqueue|FfmCall)Benchmark\.'
fi
# A benchmark regex given after -- replaces the default selection.
for a in "$@"; do case "$a" in -*) ;; *) include=""; break ;; esac; done

mkdir -p target/bench
"$JAVA" --sun-misc-unsafe-memory-access=allow -jar vmm-bench/target/benchmarks.jar \
  "${profile[@]}" -prof gc -rf json -rff target/bench/results.json ${include:+"$include"} "$@"
python3 vmm-bench/results_md.py target/bench/results.json > target/bench/results.md
cat target/bench/results.md
