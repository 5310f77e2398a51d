#!/usr/bin/env bash
# Durability of FLUSH under a power cut, for virtio-blk (FLUSH) and ATA-PIO (FLUSH CACHE).
#
# The disk image is a block device inside the nested KVM machine: a device-mapper log-writes target
# (dm-log-writes) over two loop devices on tmpfs. jvmm writes through that machine's page cache;
# the target logs a write only once a FLUSH that followed it has completed, so what is in the log at
# a point in time is what a disk with a volatile write cache holds on stable storage then.
# Each trial: a fresh target; `jvmm run` of guests/bin/virtio-blk-write.bin or ata-write.bin, which
# writes the test pattern (1 MiB; 64 KiB over ATA-PIO) at a trial-specific sector, flushes, prints
# FLUSHED on COM1 once the flush completed and then reads the range back. The moment FLUSHED
# arrives the script cuts the power: it logs the mark "cut" (dmsetup message) and SIGKILLs the JVM. Then it removes the target and
# rebuilds the disk as it stood at the cut with scripts/check/dm-log-replay.py: only writes covered
# by a FLUSH logged before the mark count. A trial passes when those bytes at that sector hold the
# pattern; it is a harness error when replaying the whole log does not give the data device's
# content byte for byte (this checks the log reader).
#
# Before the trials, one control trial per device runs with the test-only no-op flush
# (-Djvmm.testonly.noOpFlush, vmm-devices DiskImage): it must LOSE the data at the cut, or the check
# could not tell a real flush from none and the run fails. --no-op-flush runs every trial that way
# (each must then fail: the script exits 1).
# At the end a second VM on an image in use must get the lock error (status 2).
#
# Usage: scripts/check/durability-check.sh [--device virtio-blk|ata-pio|both] [--no-op-flush] [TRIALS]
#   TRIALS per device, default 100; --device both (the default) runs virtio-blk, then ata-pio.
# Without /dev/kvm here it re-runs itself inside scripts/env/nested-kvm.sh (take /tmp/jvmm-heavy.lock
# around it on shared machines); it needs dmsetup, kmod's insmod and losetup (apt-get installs them when
# missing and root).
# Prints one line per trial and per device "durability: DEVICE: P/T trials passed ..." with the
# minimum, median and maximum time from JVM start to the cut and per whole trial; exits 0 when all
# passed, 1 otherwise, 2 on bad usage or set-up errors, 125 when nested KVM could not run.
#
# JVM start-up dominates a trial under emulation: the trials run the CLI on the class path with a
# class-data-sharing archive made by a first, complete run, in the interpreter (JIT compiling is what
# costs most there). JVMM_DURABILITY_JAVA_OPTS replaces those JVM options.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd -P)"
cd "$root"
devices=(virtio-blk ata-pio)
no_op=0
trials=100
args=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --device)
      case ${2:-} in
        virtio-blk|ata-pio) devices=("$2") ;;
        both) devices=(virtio-blk ata-pio) ;;
        *) echo "durability: --device takes virtio-blk, ata-pio or both" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --no-op-flush) no_op=1; shift ;;
    *[!0-9]*|'') echo "durability: usage: durability-check.sh [--device virtio-blk|ata-pio|both] [--no-op-flush] [TRIALS]" >&2; exit 2 ;;
    *) trials=$1; shift ;;
  esac
done
. "$root/scripts/env/find-jdk.sh"
jvmm_find_jdk >/dev/null || exit 2
no_op_flag="-Djvmm.testonly.noOpFlush=loses-flushed-data-on-power-loss"
modules=(dm-mod dm-log-writes loop)

# ---------------------------------------------------------------- host side
if [[ -z ${JVMM_IN_NESTED:-} && ! -w /dev/kvm ]]; then
  # The nested guest runs this host's binaries: dmsetup, insmod (kmod), losetup (util-linux).
  for tool in dmsetup:dmsetup insmod:kmod losetup:util-linux; do
    command -v "${tool%%:*}" >/dev/null && continue
    [[ $(id -u) == 0 ]] || { echo "durability: ${tool%%:*} missing (apt-get install ${tool#*:})" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null \
      || { echo "durability: apt-get install ${tool#*:} failed" >&2; exit 2; }
  done
  "$root/jvmm" --version >/dev/null || exit 2   # builds the CLI here: the nested guest has no network
  # The modules come from the kernel package nested-kvm.sh boots, not from its initramfs: a module
  # list there would change its hash and rebuild it for every other user of the cache.
  cache=${JVMM_NESTED_CACHE:-$HOME/.cache/jvmm/nested}
  kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z $kdeb ]]; then
    "$root/scripts/env/nested-kvm.sh" --timeout 900 -- true || exit 125   # downloads the kernel
    kdeb=$(ls -1 "$cache"/debs/linux-image-*.deb | sort -V | tail -n1)
  fi
  kver=$(dpkg-deb -f "$kdeb" Package); kver=${kver#linux-image-}
  moddir=$cache/durability-modules-$kver
  if [[ ! -s $moddir/order ]]; then
    tmp=$(mktemp -d "$cache/modules.XXXXXX")
    patterns=(); for m in "${modules[@]}"; do patterns+=("*/$m.ko*"); done
    dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" --wildcards "${patterns[@]}" 2>/dev/null || true
    mkdir -p "$tmp/out"
    for m in "${modules[@]}"; do
      f=$(find "$tmp" -name "$m.ko*" | head -n1)
      [[ -n $f ]] || { echo "durability: $m is not a module of $kdeb" >&2; rm -rf "$tmp"; exit 2; }
      case $f in *.xz) xz -dc "$f" ;; *.zst) zstd -dcq "$f" ;; *) cat "$f" ;; esac > "$tmp/out/$m.ko"
      for dep in $(tr '\0' '\n' < "$tmp/out/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
        [[ " ${modules[*]} " == *" ${dep//_/-} "* ]] || { echo "durability: $m needs $dep, not handled" >&2; rm -rf "$tmp"; exit 2; }
      done
      echo "$m.ko" >> "$tmp/out/order"
    done
    rm -rf "$moddir"; mv "$tmp/out" "$moddir"; rm -rf "$tmp"
  fi
  echo "durability: no usable /dev/kvm here: running inside scripts/env/nested-kvm.sh (kernel $kver)" >&2
  exec "$root/scripts/env/nested-kvm.sh" --timeout 7200 --idle-timeout 600 -- \
    env JVMM_IN_NESTED=1 JVMM_DURABILITY_MODULES="$moddir" "$0" "${args[@]}"
fi

# ---------------------------------------------------------------- where /dev/kvm is
[[ -w /dev/kvm ]] || { echo "durability: no usable /dev/kvm" >&2; exit 125; }
if [[ -n ${JVMM_DURABILITY_MODULES:-} ]]; then
  for m in $(cat "$JVMM_DURABILITY_MODULES/order"); do
    [[ -d /sys/module/${m%.ko} || -d /sys/module/$(tr - _ <<< "${m%.ko}") ]] && continue
    insmod "$JVMM_DURABILITY_MODULES/$m" || { echo "durability: insmod $m failed" >&2; exit 2; }
  done
else
  modprobe -a dm-log-writes loop || { echo "durability: modprobe dm-log-writes loop failed" >&2; exit 2; }
fi
dmsetup targets | grep -q '^log-writes' || { echo "durability: no log-writes device-mapper target" >&2; exit 2; }
export DM_DISABLE_UDEV=1   # no udev in the nested guest: libdevmapper makes /dev/mapper nodes itself
[[ -f $root/vmm-cli/target/vmm-cli.jar ]] || { echo "durability: build first (./jvmm --version)" >&2; exit 2; }

work=$(mktemp -d)
# tmpfs, private to this machine: the loop files, FIFOs and replays (the 9p /tmp holds no FIFO).
shm=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
target=""
loops=()
cleanup() {
  [[ -n $target ]] && dmsetup remove "$target" 2>/dev/null
  for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
  rm -rf "$work" "$shm"
}
trap cleanup EXIT

classpath="$root/vmm-cli/target/vmm-cli.jar"
for jar in "$root"/vmm-cli/target/lib/*.jar; do classpath="$classpath:$jar"; done
read -r -a options <<< "${JVMM_DURABILITY_JAVA_OPTS:--Xint -XX:+UseSerialGC -XX:-UsePerfData -XX:SharedArchiveFile=$work/jvmm.jsa}"
java=("$JAVA_HOME/bin/java" "${options[@]}" --enable-native-access=ALL-UNNAMED -cp "$classpath" org.jvmm.cli.Main)
size=$((4 << 20))            # 8192 sectors
log_size=$((3 << 20))        # 1 MiB of data plus a header sector per logged write
# Bytes per trial: ATA-PIO's rep outsl exits once per double word in nested KVM (0.5 ms each).
bytes_of() { case $1 in virtio-blk) echo $((1 << 20)) ;; ata-pio) echo $((64 << 10)) ;; esac; }
bytes=$(bytes_of virtio-blk)
python3 - "$bytes" > "$work/expected" <<'PY'
import sys
a = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
n = int(sys.argv[1])
sys.stdout.buffer.write(bytes(10 if i % 64 == 63 else a[(i // 64 + i % 64) % 62] for i in range(n)))
PY
truncate -s "$size" "$shm/zero"
guest_of() { case $1 in virtio-blk) echo virtio-blk-write ;; ata-pio) echo ata-write ;; esac; }

# A complete run first, both devices attached: each guest checks its own read-back (debug exit 0:
# status 1), and the JVM writes the class-data-sharing archive the trials start from.
cp "$shm/zero" "$shm/warm-a"; cp "$shm/zero" "$shm/warm-b"
for d in "${devices[@]}"; do
  warm=0
  run=(run --payload "$root/guests/bin/$(guest_of "$d").bin" --timeout 300 --arg 0="$(bytes_of "$d")"
       --device "virtio-blk,path=$shm/warm-a" --device "ata-pio,path=$shm/warm-b")
  if [[ -z ${JVMM_DURABILITY_JAVA_OPTS:-} && ! -f $work/jvmm.jsa ]]; then
    "$JAVA_HOME/bin/java" -Xint -XX:+UseSerialGC -XX:-UsePerfData -XX:ArchiveClassesAtExit="$work/jvmm.jsa" \
      --enable-native-access=ALL-UNNAMED -cp "$classpath" org.jvmm.cli.Main "${run[@]}" > "$work/warm.out" 2>&1 || warm=$?
  else
    "${java[@]}" "${run[@]}" > "$work/warm.out" 2>&1 || warm=$?
  fi
  [[ $warm == 1 ]] || { echo "durability: the complete $d run failed (status $warm):"; head -c 2000 "$work/warm.out"; exit 1; }
done
echo "durability: complete runs wrote, flushed and read back; devices: ${devices[*]}; $trials trials each"

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }   # no fork
# One trial: DEVICE NUMBER NOOP(0|1). Sets verdict (pass, lost, error) and why, and the times in ms
# from its start: setup_ms (target ready), cut_ms (power cut), trial_ms (end); teardown_ms after the cut.
trial() {
  local device=$1 t=$2 noop=$3 start sector out fifo pid flushed line status data log dev jvm_opts=() bytes
  verdict=error; why=""; cut_ms=0; setup_ms=0; teardown_ms=0
  start=$(now_ms)
  bytes=$(bytes_of "$device")
  sector=$(( (t * 8) % (size / 512 - bytes / 512) ))
  data="$shm/data"; log="$shm/log"
  cp "$shm/zero" "$data"; rm -f "$log"; truncate -s "$log_size" "$log"
  loops=("$(losetup -f --show "$data")" "$(losetup -f --show "$log")")
  target="jvmm-durability-$$"
  dmsetup create "$target" --table "0 $((size / 512)) log-writes ${loops[0]} ${loops[1]}"
  dev=/dev/mapper/$target
  [[ -b $dev ]] || dev=/dev/dm-$(dmsetup info -c --noheadings -o minor "$target" | tr -d ' ')
  setup_ms=$(( $(now_ms) - start ))
  [[ $noop == 1 ]] && jvm_opts=("$no_op_flag")
  out="$work/out.$t"; fifo="$shm/com1.$t"
  : > "$out"; mkfifo "$fifo"
  "${java[@]:0:1}" "${jvm_opts[@]}" "${java[@]:1}" run --payload "$root/guests/bin/$(guest_of "$device").bin" \
    --timeout 600 --device "$device,path=$dev" --arg 0="$bytes" --arg 4="$sector" > "$fifo" 2> "$work/err.$t" &
  pid=$!
  # The read builtin forks nothing: the cut follows the line within the COM1 flusher's 10 ms.
  flushed=0
  while IFS= read -r line; do
    printf '%s\n' "$line" >> "$out"
    if [[ $line == FLUSHED ]]; then
      dmsetup message "$target" 0 mark cut
      kill -9 "$pid" 2>/dev/null || true
      cut_ms=$(( $(now_ms) - start )); flushed=1
      break
    fi
  done < "$fifo"
  status=0; wait "$pid" 2>/dev/null || status=$?   # 2>: no "Killed" notice per trial
  rm -f "$fifo"
  dmsetup remove "$target"; target=""
  losetup -d "${loops[0]}"; losetup -d "${loops[1]}"; loops=()
  teardown_ms=$(( $(now_ms) - start - cut_ms ))
  if [[ $flushed == 0 ]]; then
    why="the guest never reported FLUSHED (status $status): $(head -c 300 "$work/err.$t")"
  elif [[ $noop != "$(grep -c 'TEST ONLY: -Djvmm.testonly.noOpFlush' "$work/err.$t")" ]]; then
    why="the JVM's warning about the test-only no-op flush is $([[ $noop == 1 ]] && echo missing || echo there)"
  elif ! python3 "$root/scripts/check/dm-log-replay.py" "$log" "$shm/zero" --cut cut "$shm/at-cut" --all "$shm/all" \
        > "$work/replay.$t" 2>&1; then
    why="replay failed: $(tr '\n' ' ' < "$work/replay.$t")"
  elif ! cmp -s "$shm/all" "$data"; then
    why="replaying the whole log does not give the data device's content: $(cmp "$shm/all" "$data" 2>&1 | head -1)"
  elif dd if="$shm/at-cut" bs=512 skip="$sector" count=$((bytes / 512)) status=none \
        | cmp -s -n "$bytes" - "$work/expected"; then
    verdict=pass; why="sector $sector holds the $bytes flushed bytes at the cut"
  else
    verdict=lost
    why="sector $sector does not hold the $bytes flushed bytes at the cut ($(sed -n "s/.*at mark 'cut': //p" "$work/replay.$t"))"
  fi
  why="$why; JVM status $status"
  trial_ms=$(( $(now_ms) - start ))
}

stats() { # label then numbers: min/median/max
  local label=$1; shift
  sort -n <<< "$(printf '%s\n' "$@")" | awk -v l="$label" '{v[NR]=$1} END {
    if (NR == 0) { print l ": none"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s: min %d ms, median %d ms, max %d ms\n", l, v[1], m, v[NR] }'
}

failed=0
for device in "${devices[@]}"; do
  trial "$device" 0 1
  if [[ $verdict == lost ]]; then
    echo "control: $device with the test-only no-op flush: $why: lost at the cut, as it must be"
  else
    echo "control: $device with the test-only no-op flush: $verdict: $why"
    echo "durability: FAILED: the power cut did not lose unflushed data, so this check cannot tell a flush from none"
    exit 1
  fi
  pass=0; cuts=(); totals=(); start_all=$(now_ms)
  for t in $(seq 1 "$trials"); do
    trial "$device" "$t" "$no_op"
    cuts+=("$cut_ms"); totals+=("$trial_ms")
    echo "trial $t: $device: $verdict: $why; cut $cut_ms ms after the trial began (set-up $setup_ms ms)," \
         "then $teardown_ms ms to remove the target, trial $trial_ms ms"
    if [[ $verdict == pass ]]; then pass=$((pass + 1)); else failed=1; fi
  done
  mode=$([[ $no_op == 1 ]] && echo "TEST-ONLY NO-OP FLUSH" || echo "real flush")
  echo "durability: $device ($mode): $pass/$trials trials passed, power cut right after the guest saw its flush complete" \
       "(all trials $(( ($(now_ms) - start_all) / 1000 )) s)"
  stats "durability: $device: trial start to cut (set-up, JVM start, guest to FLUSHED)" "${cuts[@]}"
  stats "durability: $device: whole trial (set-up, run, cut, replay)" "${totals[@]}"
done

# Exclusive lock: a second VM on an image another one holds is refused with a clear message.
# The holder: a real-mode guest that prints R on COM1 and spins (mov al,'R'; mov dx,0x3f8; out dx,al; jmp $).
printf '\xb0R\xba\xf8\x03\xee\xeb\xfe' > "$work/loop.bin"
cp "$shm/zero" "$shm/locked"
"${java[@]}" run --payload "$work/loop.bin" --mode real --timeout 120 --device "virtio-blk,path=$shm/locked" \
    > "$work/holder.out" 2>&1 &
holder=$!
while ! grep -q '^R' "$work/holder.out" 2>/dev/null && kill -0 "$holder" 2>/dev/null; do sleep 0.05; done
msg="$("${java[@]}" run --payload "$root/guests/bin/virtio-blk-write.bin" --device "virtio-blk,path=$shm/locked" 2>&1 >/dev/null)" \
  && rc=0 || rc=$?
kill -9 "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
echo "lock: second VM: status $rc: $msg"
case "$msg" in *"already in use by another VM or process"*) [[ $rc == 2 ]] || failed=1 ;; *) failed=1 ;; esac
[[ $failed == 0 ]]
