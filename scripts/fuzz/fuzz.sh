#!/usr/bin/env bash
# Runs every Jazzer fuzz target in fuzzing mode for SECONDS each (default 30), one after another,
# and prints per target the executions and findings. Exits non-zero if any target finds something,
# fails to run, or ran zero executions (a renamed class or method makes Maven run nothing and
# succeed), and when FILTER matches no target. A finding is written by Jazzer as a regression seed under
# <module>/src/test/resources/<package>/<Class>Inputs/<method>/: commit it with the fix, and every
# `mvn verify` replays it from then on. The corpus grows in .cifuzz-corpus/ (ignored by git), so
# repeated runs continue where the last one stopped.
#
# Usage: scripts/fuzz/fuzz.sh [SECONDS] [FILTER]   FILTER: only targets whose name contains it
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/env/find-jdk.sh && jvmm_find_jdk || exit 1

seconds="${1:-30}"
filter="${2:-}"
case "$seconds" in ''|*[!0-9]*) echo "usage: scripts/fuzz/fuzz.sh [SECONDS] [FILTER]" >&2; exit 2 ;; esac

# module  class#method
targets=(
  "vmm-core org.jvmm.core.boot.KernelImageFuzzTest#parseAndLoad"
  "vmm-core org.jvmm.core.boot.CommandLineFuzzTest#build"
  "vmm-devices org.jvmm.devices.virtio.queue.VirtqueueFuzzTest#splitRing"
  "vmm-devices org.jvmm.devices.virtio.mmio.VirtioMmioFuzzTest#registerFile"
  "vmm-devices org.jvmm.devices.virtio.blk.VirtioBlockFuzzTest#requests"
  "vmm-devices org.jvmm.devices.serial.SerialFuzzTest#registers"
  "vmm-devices org.jvmm.devices.ata.AtaPioFuzzTest#ports"
  "vmm-gdb org.jvmm.gdb.rsp.RspFuzzTest#packets"
)
for extra in scripts/fuzz/targets.d/*; do   # targets of modules that come later, one per line
  [ -f "$extra" ] && while read -r line; do [ -n "$line" ] && targets+=("$line"); done < "$extra"
done

selected=()
for t in "${targets[@]}"; do
  case "${t#* }" in *"$filter"*) selected+=("$t") ;; esac
done
if [ "${#selected[@]}" -eq 0 ]; then
  echo "fuzz: FAILED: no fuzz target matches '$filter'"
  exit 1
fi

logs="${TMPDIR:-/tmp}/jvmm-fuzz.$$"
mkdir -p "$logs"
failed=0
summary=()
start_all=$(date +%s)
for t in "${selected[@]}"; do
  module="${t%% *}"; test="${t#* }"
  log="$logs/${test##*.}.log"
  echo "== fuzzing $test for ${seconds}s (log: $log)"
  start=$(date +%s)
  JAZZER_FUZZ=1 mvn -B -ntp -pl "$module" -am test \
      -Dsurefire.failIfNoSpecifiedTests=false -Dtest="$test" \
      -Djazzer.max_duration="${seconds}s" -Djazzer.instrument='org.jvmm.**' > "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
  cov=$(sed -n 's/^#[0-9]*.*cov: \([0-9]*\).*/\1/p' "$log" | tail -1)   # libFuzzer's edge count at the end
  # A finding: the input Jazzer saved, or (JUnit mode) the FuzzTestFindingException Surefire reports.
  findings=$(grep -c -e 'Test unit written to' -e '^== Java Exception:' "$log")
  if [ "$findings" -eq 0 ] && grep -q -e 'FuzzTestFindingException' -e 'ERROR: libFuzzer:' "$log"; then findings=1; fi
  # Surefire's line for the class: "Tests run: N, ... -- in <class>"; none when Maven selected nothing.
  ran=$(sed -n "s/.*Tests run: \([0-9]*\),.* -- in ${test%%#*}\$/\1/p" "$log" | tail -1)
  if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
    status="ERROR (mvn exit $rc, no finding parsed: see the log)"
  elif [ "$findings" -eq 0 ] && [ "${ran:-0}" -eq 0 ]; then
    status="ERROR (Maven ran no test ${test}: renamed or missing?)"
  elif [ "$findings" -eq 0 ] && [ "${execs:-0}" -eq 0 ]; then
    status="ERROR (zero executions: the fuzzer did not run)"
  elif [ "$findings" -ne 0 ]; then
    status="FINDING"
    grep -m1 -A3 -e '^== Java Exception:' -e '^com.code_intelligence.jazzer.junit.FuzzTestFindingException' "$log"
    grep -e 'Test unit written to' -e 'Inputs/' "$log" | head -3
  else
    status="ok"
  fi
  [ "$status" = ok ] || failed=1
  line=$(printf '%-58s executions %10s  coverage %5s  findings %s  %4ss  %s' "$test" "${execs:-?}" "${cov:-?}" "$findings" "$took" "$status")
  echo "$line"
  summary+=("$line")
done
echo
echo "== summary (${seconds}s per target, $(nproc) cores, total $(( $(date +%s) - start_all ))s)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED (logs in $logs)"
  exit 1
fi
rm -rf "$logs"
echo "fuzz: no findings"
