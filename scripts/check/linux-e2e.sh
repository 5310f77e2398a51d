#!/usr/bin/env bash
# End-to-end check of `jvmm run --kernel` with Debian's stock kernel (scripts/env/fetch-guest.sh), run
# by anyone with KVM. Each case boots to the initramfs's init with virtio-blk, virtio-console and
# virtio-rng, and init's jvmm_check mode (see fetch-guest.sh) reads the disk, writes a line back and
# flushes, writes to /dev/hvc0, counts CPUs, then powers off or reboots. Checked from jvmm's output
# and the host files: the init marker, both virtio devices bound, the boot-time marker line, the
# disk line read and written back, the console line, the CPU count (and the kernel's own "smp:"
# line), and that the ACPI sleep control or reset register ended `jvmm run` with status 0.
#
# Usage: scripts/check/linux-e2e.sh [--case NAME]...
#   cases: vmlinux-smp2-poweroff (vmlinux, 2 vCPUs), bzimage-reboot (the bzImage, in-guest
#   decompressor, 1 vCPU); default: both. Without /dev/kvm here, it re-runs itself inside
#   scripts/env/nested-kvm.sh (take /tmp/jvmm-heavy.lock around it on shared machines).
# Exit status: 0 all passed, 1 a check failed, 2 usage or set-up error, 125 nested-kvm could not run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$root"
all_cases=(vmlinux-smp2-poweroff bzimage-reboot)
cases=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --case) cases+=("${2:?--case needs a name}"); shift 2 ;;
        *) echo "linux-e2e: unknown argument '$1' (usage: linux-e2e.sh [--case NAME]...)" >&2; exit 2 ;;
    esac
done
[[ ${#cases[@]} -gt 0 ]] || cases=("${all_cases[@]}")
for c in "${cases[@]}"; do
    [[ " ${all_cases[*]} " == *" $c "* ]] || { echo "linux-e2e: unknown case '$c' (known: ${all_cases[*]})" >&2; exit 2; }
done

if [[ -z ${JVMM_IN_NESTED:-} ]]; then
    scripts/env/fetch-guest.sh >/dev/null || exit 2
    ./jvmm --version >/dev/null || exit 2   # builds the CLI here, not in the slow nested guest
    if [[ ! -e /dev/kvm ]]; then
        echo "linux-e2e: no /dev/kvm here: running inside scripts/env/nested-kvm.sh" >&2
        args=()
        for c in "${cases[@]}"; do args+=(--case "$c"); done
        exec scripts/env/nested-kvm.sh --timeout 1800 --idle-timeout 600 -- env JVMM_IN_NESTED=1 "$0" "${args[@]}"
    fi
fi

guest=$(scripts/env/fetch-guest.sh --print-dir)
for f in vmlinux vmlinuz initramfs.cpio.gz; do
    [[ -s $guest/$f ]] || { echo "linux-e2e: no $guest/$f: run scripts/env/fetch-guest.sh" >&2; exit 2; }
done
work=$(mktemp -d /tmp/jvmm-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
check() { # what, then a command that must succeed
    local what=$1; shift
    if "$@"; then echo "linux-e2e:   ok   $what"; else echo "linux-e2e:   FAIL $what"; failed=1; fi
}
has() { grep -qE -- "$1" "$2"; }

run_case() {
    local name=$1 kernel cpus action expect
    case $name in
        vmlinux-smp2-poweroff) kernel=vmlinux; cpus=2; action=poweroff; expect="the guest powered off" ;;
        bzimage-reboot) kernel=vmlinuz; cpus=1; action=reboot; expect="the guest rebooted" ;;
    esac
    local dir=$work/$name token
    mkdir -p "$dir"
    token="JVMM_DISK_$RANDOM$RANDOM"
    { echo "$token"; head -c $((8 << 20)) /dev/zero; } | head -c $((8 << 20)) >"$dir/disk.img"
    echo "linux-e2e: $name: $kernel, $cpus vCPU(s), virtio-blk + virtio-console + virtio-rng, then $action"
    local start end status=0
    start=$(date +%s%N)
    ./jvmm run --kernel "$guest/$kernel" --initrd "$guest/initramfs.cpio.gz" \
        --mem 512M --cpus "$cpus" --timeout 900 \
        --cmdline "console=ttyS0 earlyprintk=serial panic=-1 jvmm_check=$action" \
        --device "virtio-blk,path=$dir/disk.img" --device "virtio-console,out=$dir/hvc0.txt" --device virtio-rng \
        </dev/null >"$dir/out.txt" 2>"$dir/err.txt" || status=$?
    end=$(date +%s%N)
    cat "$dir/out.txt" "$dir/err.txt" >"$dir/all.txt"
    local ms=$(( (end - start) / 1000000 ))
    local marker boot_time
    marker=$(grep -oE 'JVMM_GUEST_INIT_OK [0-9.]+s' "$dir/all.txt" | head -n1 || true)
    boot_time=$(grep -oE '^boot-time: [0-9]+ ms' "$dir/err.txt" | head -n1 || true)
    echo "linux-e2e: $name: jvmm run exited $status after $ms ms; ${marker:-no init marker}; ${boot_time:-no boot-time line}"
    check "exit status 0" test "$status" = 0
    check "jvmm says: $expect" has "^jvmm: $expect" "$dir/err.txt"
    check "init marker" has 'JVMM_GUEST_INIT_OK' "$dir/all.txt"
    check "boot-time line" has '^boot-time: [0-9]+ ms$' "$dir/err.txt"
    check "virtio-blk bound (device id 2)" has 'jvmm-init: virtio device virtio[0-9]+ id 0x0002' "$dir/all.txt"
    check "virtio-console bound (device id 3)" has 'jvmm-init: virtio device virtio[0-9]+ id 0x0003' "$dir/all.txt"
    check "virtio-rng bound (device id 4)" has 'jvmm-init: virtio device virtio[0-9]+ id 0x0004' "$dir/all.txt"
    check "the guest read the disk's first line" has "jvmm-check: vda says $token" "$dir/all.txt"
    dd if="$dir/disk.img" bs=512 skip=1 count=1 status=none | tr -d '\0' >"$dir/sector1.txt"
    check "the guest's write and flush reached the host file" has "^written back: $token" "$dir/sector1.txt"
    check "virtio-console output in the host file" has 'JVMM_HVC_OK via /dev/hvc0' "$dir/hvc0.txt"
    check "the guest counts $cpus CPU(s)" has "jvmm-check: cpus $cpus" "$dir/all.txt"
    if [[ $cpus -gt 1 ]]; then
        check "kernel: smp: Brought up 1 node, $cpus CPUs" has "smp: Brought up 1 node, $cpus CPUs" "$dir/all.txt"
        check "no MTRR inconsistency across CPUs" bash -c "! grep -q 'inconsistent MTRR' '$dir/all.txt'"
    fi
    if [[ $failed != 0 ]]; then
        echo "linux-e2e: $name: last lines of the guest's output:"
        tail -n 30 "$dir/all.txt" | sed 's/^/    /'
    fi
}

for c in "${cases[@]}"; do
    run_case "$c"
done
if [[ $failed == 0 ]]; then echo "linux-e2e: PASSED"; else echo "linux-e2e: FAILED"; fi
exit "$failed"
