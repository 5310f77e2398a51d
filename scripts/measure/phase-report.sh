#!/usr/bin/env bash
# Prints a real phase-marked exit report (docs/observability.md#exits-per-phase): Debian's kernel
# from scripts/env/fetch-guest.sh's cache boots with the init of `jvmm compare --workload linux`
# (vmm-cli/.../compare/linux-init.sh), which marks phase 1 around BYTES written to /dev/ttyS0,
# phase 2 around the same bytes to /dev/hvc0 and phase 3 around an O_DIRECT read of 64 KiB from
# /dev/vda, phase 0 for the rest; `jvmm run --exit-stats` prints the report on stderr.
#   scripts/measure/phase-report.sh [BYTES]    (default 4096; needs the guest cache: run
#                                                scripts/env/fetch-guest.sh first, on a host with network)
# Needs /dev/kvm; elsewhere ./jvmm goes into nested KVM by itself, or run the whole script there:
#   scripts/env/nested-kvm.sh -- scripts/measure/phase-report.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bytes=${1:-4096}
blk=65536
cache=$(scripts/env/fetch-guest.sh --print-dir)
for f in vmlinux initramfs.cpio.gz debs; do
  [ -e "$cache/$f" ] || { echo "phase-report: no $cache/$f: run scripts/env/fetch-guest.sh first" >&2; exit 1; }
done
# Under the work tree: nested KVM shares it with the host.
tmp=$(mktemp -d "$PWD/target/phase-report.XXXXXX" 2>/dev/null || { mkdir -p target && mktemp -d "$PWD/target/phase-report.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
# busybox (for cpio) from the .deb fetch-guest.sh kept.
dpkg-deb -x "$(ls -1 "$cache"/debs/busybox-static_*.deb | tail -n1)" "$tmp/bb"
bb=$tmp/bb/bin/busybox
# jvmm's archive: /init and /jvmm/pattern (printable, so the console stays readable), appended to
# the base initramfs at a 4-byte boundary; Linux unpacks it after the base, so its /init wins.
mkdir -p "$tmp/root/jvmm"
cp vmm-cli/src/main/resources/org/jvmm/cli/compare/linux-init.sh "$tmp/root/init"
chmod 755 "$tmp/root/init"
python3 -c 'import sys; n = int(sys.argv[1]); line = b"jvmm phase-report pattern 0123456789\n"
sys.stdout.buffer.write((line * (n // len(line) + 1))[:n])' "$bytes" >"$tmp/root/jvmm/pattern"
(cd "$tmp/root" && find . | "$bb" cpio -o -H newc 2>/dev/null) >"$tmp/ours.cpio"
cp "$cache/initramfs.cpio.gz" "$tmp/initrd"
pad=$(( (4 - $(stat -c %s "$tmp/initrd") % 4) % 4 ))
head -c "$pad" /dev/zero >>"$tmp/initrd"
cat "$tmp/ours.cpio" >>"$tmp/initrd"
head -c "$blk" /dev/urandom >"$tmp/disk.img"
cmdline="console=ttyS0 loglevel=1 panic=-1 jvmm_marker=0xcfffe000 jvmm_bytes=$bytes jvmm_blk_bytes=$blk"
cmdline+=" jvmm_blk_bs=$blk jvmm_do=thb"
echo "phase-report: ./jvmm run --kernel $cache/vmlinux --initrd (base + linux-init.sh) --mem 256M" \
     "--cmdline '$cmdline' --device virtio-console,out=FILE --device virtio-blk,path=IMG,ro" \
     "--serial out=FILE --exit-stats" >&2
status=0
./jvmm run --kernel "$cache/vmlinux" --initrd "$tmp/initrd" --mem 256M --cmdline "$cmdline" \
    --device "virtio-console,out=$tmp/hvc0" --device "virtio-blk,path=$tmp/disk.img,ro" \
    --serial "out=$tmp/ttyS0" --exit-stats || status=$?
# The init's result lines, and whether each transfer checked out.
grep -a '^jvmm-linux:' "$tmp/ttyS0" >&2 || true
cmp -s "$tmp/hvc0" "$tmp/root/jvmm/pattern" && echo "phase-report: hvc0 carried the $bytes bytes" >&2 \
  || { echo "phase-report: hvc0 got $(stat -c %s "$tmp/hvc0") bytes, not the pattern" >&2; status=1; }
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); p = open(sys.argv[2], "rb").read()
sys.exit(0 if b"JVMM-BEGIN ttyS0\n" + p + b"JVMM-END ttyS0\n" in d else 1)' "$tmp/ttyS0" "$tmp/root/jvmm/pattern" \
  && echo "phase-report: ttyS0 carried the $bytes bytes between its begin and end lines" >&2 \
  || { echo "phase-report: ttyS0 did not carry the pattern" >&2; status=1; }
md5=$(md5sum <"$tmp/disk.img"); md5=${md5%% *}
grep -qa "md5=$md5" "$tmp/ttyS0" && echo "phase-report: vda read back with the host file's MD5" >&2 \
  || { echo "phase-report: the guest's MD5 of vda is not the host file's ($md5)" >&2; status=1; }
exit "$status"
