#!/usr/bin/env bash
# Installs what jvmm's tests use and a fresh Debian machine may lack, and fetches the Debian guest
# kernel the Linux boot tests boot (scripts/env/fetch-guest.sh). ./test.sh runs it first. Idempotent:
# when every tool is there it runs no apt-get at all, and fetch-guest.sh is a no-op once its cache
# is built, so a second run costs well under a second.
#
#   tool       package        used by
#   gcc, make  gcc, make      guests/ (make -C guests check), KvmAbiTest, RawTerminalTest
#   iasl       acpica-tools   AcpiTablesTest (disassembles jvmm's DSDT)
#   chromium   chromium       CompareReportTest (renders the HTML report)
#   gdb        gdb            tests that drive jvmm from gdb (RealGdbTest, MachineGdbTest, GdbRunTest)
#   script     bsdutils       ConsoleTerminalTest, RawTerminalTest (a pseudo-terminal)
#   chattr     e2fsprogs      BadInputTest (an image the user cannot write)
#   python3    python3        test.sh's skipped-test check, scripts/check
#   qemu-system-x86_64        nested KVM: scripts/env/nested-kvm.sh installs it itself
#
# Usage: scripts/env/test-deps.sh [--no-guest]   --no-guest: skip the guest kernel
# Exit status 1, with one line, when something is missing and cannot be installed (not root, or
# apt-get failed).
set -euo pipefail
cd "$(dirname "$0")/../.."
need=(gcc:gcc make:make iasl:acpica-tools chromium:chromium gdb:gdb script:bsdutils chattr:e2fsprogs python3:python3)
missing=()
for pair in "${need[@]}"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) != 0 ]]; then
        echo "test-deps: missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root" >&2
        exit 1
    fi
    # apt-get finds nothing before the first 'apt-get update' on a fresh machine.
    if [[ -z $(apt-cache policy "${missing[0]}" 2>/dev/null | grep -m1 Candidate | grep -v '(none)') ]]; then
        apt-get update -qq >&2 || { echo "test-deps: apt-get update failed" >&2; exit 1; }
    fi
    echo "test-deps: installing ${missing[*]} ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "test-deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
if [[ ${1:-} != --no-guest ]]; then
    scripts/env/fetch-guest.sh >/dev/null || { echo "test-deps: scripts/env/fetch-guest.sh failed" >&2; exit 1; }
fi
