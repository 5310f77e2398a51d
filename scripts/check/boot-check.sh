#!/usr/bin/env bash
# Boots Debian's kernel with LinuxBoot inside nested KVM (scripts/env/nested-kvm.sh) and checks, from the
# kernel's own log, that it took our e820 map, command line, memory size and ACPI tables
# (LinuxBootKvmTest, run through its main method: Maven in the nested guest costs a minute). Usage:
#   scripts/check/boot-check.sh            # vmlinux, stop once the early lines are seen
#   scripts/check/boot-check.sh --full     # keep going until the initramfs init prints its marker
#   scripts/check/boot-check.sh --bzimage  # boot vmlinuz (the bzImage) instead of the extracted vmlinux
# On a host with its own /dev/kvm, JVMM_BOOT_DIRECT=1 runs it without nested-kvm.
# Exit status: 0 passed, 1 failed, 2 skipped (with the reason printed), 125 nested-kvm could not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
env_args=()
for a in "$@"; do
    case $a in
        --full) env_args+=(JVMM_BOOT_FULL=1) ;;
        --bzimage) env_args+=(JVMM_BOOT_KERNEL=vmlinuz) ;;
        *) echo "boot-check: unknown option $a" >&2; exit 2 ;;
    esac
done
scripts/env/fetch-guest.sh >/dev/null
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
# Compile on the host and run a private copy of the classes, so a build in the work tree meanwhile
# cannot pull them from under the guest.
mvn -B -ntp -q -pl vmm-core -am test-compile
work=$(mktemp -d /tmp/jvmm-boot-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r vmm-core/target/classes "$work/classes"
cp -r vmm-core/target/test-classes "$work/test-classes"
mvn -B -ntp -q -o -pl vmm-core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
run=(env "${env_args[@]}" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED
     -cp "$work/test-classes:$work/classes:$(cat "$work/cp.txt")" org.jvmm.core.boot.LinuxBootKvmTest)
if [[ ${JVMM_BOOT_DIRECT:-} == 1 ]]; then
    "${run[@]}"
else
    scripts/env/nested-kvm.sh --mem 4G -- "${run[@]}"
fi
