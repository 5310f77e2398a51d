#!/usr/bin/env bash
# Mutation testing with PIT (Maven profile pit; docs/hardening.md). Runs on the host, no KVM.
#
#   scripts/check/mutation-check.sh          CI: virtio.queue only (a few minutes); fails when its mutation
#                                            score falls below the floor below
#   scripts/check/mutation-check.sh --all    every package of docs/hardening.md: virtio.queue, virtio.mmio,
#                                            virtio.blk, serial (vmm-devices) and the boot-image parsers
#                                            KernelImage, BzImage, ElfKernel, SetupHeader (vmm-core)
#   --survivors PACKAGE                      also list that package's surviving mutants (repeatable)
#
# Prints the table of scripts/check/pit-scores.py: mutants, detected, survived, not reached, mutation
# score and test strength per package. PIT's HTML report is in <module>/target/pit-reports/.
# The floor is the score virtio.queue reached when it was set (docs/hardening.md): raise it when new
# tests kill more mutants, and never lower it without saying why in the commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
QUEUE_FLOOR=91

all=0
survivors=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --all) all=1; shift ;;
    --survivors) survivors+=(--survivors "${2:?--survivors needs a package}"); shift 2 ;;
    *) echo "mutation-check: usage: mutation-check.sh [--all] [--survivors PACKAGE]..." >&2; exit 2 ;;
  esac
done

start=$(date +%s)
if [[ $all == 1 ]]; then
  modules=(vmm-core vmm-devices)
  mvn -B -ntp -q -Ppit -pl vmm-core,vmm-devices test-compile org.pitest:pitest-maven:mutationCoverage
else
  modules=(vmm-devices)
  # vmm-core is built for the reactor (-am) but mutates nothing: no class matches there.
  mvn -B -ntp -q -Ppit -pl vmm-devices -am test-compile org.pitest:pitest-maven:mutationCoverage \
    -Dpit.targets='org.jvmm.devices.virtio.queue.*'
fi
reports=()
for m in "${modules[@]}"; do reports+=("$m/target/pit-reports/mutations.xml"); done
echo "mutation-check: PIT took $(( $(date +%s) - start )) s"
if [[ $all == 1 ]]; then
  python3 scripts/check/pit-scores.py "${survivors[@]}" "${reports[@]}"
else
  python3 scripts/check/pit-scores.py "${survivors[@]}" --floor "org.jvmm.devices.virtio.queue=$QUEUE_FLOOR" "${reports[@]}"
fi
