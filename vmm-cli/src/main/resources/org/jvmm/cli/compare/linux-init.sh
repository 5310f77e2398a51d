#!/bin/busybox sh
# The init of `jvmm compare --workload linux` (docs/performance.md). jvmm writes it, with the console
# pattern, into a small cpio archive at run time and appends that to the base initramfs (busybox and
# the virtio modules, from scripts/env/fetch-guest.sh), so this file replaces the base's /init.
#
# It moves the same bytes through Linux's own drivers and writes jvmm's phase marker around each
# transfer, so jvmm counts the exits of the transfer alone (LinuxComparison's PHASE_* constants):
#   phase 1  the pattern to /dev/ttyS0 (the 8250 driver), until the driver has sent the last byte
#   phase 2  the pattern to /dev/hvc0 (virtio_console)
#   phase 3  reading the disk with O_DIRECT from /dev/vda (virtio_blk)
#   phase 0  everything else after boot: set-up, checks, reports
# Parameters come from the kernel command line (init's environment): jvmm_marker (the marker's
# address), jvmm_bytes (console bytes), jvmm_blk_bytes and jvmm_blk_bs (disk bytes, dd block size),
# jvmm_do (which transfers: t ttyS0, h hvc0, b vda). Results go to the console as "jvmm-linux: ..."
# lines, which jvmm parses; then the guest powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages would land in the middle of the ttyS0 transfer: emergencies only from here on.
echo 1 >/proc/sys/kernel/printk

say() { echo "jvmm-linux: $*"; }
mark() { devmem "$jvmm_marker" 32 "$1"; }
has() { case $jvmm_do in *$1*) return 0 ;; esac; return 1; }

# NOW: the guest's monotonic clock in ns, from /proc/timer_list ("now at N nsecs"), or /proc/uptime
# in 10 ms steps where the kernel has no timer list.
now() {
    NOW=
    if [ -r /proc/timer_list ]; then
        while read -r a b c rest; do
            if [ "$a $b" = "now at" ]; then NOW=$c; break; fi
        done </proc/timer_list
    fi
    if [ -z "$NOW" ]; then
        read -r up rest </proc/uptime
        NOW=$(( ${up%.*} * 1000000000 + (1${up#*.} - 100) * 10000000 ))
    fi
}

# TX: the bytes the 8250 driver has sent on ttyS0; UART: the type it detected (/proc/tty/driver/serial).
tx() {
    TX=
    while read -r n rest; do
        if [ "$n" = 0: ]; then
            TX=${rest#*tx:}; TX=${TX%% *}
            UART=${rest#uart:}; UART=${UART%% *}
            break
        fi
    done </proc/tty/driver/serial
}
# A write to a tty returns once the bytes are in the driver's buffer; wait until the 8250 sent $1 in all.
drain() {
    tx
    case $TX in
        ''|*[!0-9]*) say "error ttyS0: no byte count in /proc/tty/driver/serial"; return 1 ;;
    esac
    while [ "$TX" -lt "$1" ]; do tx; done
}

mark 0
for m in $(cat /modules/order 2>/dev/null); do
    insmod "/modules/$m" 2>/dev/null
done
i=0
while { has h && [ ! -c /dev/hvc0 ]; } || { has b && [ ! -b /dev/vda ]; }; do
    i=$((i + 1))
    if [ $i -gt 1000 ]; then say "error devices missing: hvc0 $(ls /dev/hvc0 2>&1), vda $(ls /dev/vda 2>&1)"; break; fi
    usleep 10000
done

if has t; then
    # Hold the tty open and raw: no newline translation, no echo.
    exec 4<>/dev/ttyS0
    stty raw -echo <&4
    tx
    printf 'JVMM-BEGIN ttyS0\n' >&4
    drain $((TX + 17))
    sent=$TX
    mark 1
    now; t0=$NOW
    cat /jvmm/pattern >&4
    drain $((sent + jvmm_bytes))
    now; t1=$NOW
    mark 0
    printf 'JVMM-END ttyS0\n' >&4
    say "ttyS0 guest_ns=$((t1 - t0)) uart=$UART"
fi

if has h; then
    # hvc resets a tty's settings on its last close: hold it open while raw.
    exec 5<>/dev/hvc0
    stty raw -echo <&5
    mark 2
    now; t0=$NOW
    cat /jvmm/pattern >&5
    now; t1=$NOW
    mark 0
    say "hvc0 guest_ns=$((t1 - t0))"
fi

if has b; then
    mark 3
    now; t0=$NOW
    dd if=/dev/vda of=/jvmm/blk bs="$jvmm_blk_bs" count=$((jvmm_blk_bytes / jvmm_blk_bs)) iflag=direct 2>/jvmm/dd.log
    rc=$?
    now; t1=$NOW
    mark 0
    sum=$(md5sum </jvmm/blk)
    say "vda guest_ns=$((t1 - t0)) rc=$rc md5=${sum%% *} bytes=$(wc -c </jvmm/blk)"
    [ $rc = 0 ] || say "error dd: $(cat /jvmm/dd.log)"
fi

say done
poweroff -f
