#!/usr/bin/env bash
# Runs every test: the unit tests and the KVM guest tests (JUnit tag "kvm"), with a JDK 22+ found
# by scripts/env/find-jdk.sh. Extra arguments go to Maven, e.g. ./test.sh -pl vmm-core -Dtest='Pio*'
#
# Where the KVM tests run:
#   /dev/kvm usable here   one `mvn verify` runs everything; but a PVM /dev/kvm (module kvm_pvm)
#                          cannot boot Debian's kernel, so there the kvm-tagged tests go to nested KVM
#                          as below (JVMM_KVM_TESTS=host runs them on PVM anyway).
#   otherwise              `mvn verify -DexcludedGroups=kvm` here, then only the kvm-tagged tests
#                          inside scripts/env/nested-kvm.sh (QEMU TCG with an emulated AMD SVM CPU,
#                          which has a real /dev/kvm), on the tree just built, Maven offline.
#   neither works          CI=true: fail with one line. Otherwise: skip them and say so.
# JVMM_KVM_TESTS=host|nested|skip forces a path (skip is refused when CI=true).
#
# First scripts/env/test-deps.sh installs what the tests use (iasl, chromium, gcc, ... with apt-get;
# nothing when all are there) and fetches the Debian guest kernel the Linux boot tests boot. After
# each Maven run the Surefire reports are read for skipped tests (scripts/check/skipped-tests.py):
# with CI=true any skipped test not on .ci/allowed-skips fails the run, by name; otherwise they are
# listed.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1

# Maven's launcher leaves an unterminated ANSI reset on stdout at exit, even with -B: start on a
# fresh line so that "^test.sh:" greps work.
say() { printf '\ntest.sh: %s\n' "$*"; }
ci=false
if [ "${CI:-}" = true ]; then ci=true; fi

if ! scripts/env/test-deps.sh; then
    if [ "$ci" = true ]; then say "FAILED: scripts/env/test-deps.sh could not provide what the tests need"; exit 1; fi
    say "scripts/env/test-deps.sh failed: tests that need what is missing will skip"
fi

# Surefire reports of the run just made: stale ones of an earlier run must not count.
clear_reports() { rm -rf -- */target/surefire-reports; }
# Reads them for skipped tests; PART names the run. Fails with CI=true on any not allowed.
check_skips() {
    local part=$1 out dirs=()
    for d in */target/surefire-reports; do [ -d "$d" ] && dirs+=("$d"); done
    [ "${#dirs[@]}" -gt 0 ] || return 0
    if out=$(python3 scripts/check/skipped-tests.py .ci/allowed-skips "${dirs[@]}"); then
        [ -z "$out" ] || printf '%s\n' "$out"
        return 0
    fi
    printf '%s\n' "$out"
    if [ "$ci" = true ]; then
        say "FAILED: tests skipped in the $part and not on .ci/allowed-skips: $(grep '^skipped: ' <<< "$out" | cut -d: -f2 | paste -sd, -)"
        exit 1
    fi
    say "warning: tests skipped in the $part (with CI=true this fails): see the lines above"
}

host_kvm_reason() { # prints why /dev/kvm is not usable here, or nothing
    if [ ! -e /dev/kvm ]; then echo "no /dev/kvm"; return; fi
    if ! { exec 3<>/dev/kvm; } 2>/dev/null; then echo "/dev/kvm cannot be opened read-write"; return; fi
    exec 3>&-
}

mode=${JVMM_KVM_TESTS:-}
if [ -z "$mode" ]; then
    reason=$(host_kvm_reason)
    if [ -z "$reason" ] && [ -d /sys/module/kvm_pvm ]; then
        # PVM interprets ring-0 guest code and lacks instructions Debian's kernel and the Multiboot
        # guests execute there (/work/shared/HOST.md): the suite's Linux boots cannot pass on it.
        reason="this host's /dev/kvm is PVM (kvm_pvm), which cannot boot Debian's kernel"
    fi
    if [ -z "$reason" ]; then mode=host; else mode=nested; fi
else
    reason="JVMM_KVM_TESTS=$mode"
fi
if [ "$mode" = skip ] && [ "$ci" = true ]; then
    say "FAILED: JVMM_KVM_TESTS=skip is not allowed with CI=true"
    exit 1
fi

# The committed guest binaries must be what their sources build to (gcc is needed for the C tests anyway).
make -s -C guests check >/dev/null || { say "FAILED: guests/bin differs from a rebuild of guests/src (make -C guests check)"; exit 1; }

# examples/ are outside projects built against the deployed library jars; ExamplesTest (kvm) runs them.
if [ "$mode" != skip ]; then
    scripts/check/examples.sh --build-only || { say "FAILED: examples/ do not build against the library jars (scripts/check/examples.sh)"; exit 1; }
fi

# CompareLinuxTest (kvm) boots Debian's kernel from scripts/env/fetch-guest.sh's cache: fetch it here,
# where there is a network (nested KVM has none). Without it that test fails in CI and is skipped elsewhere.
if [ "$mode" != skip ] && ! scripts/env/fetch-guest.sh >/dev/null; then
    if [ "$ci" = true ]; then say "FAILED: scripts/env/fetch-guest.sh (the Linux guest of CompareLinuxTest)"; exit 1; fi
    say "scripts/env/fetch-guest.sh failed: CompareLinuxTest will be skipped"
fi

case $mode in
host)
    say "/dev/kvm is usable on this host: running all tests, KVM tests included, with mvn verify"
    clear_reports
    mvn -B -ntp verify "$@"
    check_skips "host run"
    exit 0
    ;;
skip)
    say "running the unit tests only; KVM tests SKIPPED ($reason)"
    clear_reports
    mvn -B -ntp verify -DexcludedGroups=kvm "$@"
    check_skips "host run"
    exit 0
    ;;
nested) ;;
*)
    say "FAILED: JVMM_KVM_TESTS must be host, nested or skip, not '$mode'"
    exit 1
    ;;
esac

# Only modules with kvm-tagged tests go to the guest: every module costs Maven time there.
kvm_modules=$(grep -rlE --include='*.java' '@RequiresKvm|@Tag\("kvm"\)' -- */src/test 2>/dev/null \
    | cut -d/ -f1 | sort -u | paste -sd, -)
if [ -z "$kvm_modules" ]; then
    if [ "$ci" = true ]; then say "FAILED: no kvm-tagged tests found under */src/test"; exit 1; fi
    say "no kvm-tagged tests found: running the unit tests only"
    clear_reports
    mvn -B -ntp verify -DexcludedGroups=kvm "$@"
    check_skips "host run"
    exit 0
fi
# -am and a lifecycle phase (test, not the bare surefire:test goal): Maven then resolves the other
# modules of this tree to their target/classes. With the bare goal it takes them from ~/.m2, where
# they are missing on a fresh machine, or are some other checkout's (a NoSuchMethodError run).
# The skip flags keep the phase from redoing what the host build just did.
# Non-incremental compilation recompiles stale sources only: the incremental default would
# recompile every test class under emulation because the dependencies are now directories.
select_modules=(-pl "$kvm_modules" -am -Dmaven.main.skip=true -Dmaven.resources.skip=true -Denforcer.skip=true
    -Dmaven.compiler.useIncrementalCompilation=false)
for arg in "$@"; do
    case $arg in -pl|--projects|-pl*|--projects=*) select_modules=() ;; esac
done

say "$reason here: unit tests on this host, then the KVM tests ($kvm_modules) inside scripts/env/nested-kvm.sh"
start=$(date +%s)
clear_reports
mvn -B -ntp verify -DexcludedGroups=kvm "$@"
check_skips "host part (unit tests)"
host_seconds=$(( $(date +%s) - start ))
say "host build and unit tests passed in ${host_seconds}s; starting nested KVM for the kvm-tagged tests"

# The guest sees this tree read-write at the same path, and the host's root file system (JDK,
# Maven, ~/.m2) read-only through a page-cached share with a RAM overlay: faster under TCG than
# the uncached read-write shares of ~/.m2 and /tmp, and nothing the guest writes there lingers.
# C1 only, the serial GC and no perf data file: under TCG the JVMs' start-up dominates, and this
# halves its CPU time. CI and JAVA_HOME travel in the environment.
log=$(mktemp /tmp/jvmm-nested-tests.XXXXXX)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
# Nested KVM under TCG has been seen to stall the whole guest now and then (no output, Java timeouts
# not firing). nested-kvm.sh gives up with 125 when the tests print nothing for 5 minutes (a whole
# normal run takes about 2), and then up to two more attempts are made. A test failure (any other
# status) is never retried.
run_nested() {
    set +e
    JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:+$JAVA_TOOL_OPTIONS }-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData" \
        scripts/env/nested-kvm.sh --timeout "${JVMM_NESTED_TIMEOUT:-1200}" --idle-timeout 300 --no-default-shares --share "$PWD" -- \
        mvn -o -B -ntp "${select_modules[@]}" test -Dgroups=kvm -Dsurefire.failIfNoSpecifiedTests=false "$@" \
        2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
}
clear_reports
run_nested "$@"
for attempt in 2 3; do
    [ "$rc" = 125 ] || break
    say "nested KVM did not finish (status 125): attempt $attempt of 3"
    run_nested "$@"
done
nested_seconds=$(( $(date +%s) - start ))

# Sum Surefire's per-module summary lines ("Tests run: N, Failures: F, Errors: E, Skipped: S"
# without " -- in <class>").
read -r run failures errors skipped < <(grep -E '^\[[A-Z]+\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" \
    | sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+)$/\1 \2 \3 \4/' \
    | awk '{r+=$1; f+=$2; e+=$3; s+=$4} END {print r+0, f+0, e+0, s+0}')
summary="Tests run: $run, Failures: $failures, Errors: $errors, Skipped: $skipped"

if [ "$rc" = 125 ]; then
    if [ "$ci" = true ]; then
        say "FAILED: KVM tests could not run: no usable /dev/kvm on this host and nested KVM failed (see the nested-kvm line above)"
        exit 1
    fi
    say "KVM tests SKIPPED: no usable /dev/kvm on this host and nested KVM could not start (see above)"
    exit 0
fi
if [ "$rc" != 0 ]; then
    say "FAILED: KVM tests in nested KVM: $summary (exit $rc, ${nested_seconds}s)"
    exit "$rc"
fi
if [ "$run" = 0 ] || [ "$skipped" = "$run" ]; then
    say "FAILED: nested KVM ran no KVM tests ($summary)"
    exit 1
fi
check_skips "nested-KVM part (kvm-tagged tests)"
say "KVM tests in nested KVM: $summary (${nested_seconds}s); host part ${host_seconds}s"

# On a host without /dev/kvm, ./jvmm itself goes through nested KVM: its interactive console must too.
scripts/check/nested-console.sh || { say "FAILED: the console through nested KVM (scripts/check/nested-console.sh)"; exit 1; }
