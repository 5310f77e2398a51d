#!/usr/bin/env bash
# Builds and runs scripts/check/guest-debug-probe.c: what this host's KVM does with single-step,
# hardware breakpoints, watchpoints and int3 under KVM_SET_GUEST_DEBUG (docs/debugging.md).
# Needs /dev/kvm; without it: scripts/env/nested-kvm.sh -- scripts/check/guest-debug-probe.sh
# Exit code: the number of cases that did not behave as on hardware KVM.
set -u
cd "$(dirname "$0")" || exit 1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -Wall -o "$out/probe" guest-debug-probe.c || exit 1
"$out/probe"
