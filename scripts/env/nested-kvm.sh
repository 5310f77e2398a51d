#!/usr/bin/env bash
# nested-kvm.sh - run a command in a throw-away Linux guest that has a real /dev/kvm.
#
# Why: our development and CI machines have no /dev/kvm (their kernel is itself a
# PVM guest and refuses to bind kvm).  QEMU can, however, emulate an AMD CPU with
# SVM and nested paging in pure software (TCG).  Inside such an emulated machine
# Debian's stock kernel loads kvm + kvm_amd and provides a genuine /dev/kvm, slow
# but real.  This script boots that machine, runs COMMAND inside it and hands back
# its output and exit code.
#
# What the guest sees:
#   * the host's root file system, read-only, with a RAM overlay on top, so every
#     tool of the host (bash, java, mvn, gcc...) is there at its usual path and
#     stray writes (e.g. to ~/.cache) succeed but are thrown away;
#   * read-write 9p shares, mounted at the SAME absolute paths as on the host, for
#     the current git work tree (or the current directory), ~/.m2, /tmp and every
#     --share DIR.  Writes there reach the host.
# COMMAND runs as root in the current directory, with the caller's environment,
# stdin from /dev/null; its stdout/stderr stream to ours. With --tty it runs on a pseudo-terminal
# in the guest that is wired to ours instead (interactive programs, raw mode, Ctrl-C reach it).
#
# Usage: scripts/env/nested-kvm.sh [options] -- COMMAND [ARGS...]
#   --mem SIZE        guest memory (default 4G)
#   --cpus N          guest vCPUs (default 1: with 2, the emulated guest kernel now and then
#                     stalls for minutes, "soft lockup ... [kthreadd]", and 1 is not slower)
#   --share DIR       also share DIR read-write at the same path (repeatable)
#   --share-ro DIR    also share DIR read-only at the same path (repeatable)
#   --no-default-shares  share only what --share/--share-ro name
#   --timeout SECS    kill the guest after SECS seconds (default 3600, 0 = never)
#   --idle-timeout SECS  give up (125) when the command has printed nothing for SECS
#                     seconds: the emulated guest has stalled (default 0 = never)
#   --tty             run COMMAND on a terminal in the guest connected to this one (stdin must be a
#                     terminal): keys go to it unchanged, its output comes back; this terminal is
#                     put in raw mode while it runs and restored on every way out
#   --verbose         show guest boot progress and timings on stderr
#   --self-test       instead of a command, build and run nested-kvm/kvm-probe.c
#                     (checks /dev/kvm, runs a tiny guest, times PIO exits)
# Exit status: COMMAND's, or 125 with a one-line reason on stderr when the guest
# could not run it (no /dev/kvm, boot failure, timeout...).
#
# The guest has no network: run Maven offline (-o) against a ~/.m2 that a host
# build filled.  See scripts/env/nested-kvm/README.md for figures and caveats.
#
# Cache: ${JVMM_NESTED_CACHE:-~/.cache/jvmm/nested} keeps the downloaded .debs, the
# vmlinuz and the initramfs; nothing is written into the repository.
set -euo pipefail

die() { echo "nested-kvm: $*" >&2; exit 125; }
log() { if [[ $verbose == 1 ]]; then echo "nested-kvm: $*" >&2; fi; }

# ---------------------------------------------------------------- arguments
mem=4G
cpus=1
timeout_secs=3600
idle_secs=0
verbose=0
default_shares=1
self_test=0
tty_mode=0
rw_shares=()
ro_shares=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --mem) mem=${2:?--mem needs a size}; shift 2 ;;
        --cpus) cpus=${2:?--cpus needs a number}; shift 2 ;;
        --share) rw_shares+=("${2:?--share needs a directory}"); shift 2 ;;
        --share-ro) ro_shares+=("${2:?--share-ro needs a directory}"); shift 2 ;;
        --no-default-shares) default_shares=0; shift ;;
        --timeout) timeout_secs=${2:?--timeout needs seconds}; shift 2 ;;
        --idle-timeout) idle_secs=${2:?--idle-timeout needs seconds}; shift 2 ;;
        --verbose|-v) verbose=1; shift ;;
        --tty) tty_mode=1; shift ;;
        --self-test) self_test=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option '$1' (the command goes after --; see --help)" ;;
    esac
done
cache=${JVMM_NESTED_CACHE:-$HOME/.cache/jvmm/nested}
mkdir -p "$cache"

if [[ $self_test == 1 ]]; then
    [[ $# == 0 ]] || die "--self-test takes no command"
    # The guest sees the host's root file system, so a binary in the cache runs there.
    src=$(dirname "${BASH_SOURCE[0]}")/nested-kvm/kvm-probe.c
    command -v gcc >/dev/null || die "--self-test needs gcc"
    gcc -O2 -Wall -o "$cache/kvm-probe" "$src" || die "cannot compile $src"
    set -- "$cache/kvm-probe" 20000
fi
[[ $# -gt 0 ]] || die "no command given (usage: $0 [options] -- COMMAND [ARGS...])"
if [[ $tty_mode == 1 ]]; then
    [[ -t 0 ]] || die "--tty needs a terminal on stdin"
    command -v script >/dev/null || die "--tty needs util-linux's script (it gives the command a terminal in the guest)"
fi
[[ $(uname -m) == x86_64 ]] || die "only x86_64 hosts are supported"

# ---------------------------------------------------------------- host tools
# CI machines start fresh: install QEMU on first use (we run as root there).
need_apt_lists() {
    # apt-cache/apt-get download find nothing before the first 'apt-get update'.
    if [[ -z $(apt-cache policy busybox-static 2>/dev/null | grep -m1 Candidate | grep -v '(none)') ]]; then
        apt-get update -qq >&2 || die "apt-get update failed"
    fi
}
if ! command -v qemu-system-x86_64 >/dev/null; then
    [[ $(id -u) == 0 ]] || die "qemu-system-x86_64 missing and not root to install it"
    need_apt_lists
    echo "nested-kvm: installing qemu-system-x86 ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2 \
        || die "apt-get install qemu-system-x86 failed"
fi

# ---------------------------------------------------------------- kernel + busybox
# Serialise concurrent first runs that would otherwise download/extract together.
exec {lock_fd}>"$cache/.lock"
flock "$lock_fd"

# The cache keeps the two .debs (~70 MB) plus the vmlinuz and initramfs built
# from them; the 400 MB module tree is only unpacked, to a temporary
# directory, when the initramfs must be (re)built.  Whatever kernel is cached
# is reused, which keeps runs offline and reproducible: delete the cache
# directory to move to a newer kernel.
kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb 2>/dev/null | sort -V | tail -n1 || true)
bdeb=$(ls -1 "$cache"/debs/busybox-static_*.deb 2>/dev/null | tail -n1 || true)
if [[ -z $kdeb || -z $bdeb ]]; then
    need_apt_lists
    # linux-image-amd64 is a meta package; its dependency names the real one
    # (linux-image-6.1.0-NN-amd64), which carries vmlinuz and the modules.
    kpkg=${JVMM_NESTED_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
    [[ -n $kpkg ]] || die "cannot find the Debian kernel package behind linux-image-amd64"
    echo "nested-kvm: downloading $kpkg and busybox-static into $cache ..." >&2
    rm -rf "$cache/debs"
    mkdir -p "$cache/debs"
    # apt-get download writes into the cwd; its '_apt sandbox' warning is harmless.
    (cd "$cache/debs" && apt-get download -qq "$kpkg" busybox-static >/dev/null 2>&1) \
        || die "apt-get download $kpkg busybox-static failed"
    kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb)
    bdeb=$(ls -1 "$cache"/debs/busybox-static_*.deb)
fi
kpkg=$(dpkg-deb -f "$kdeb" Package)
kver=${kpkg#linux-image-}
vmlinuz=$cache/vmlinuz-$kver

# ---------------------------------------------------------------- initramfs
# PID 1 of the guest.  It loads virtio/9p and kvm modules, builds the root
# (host / read-only + tmpfs overlay + 9p shares at identical paths), checks
# /dev/kvm, runs the command and leaves its exit code in the control share.
# Anything it cannot do is written to /ctl/failure as one line for the host.
read -r -d '' guest_init <<'INIT' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ctl_mounted=
say() { echo "nested-kvm-guest: $*" >/dev/console; }
fail() {
    say "FAILED: $*"
    if [ -n "$ctl_mounted" ]; then echo "$*" >/ctl/failure; fi
    sync; poweroff -f
}
load() { # load the modules listed in /modules/$1, in order (dependencies first)
    for m in $(cat /modules/$1); do
        out=$(insmod /modules/$m 2>&1) || { [ "$2" = soft ] && return 1
            fail "$2insmod $m failed ($out); kernel says: $(dmesg | tail -n 2 | tr '\n' ' ')"; }
    done
}
opts9p="trans=virtio,version=9p2000.L,msize=512000"

load virtio9p.list
mount -t 9p -o "$opts9p,cache=none" jvmmctl /ctl || fail "cannot mount the control share"
ctl_mounted=1

# The root: the host's / read-only (cache=loose: it does not change under us),
# with a tmpfs upper layer so that writes outside the shares succeed in RAM.
mkdir -p /lower /rw /newroot
mount -t 9p -o "ro,$opts9p,cache=loose" hostroot /lower || fail "cannot mount the host root share"
mount -t tmpfs -o mode=755 tmpfs /rw && mkdir -p /rw/upper /rw/work
if ! { load overlay.list soft && mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot; }; then
    say "overlay failed, using the host root read-only"
    mount --bind /lower /newroot
fi

# Shares, parents before children (the host sorted them); cache=mmap keeps
# shared writable mmap working (e.g. hsperfdata) while staying coherent.
while read -r tag mode path; do
    mkdir -p "/newroot$path" 2>/dev/null || true
    mount -t 9p -o "$mode,$opts9p,cache=mmap" "$tag" "/newroot$path" || fail "cannot mount share $path"
done </ctl/shares

mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs tmpfs /newroot/run
mkdir -p /newroot/run/jvmm-nested
mount --bind /ctl /newroot/run/jvmm-nested

load kvm.list "no /dev/kvm: "
[ -c /dev/kvm ] || fail "no /dev/kvm: kvm modules loaded but /dev/kvm did not appear: $(dmesg | grep -i -E 'kvm|svm' | tail -n 3 | tr '\n' ' ')"

# Two virtio-serial ports carry the command's stdout and stderr to the host
# (ports 1 and 2 of the first virtio-serial device).  Unlike a UART they need
# no tty settings and move ~MB/s instead of ~150 KB/s under TCG; a write to
# them returns only once QEMU has taken the data, so nothing is lost at
# poweroff.
[ -c /dev/vport0p1 ] && [ -c /dev/vport0p2 ] || fail "no virtio-serial ports for stdout/stderr"
cut -d' ' -f1 /proc/uptime >/ctl/boot-seconds
say "booted in $(cat /ctl/boot-seconds)s, running the command"
# A heartbeat on the console, so that a stalled run shows whether the guest kernel still ran; and when
# the host asks (it writes a JDK path to /ctl/dump-request), thread dumps of every JVM, so that a silent
# command shows where it waits.
( while sleep 30; do
    say "alive at $(cut -d' ' -f1 /proc/uptime)s"
    if [ -s /ctl/dump-request ]; then
        jdk=$(cat /ctl/dump-request); rm -f /ctl/dump-request
        for pid in $(pidof java); do
            say "thread dump of java pid $pid"
            chroot /newroot "$jdk/bin/jstack" "$pid" >/dev/console 2>&1
        done
        say "thread dumps done"
    fi
  done ) &
if [ -e /ctl/tty ]; then
    [ -c /dev/vport0p3 ] || fail "no virtio-serial port for the terminal"
    # script gives the command a pseudo-terminal and relays it to the host's terminal; -e: its status.
    # A virtio port opens once: read and write through the one open file.
    chroot /newroot /usr/bin/script -qfec "/bin/bash /run/jvmm-nested/cmd.sh" /dev/null \
        <>/dev/vport0p3 >&0 2>/dev/vport0p2
else
    chroot /newroot /bin/bash /run/jvmm-nested/cmd.sh </dev/null >/dev/vport0p1 2>/dev/vport0p2
fi
rc=$?
echo "$rc" >/ctl/exit-code
say "JVMM_NESTED_EXIT=$rc"
sync
poweroff -f
INIT

# Named after the kernel and a hash of this script, so that editing the
# script (the init above, the module lists below) rebuilds it.
initrd=$cache/initrd-$kver-$(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-12).cpio.gz
# Modules a .ko depends on, from its .modinfo 'depends=' line (there is no
# modules.dep: depmod runs in the package's postinst, which we never run).
declare -A mod_file=()
index_modules() { # module name (with '_', as modinfo spells it) -> file
    local f n
    while IFS= read -r f; do
        n=${f##*/}; n=${n%%.ko*}; mod_file[${n//-/_}]=$f
    done < <(find "$moddir/kernel" -name '*.ko*')
}
mod_bytes() { # print the uncompressed module
    case $1 in
        *.ko.xz) xz -dc "$1" ;;
        *.ko.zst) zstd -dcq "$1" ;;
        *.ko.gz) gzip -dc "$1" ;;
        *) cat "$1" ;;
    esac
}
declare -A mod_seen=()
mod_order=()
add_module() { # depth-first: dependencies end up before their users
    local n=${1//-/_} dep
    [[ -n ${mod_seen[$n]:-} ]] && return 0
    mod_seen[$n]=1
    [[ -n ${mod_file[$n]:-} ]] || die "kernel module $n not found in $moddir"
    for dep in $(mod_bytes "${mod_file[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep"
    done
    mod_order+=("$n")
}
module_list() { # NAME... -> the load order for them, minus modules listed earlier
    mod_order=()
    local m
    for m in "$@"; do add_module "$m"; done
    printf '%s.ko\n' "${mod_order[@]}"
}

if [[ ! -s $initrd || ! -s $vmlinuz ]]; then
    log "building $initrd"
    unpacked=$(mktemp -d "$cache/unpacked.XXXXXX")
    trap 'rm -rf "$unpacked"' EXIT
    dpkg-deb -x "$kdeb" "$unpacked/kernel"
    dpkg-deb -x "$bdeb" "$unpacked/busybox"
    moddir=$unpacked/kernel/lib/modules/$kver
    index_modules
    stage=$unpacked/initrd
    mkdir -p "$stage"/{bin,proc,sys,dev,ctl,modules}
    cp "$unpacked/busybox/bin/busybox" "$stage/bin/"
    printf '%s\n' "$guest_init" >"$stage/init"
    chmod 755 "$stage/init"
    module_list virtio_pci virtio_console 9pnet_virtio 9p >"$stage/modules/virtio9p.list"
    module_list overlay >"$stage/modules/overlay.list"
    module_list kvm_amd >"$stage/modules/kvm.list"
    for n in "${!mod_seen[@]}"; do mod_bytes "${mod_file[$n]}" >"$stage/modules/$n.ko"; done
    # busybox's own cpio writes the newc format the kernel wants (no cpio needed).
    (cd "$stage" && find . | "$unpacked/busybox/bin/busybox" cpio -o -H newc 2>/dev/null) \
        | gzip -1 >"$initrd.tmp"
    rm -f "$cache"/initrd-*.cpio.gz "$cache"/vmlinuz-*   # built from an older script/kernel
    mv "$initrd.tmp" "$initrd"
    cp "$unpacked/kernel/boot/vmlinuz-$kver" "$vmlinuz"
    rm -rf "$unpacked"
fi
flock -u "$lock_fd"

# ---------------------------------------------------------------- shares
cwd=$(pwd -P)
if [[ $default_shares == 1 ]]; then
    top=$(git -C "$cwd" rev-parse --show-toplevel 2>/dev/null || echo "$cwd")
    rw_shares+=("$top" /tmp)
    [[ -d $HOME/.m2 ]] && rw_shares+=("$HOME/.m2")
fi
# Every share as "MODE PATH", canonical, deduplicated; the cwd must lie in one.
declare -A share_mode=()
for d in "${ro_shares[@]}"; do
    [[ -d $d ]] || die "--share-ro $d: not a directory"
    share_mode[$(cd "$d" && pwd -P)]=ro
done
for d in "${rw_shares[@]}"; do
    [[ -d $d ]] || die "--share $d: not a directory"
    share_mode[$(cd "$d" && pwd -P)]=rw
done
in_share=0
for p in "${!share_mode[@]}"; do
    [[ $p == / ]] && die "sharing / itself read-write is not supported"
    [[ $cwd == "$p" || $cwd == "$p"/* ]] && in_share=1
done
[[ $in_share == 1 ]] || die "the current directory $cwd is not inside a shared directory (add --share)"

run=$(mktemp -d "$cache/run.XXXXXX")
qemu_pid=
reader_pids=()
saved_tty=
cleanup() {
    if [[ -n $qemu_pid ]]; then kill "$qemu_pid" 2>/dev/null || true; fi
    if [[ -n $saved_tty ]]; then stty "$saved_tty" 2>/dev/null || true; fi
    # Release readers still blocked in open() if QEMU never opened the FIFOs.
    for f in "$run/stdout" "$run/stderr"; do [[ -p $f ]] && { : 1<>"$f"; } 2>/dev/null; done
    for p in "${reader_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${keep_run:-0} == 1 ]]; then
        echo "nested-kvm: guest console log kept in $run/console.log" >&2
    else
        rm -rf "$run"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
        -virtfs "local,path=$run,mount_tag=jvmmctl,security_model=none,multidevs=remap")
i=0
# Sorted by path so that a parent share is mounted before a share inside it.
while IFS= read -r p; do
    [[ -n $p ]] || continue
    ro_opt=; if [[ ${share_mode[$p]} == ro ]]; then ro_opt=,readonly=on; fi
    virtfs+=(-virtfs "local,path=$p,mount_tag=share$i,security_model=none,multidevs=remap$ro_opt")
    printf 'share%d %s %s\n' "$i" "${share_mode[$p]}" "$p" >>"$run/shares"
    i=$((i + 1))
done < <(printf '%s\n' "${!share_mode[@]}" | sort)
touch "$run/shares"

# The command, as a bash script run by the host's own bash inside the guest.
{
    echo "# generated by nested-kvm.sh"
    for v in $(compgen -e); do
        case $v in _|SHLVL|PWD|OLDPWD) continue ;; esac
        printf 'export %s=%q\n' "$v" "${!v}"
    done
    if [[ $tty_mode == 1 ]]; then
        # The guest's pseudo-terminal starts 80x24 and cooked: give it this terminal's size.
        printf 'stty rows %d cols %d 2>/dev/null\n' "$(tput lines 2>/dev/null || echo 24)" "$(tput cols 2>/dev/null || echo 80)"
    fi
    printf 'cd %q || exit 125\n' "$cwd"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$run/cmd.sh"

# ---------------------------------------------------------------- run
# ttyS0 = kernel console -> log file; virtio-serial ports 1 and 2 = stdout and
# stderr, written to FIFOs that 'cat' copies to ours, so output streams live.
# Each reader also touches $run/activity, whose age the idle watchdog reads.
mkfifo "$run/stdout" "$run/stderr"
touch "$run/activity"
cat "$run/stdout" | tee -a "$run/activity" & reader_pids+=($!)
cat "$run/stderr" | tee -a "$run/activity" >&2 & reader_pids+=($!)

# -cpu max under TCG is an AuthenticAMD CPU with svm + npt, which is what
# kvm_amd needs; thread=multi gives one host thread per vCPU.
# JVMM_NESTED_CPU overrides it (e.g. 'qemu64' to see the no-SVM failure path).
# no_timer_check: on a loaded host TCG can be too slow for the kernel's IO-APIC timer check, which then
# panics ("IO-APIC + timer doesn't work"); KVM and QEMU guests commonly boot with it.
kernel_log="quiet loglevel=4"
if [[ $verbose == 1 ]]; then kernel_log="loglevel=6"; fi
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu "${JVMM_NESTED_CPU:-max}" -smp "$cpus" -m "$mem"
      -nodefaults -no-user-config -display none -monitor none -no-reboot
      -kernel "$vmlinuz" -initrd "$initrd"
      -append "console=ttyS0 $kernel_log panic=-1 no_timer_check rdinit=/init"
      -chardev "file,id=con,path=$run/console.log" -serial chardev:con
      -device virtio-serial-pci,id=vser
      -chardev "file,id=out,path=$run/stdout,append=on" -device virtserialport,bus=vser.0,nr=1,chardev=out,name=stdout
      -chardev "file,id=err,path=$run/stderr,append=on" -device virtserialport,bus=vser.0,nr=2,chardev=err,name=stderr
      "${virtfs[@]}")
if [[ $tty_mode == 1 ]]; then
    # QEMU's stdio backend puts this terminal in raw mode (signal=off: Ctrl-C goes to the guest) and
    # restores it when QEMU exits; cleanup restores it too, should QEMU be killed.
    qemu+=(-chardev stdio,id=tty,signal=off -device virtserialport,bus=vser.0,nr=3,chardev=tty,name=tty)
    : >"$run/tty"
fi
if [[ $verbose == 1 ]]; then
    log "shares: $(tr '\n' ';' <"$run/shares")"
    # Follow the guest console live.
    tail -n +1 -F "$run/console.log" >&2 2>/dev/null & reader_pids+=($!)
fi
start=$(date +%s.%N)
if [[ $timeout_secs != 0 ]]; then
    # timeout puts QEMU in a process group of its own, where touching the terminal (--tty) would stop
    # it (SIGTTOU); --foreground keeps it in ours.
    foreground=(); if [[ $tty_mode == 1 ]]; then foreground=(--foreground); fi
    qemu=(timeout "${foreground[@]}" -k 10 "$timeout_secs" "${qemu[@]}")
fi
if [[ $tty_mode == 1 ]]; then
    saved_tty=$(stty -g)
    idle_secs=0 # an interactive session may be quiet for as long as its user likes
    exec {tty_in}<&0 # named, so that bash does not give the background QEMU /dev/null instead
    "${qemu[@]}" <&"$tty_in" 2>"$run/qemu.log" &
else
    "${qemu[@]}" </dev/null >"$run/qemu.log" 2>&1 &
fi
qemu_pid=$!
# Nested KVM under TCG sometimes freezes the whole guest kernel ("soft lockup ... stuck for 972s"), and
# sometimes stalls with no message at all. Give up as soon as a CPU has been stuck for 100 s or more, or
# (with --idle-timeout) the command has been silent too long, instead of waiting for the timeout.
( while kill -0 "$qemu_pid" 2>/dev/null; do
    sleep 5
    if grep -qE 'soft lockup - CPU#[0-9]+ stuck for [0-9]{3,}s' "$run/console.log" 2>/dev/null; then
      : > "$run/lockup"; kill "$qemu_pid" 2>/dev/null; break
    fi
    if [[ $idle_secs != 0 ]] && (( $(date +%s) - $(stat -c %Y "$run/activity") >= idle_secs )); then
      : > "$run/idle"
      # Ask the guest for thread dumps (its heartbeat loop answers within about 30 s) before giving up.
      if [[ -n ${JAVA_HOME:-} ]]; then
        echo "$JAVA_HOME" > "$run/dump-request"
        for _ in $(seq 24); do
          sleep 5; grep -q 'thread dumps done' "$run/console.log" 2>/dev/null && break
        done
      fi
      kill "$qemu_pid" 2>/dev/null; break
    fi
  done ) &
watchdog_pid=$!
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
kill "$watchdog_pid" 2>/dev/null || true
qemu_pid=
end=$(date +%s.%N)
if [[ $verbose == 1 ]]; then
    sleep 0.5   # let the console tail print the last lines
    kill "${reader_pids[-1]}" 2>/dev/null || true
    unset 'reader_pids[-1]'
fi
# Let the readers drain the FIFOs before we report.
for p in "${reader_pids[@]}"; do wait "$p" 2>/dev/null || true; done
reader_pids=()

if [[ -f $run/boot-seconds ]]; then
    log "guest boot $(cat "$run/boot-seconds")s (guest clock); whole run $(awk "BEGIN{printf \"%.1f\", $end - $start}")s"
fi
if [[ -f $run/exit-code ]]; then
    exit "$(cat "$run/exit-code")"
fi
keep_run=1
if [[ -f $run/failure ]]; then
    die "nested guest failed: $(head -c 2000 "$run/failure" | tr '\n' ' ')"
fi
if [[ -f $run/lockup ]]; then
    die "the nested guest's kernel locked up (soft lockup of 100 s or more); see its console log"
fi
if [[ -f $run/idle ]]; then
    if grep -q 'thread dumps done' "$run/console.log"; then
        echo "nested-kvm: the guest kernel still ran; the JVMs' threads when the command went silent:" >&2
        sed -n '/thread dump of java pid/,/thread dumps done/p' "$run/console.log" >&2
        die "the command printed nothing for ${idle_secs}s, but the nested guest was alive (thread dumps above)"
    fi
    die "the command printed nothing for ${idle_secs}s and the nested guest did not answer: it stalled; see its console log"
fi
if [[ $qemu_rc == 124 || $qemu_rc == 137 ]]; then
    die "timed out after ${timeout_secs}s"
fi
die "the guest stopped without running the command (qemu exit $qemu_rc: $(tail -n 1 "$run/qemu.log" 2>/dev/null)); last console line: $(tail -n 1 "$run/console.log" 2>/dev/null)"
