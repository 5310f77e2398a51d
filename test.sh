#!/usr/bin/env bash
# Runs every test (unit tests and the KVM guest tests) with a JDK 22+ found by scripts/find-jdk.sh.
# Extra arguments go to Maven, e.g. ./test.sh -pl vmm-core -Dtest=GuestMemoryTest
set -euo pipefail
cd "$(dirname "$0")"
. scripts/find-jdk.sh
jvmm_find_jdk || exit 1
exec mvn -B -ntp verify "$@"
