#!/usr/bin/env bash
# Fetches a Debian guest for jvmm into a cache outside the repository:
#   $JVMM_GUEST_CACHE (default ~/.cache/jvmm/guest)/
#     debs/                the two .debs, kept so later runs are offline
#     vmlinuz              Debian's bzImage, as shipped
#     vmlinux              the uncompressed ELF kernel taken out of vmlinuz's payload
#     initramfs.cpio.gz    busybox + an /init that loads the virtio modules and starts a shell
#     kernel-version       e.g. 6.1.0-56-cloud-amd64
#
# Usage: scripts/env/fetch-guest.sh [--print-dir]
#   JVMM_KERNEL_PKG=linux-image-amd64 picks the generic kernel instead of the cloud one.
# Idempotent: each artifact is rebuilt only when missing or when this script changed.
# Nothing here touches the repository. Errors are one line on stderr and exit status 1.
set -euo pipefail

die() { echo "fetch-guest: $*" >&2; exit 1; }
log() { echo "fetch-guest: $*" >&2; }
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

cache=${JVMM_GUEST_CACHE:-$HOME/.cache/jvmm/guest}
meta_pkg=${JVMM_KERNEL_PKG:-linux-image-cloud-amd64}
[[ ${1:-} == --print-dir ]] && { echo "$cache"; exit 0; }
[[ $# -eq 0 ]] || die "unknown argument '$1' (usage: fetch-guest.sh [--print-dir])"

for tool in apt-get apt-cache dpkg-deb sha256sum gzip; do
    command -v "$tool" >/dev/null || die "$tool not found (a Debian host is needed)"
done
mkdir -p "$cache/debs" || die "cannot create $cache"
exec {lock_fd}>"$cache/.lock"
flock "$lock_fd"

# ---------------------------------------------------------------- download
kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb 2>/dev/null | sort -V | tail -n1 || true)
bdeb=$(ls -1 "$cache"/debs/busybox-static_*.deb 2>/dev/null | tail -n1 || true)
if [[ -z $kdeb || -z $bdeb ]]; then
    # The linux-image-*-amd64 meta packages only depend on the real package, which holds vmlinuz and modules.
    kpkg=$(apt-cache depends "$meta_pkg" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [[ -n $kpkg ]] || die "cannot find the kernel package behind $meta_pkg (is 'apt-get update' done?)"
    log "downloading $kpkg and busybox-static into $cache/debs"
    (cd "$cache/debs" && apt-get download -qq "$kpkg" busybox-static >/dev/null 2>&1) \
        || die "apt-get download $kpkg busybox-static failed"
    kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb | sort -V | tail -n1)
    bdeb=$(ls -1 "$cache"/debs/busybox-static_*.deb | tail -n1)
fi
kpkg=$(dpkg-deb -f "$kdeb" Package) || die "$kdeb is not a .deb"
kver=${kpkg#linux-image-}
stamp="$kver $(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-12)"
if [[ -s $cache/vmlinuz && -s $cache/vmlinux && -s $cache/initramfs.cpio.gz \
      && $(cat "$cache/.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "$cache"
    exit 0
fi

work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kdeb" "$work/kernel" || die "cannot unpack $kdeb"
dpkg-deb -x "$bdeb" "$work/busybox" || die "cannot unpack $bdeb"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz" || die "no /boot/vmlinuz-$kver in $kdeb"

# ---------------------------------------------------------------- vmlinux
# The bzImage header says where the compressed payload is (payload_offset at 0x248, payload_length at
# 0x24c, both from the start of the protected-mode code, which begins at (setup_sects + 1) * 512) and
# its first bytes say which compressor made it. Cutting exactly the payload out beats scanning for
# magic numbers the way scripts/extract-vmlinux does.
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
img=$work/vmlinuz
[[ $(od -An -c -j 0x202 -N4 "$img" | tr -d ' ') == HdrS ]] || die "$img has no HdrS boot header"
setup_sects=$(u8 "$img" $((0x1f1)))
[[ $setup_sects == 0 ]] && setup_sects=4
pm_start=$(( (setup_sects + 1) * 512 ))
payload_offset=$(u32 "$img" $((0x248)))
payload_length=$(u32 "$img" $((0x24c)))
dd if="$img" of="$work/payload" iflag=skip_bytes,count_bytes skip=$((pm_start + payload_offset)) \
    count="$payload_length" status=none || die "cannot cut the payload out of $img"
magic=$(od -An -tx1 -N6 "$work/payload" | tr -d ' ')
case $magic in
    1f8b*)         compressor=gzip;  gzip -dc <"$work/payload" >"$work/vmlinux" 2>/dev/null || true ;;
    fd377a585a00*) compressor=xz;    xz -dc <"$work/payload" >"$work/vmlinux" 2>/dev/null || true ;;
    02214c18*)     compressor=lz4;   command -v lz4 >/dev/null || die "Debian's kernel payload is LZ4: apt-get install lz4"
                   lz4 -dc <"$work/payload" >"$work/vmlinux" 2>/dev/null || true ;;
    28b52ffd*)     compressor=zstd;  command -v zstd >/dev/null || die "Debian's kernel payload is zstd: apt-get install zstd"
                   zstd -dcq <"$work/payload" >"$work/vmlinux" 2>/dev/null || true ;;
    *)             die "unknown compressor for the payload of $kpkg (first bytes $magic)" ;;
esac
# Decompressors may complain about the size word the kernel appends after the stream; the ELF check decides.
[[ $(od -An -c -N4 "$work/vmlinux" 2>/dev/null | tr -d ' ') == 177ELF ]] \
    || die "the $compressor payload of $kpkg did not decompress to an ELF vmlinux"
log "vmlinux: $compressor payload, $(stat -c %s "$work/vmlinux") bytes"

# ---------------------------------------------------------------- initramfs
moddir=$work/kernel/lib/modules/$kver
declare -A mod_file=() mod_seen=()
mod_order=()
while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; mod_file[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')
mod_bytes() {
    case $1 in
        *.ko.xz) xz -dc "$1" ;;
        *.ko.zst) zstd -dcq "$1" ;;
        *.ko.gz) gzip -dc "$1" ;;
        *) cat "$1" ;;
    esac
}
builtin_module() { grep -q "/${1//_/[-_]}.ko\$" "$moddir/modules.builtin" 2>/dev/null; }
add_module() { # depth first, so dependencies load before their users; built-ins need no file
    local n=${1//-/_} dep
    [[ -n ${mod_seen[$n]:-} ]] && return 0
    mod_seen[$n]=1
    if [[ -z ${mod_file[$n]:-} ]]; then
        builtin_module "$n" && return 0
        die "kernel module $n is neither in $kpkg nor built in"
    fi
    for dep in $(mod_bytes "${mod_file[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep"
    done
    mod_order+=("$n")
}
for m in virtio_mmio virtio_blk virtio_console; do add_module "$m"; done

stage=$work/initrd
mkdir -p "$stage"/{bin,proc,sys,dev,modules}
cp "$work/busybox/bin/busybox" "$stage/bin/"
for n in "${mod_order[@]}"; do mod_bytes "${mod_file[$n]}" >"$stage/modules/$n.ko"; done
printf '%s.ko\n' "${mod_order[@]}" >"$stage/modules/order"
cat >"$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# jvmm's boot-time marker (docs/linux-boot.md): jvmm prints "boot-time: N ms" when init gets here.
devmem 0xcffff000 8 1 2>/dev/null
for m in $(cat /modules/order); do
    insmod /modules/$m || echo "jvmm-init: insmod $m failed"
done
# The marker also goes through the kernel log: its console writes poll the UART, so a VMM whose
# 8250 raises no interrupts (a test stand-in) still shows it.
marker="JVMM_GUEST_INIT_OK $(cut -d' ' -f1 /proc/uptime)s"
echo "$marker" >/dev/kmsg
echo "$marker"
for d in /sys/bus/virtio/devices/*; do
    [ -e "$d" ] && echo "jvmm-init: virtio device $(basename "$d") id $(cat "$d/device")" | tee /dev/kmsg
done
# jvmm_check=poweroff|reboot on the kernel command line (init's environment) runs the checks of
# scripts/check/linux-e2e.sh: read the disk's first line, write it back in sector 1 and flush, say hello
# on the virtio console, count CPUs, then power off or reboot.
if [ -n "$jvmm_check" ]; then
    echo "jvmm-check: cpus $(nproc)"
    if [ -b /dev/vda ]; then
        line=$(head -n1 /dev/vda)
        echo "jvmm-check: vda says $line"
        printf 'written back: %s\n' "$line" | dd of=/dev/vda bs=512 seek=1 conv=notrunc,fsync 2>/dev/null \
            && echo "jvmm-check: vda written and flushed"
    fi
    [ -c /dev/hvc0 ] && echo "JVMM_HVC_OK via /dev/hvc0" >/dev/hvc0 && echo "jvmm-check: hvc0 written"
    # jvmm_kallsyms=DISK copies the running kernel's symbols to that disk (after the checks above, which
    # write to vda): Debian ships no System.map, and a host-side gdb session wants names (GdbLinuxTest).
    if [ -n "$jvmm_kallsyms" ] && [ -b "/dev/$jvmm_kallsyms" ]; then
        dd if=/proc/kallsyms of="/dev/$jvmm_kallsyms" bs=1M conv=fsync 2>/dev/null \
            && echo "jvmm-check: kallsyms on $jvmm_kallsyms"
    fi
    sync
    case $jvmm_check in
        poweroff) echo "jvmm-check: poweroff"; poweroff -f ;;
        reboot) echo "jvmm-check: reboot"; reboot -f ;;
    esac
fi
exec setsid cttyhack sh
INIT
chmod 755 "$stage/init"
(cd "$stage" && find . | "$work/busybox/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -9 >"$work/initramfs.cpio.gz" \
    || die "cannot build the initramfs"

mv "$work/vmlinuz" "$cache/vmlinuz"
mv "$work/vmlinux" "$cache/vmlinux"
mv "$work/initramfs.cpio.gz" "$cache/initramfs.cpio.gz"
echo "$kver" >"$cache/kernel-version"
echo "$stamp" >"$cache/.stamp"
log "kernel $kver, modules: ${mod_order[*]:-none (all built in)}"
echo "$cache"
