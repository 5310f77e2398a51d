#!/usr/bin/env bash
# Durability of virtio-blk FLUSH: each trial runs guests/bin/virtio-blk-write.bin on a scratch image
# with a trial-specific sector; the guest writes 1 MiB, sends FLUSH and prints "FLUSHED" on COM1 once
# FLUSH returned OK, then reads the 1 MiB back. The script reads COM1 through a FIFO and sends
# SIGKILL to the JVM the moment the line arrives, while the guest is still reading back, and then
# checks that the JVM died of that SIGKILL (status 137: a VMM that had already exited and closed
# its disk would prove nothing) and that the image holds the pattern at that sector. It also checks
# that the image is never grown or truncated, and that a second VM on an image in use gets the lock
# error. Needs /dev/kvm: where there is none, run it with
#   scripts/env/nested-kvm.sh -- scripts/check/durability-check.sh [TRIALS]
# Prints one line per trial and a summary "durability: P/T trials passed"; exits 1 on any failure.
#
# JVM start-up dominates a trial under emulation (nested KVM): the trials run the CLI on the class
# path with a class-data-sharing archive made by a first, complete run, and in the interpreter
# (JIT compiling is what costs most there). JVMM_DURABILITY_JAVA_OPTS replaces those JVM options.
set -euo pipefail
trials="${1:-100}"
root="$(cd "$(dirname "$0")/../.." && pwd -P)"
. "$root/scripts/env/find-jdk.sh"
jvmm_find_jdk >/dev/null || exit 1
[ -r /dev/kvm ] || { echo "durability: no /dev/kvm; run under scripts/env/nested-kvm.sh" >&2; exit 125; }
# Build first on the host (mvn -o package -DskipTests): inside nested KVM Maven has no network.
[ -f "$root/vmm-cli/target/vmm-cli.jar" ] || "$root/jvmm" --version >/dev/null
work="$(mktemp -d)"
# The COM1 FIFOs go to /dev/shm: the 9p file systems nested KVM shares /tmp over cannot hold one.
pipes="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
trap 'rm -rf "$work" "$pipes"' EXIT
classpath="$root/vmm-cli/target/vmm-cli.jar"
for jar in "$root"/vmm-cli/target/lib/*.jar; do classpath="$classpath:$jar"; done
read -r -a options <<< "${JVMM_DURABILITY_JAVA_OPTS:--Xint -XX:+UseSerialGC -XX:-UsePerfData -XX:SharedArchiveFile=$work/jvmm.jsa}"
java=("$JAVA_HOME/bin/java" "${options[@]}" --enable-native-access=ALL-UNNAMED -cp "$classpath" org.jvmm.cli.Main)
img="$work/disk.img"
size=$((8 << 20))            # 16384 sectors
bytes=$((1 << 20))           # per trial: 2048 sectors, read back after FLUSH for long enough to be killed
truncate -s "$size" "$img"
# The expected bytes: the guest test pattern of guests/lib/jvmm.h, pattern offset 0 at the first byte.
python3 - "$bytes" > "$work/expected" <<'PY'
import sys
a = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
n = int(sys.argv[1])
sys.stdout.buffer.write(bytes(10 if i % 64 == 63 else a[(i // 64 + i % 64) % 62] for i in range(n)))
PY
guest=(run --payload "$root/guests/bin/virtio-blk-write.bin" --timeout 300 --device "virtio-blk,path=$img" --arg 0="$bytes")
# A complete run first: the guest verifies its own read-back (debug exit 0: status 1), and the JVM
# writes the class-data-sharing archive the trials start from.
warm=0
if [ -z "${JVMM_DURABILITY_JAVA_OPTS:-}" ]; then
  "$JAVA_HOME/bin/java" -Xint -XX:+UseSerialGC -XX:-UsePerfData -XX:ArchiveClassesAtExit="$work/jvmm.jsa" \
      --enable-native-access=ALL-UNNAMED -cp "$classpath" org.jvmm.cli.Main "${guest[@]}" --arg 4=0 \
      > "$work/warm.out" 2>&1 || warm=$?
else
  "${java[@]}" "${guest[@]}" --arg 4=0 > "$work/warm.out" 2>&1 || warm=$?
fi
[ "$warm" = 1 ] || { echo "durability: the complete run failed (status $warm):"; head -c 2000 "$work/warm.out"; exit 1; }
echo "durability: a complete run wrote, flushed and read back $bytes bytes; now $trials trials"

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }   # no fork
pass=0; fail=0; total_ms=0; start_all=$(now_ms)
for t in $(seq 1 "$trials"); do
  sector=$(( (t * 8) % (size / 512 - bytes / 512) ))
  # Zero the target range first so a pass cannot come from an earlier trial.
  dd if=/dev/zero of="$img" bs=512 seek="$sector" count=$((bytes / 512)) conv=notrunc status=none
  out="$work/out.$t"; fifo="$pipes/com1.$t"
  : > "$out"; mkfifo "$fifo"
  start=$(now_ms)
  "${java[@]}" "${guest[@]}" --arg 4="$sector" > "$fifo" 2>"$work/err.$t" &
  pid=$!
  # The read builtin forks nothing: the kill follows the line within the COM1 flusher's 10 ms.
  flushed=0
  while IFS= read -r line; do
    printf '%s\n' "$line" >> "$out"
    if [ "$line" = FLUSHED ]; then kill -9 "$pid" 2>/dev/null || true; flushed=1; break; fi
  done < "$fifo"
  status=0; wait "$pid" 2>/dev/null || status=$?   # 2>: no "Killed" notice per trial
  rm -f "$fifo"
  ms=$(( $(now_ms) - start )); total_ms=$(( total_ms + ms ))
  if [ "$flushed" = 0 ]; then
    echo "trial $t: the guest never reported FLUSHED (status $status): $(head -c 300 "$work/err.$t")"; fail=$((fail + 1)); continue
  fi
  if [ "$status" != 137 ]; then
    echo "trial $t: the VMM ended with status $status before the SIGKILL reached it: nothing was tested"; fail=$((fail + 1)); continue
  fi
  if [ "$(stat -c %s "$img")" != "$size" ]; then
    echo "trial $t: image size changed to $(stat -c %s "$img")"; fail=$((fail + 1)); continue
  fi
  # A file, not <(...): the nested-KVM guest has no /dev/fd for process substitution.
  dd if="$img" bs=512 skip="$sector" count=$((bytes / 512)) status=none > "$work/got"
  if cmp -s "$work/got" "$work/expected"; then
    pass=$((pass + 1))
    echo "trial $t: ok (sector $sector, killed $ms ms after the JVM started)"
  else
    echo "trial $t: sector $sector does not hold the pattern after SIGKILL: $(cmp "$work/got" "$work/expected" 2>&1 | head -1); it starts with:"
    dd if="$img" bs=512 skip="$sector" count=1 status=none | od -An -c | head -2
    echo "  COM1: $(tr '\n' ' ' < "$out" | head -c 200)"; fail=$((fail + 1))
  fi
done
echo "durability: $pass/$trials trials passed, each killed by SIGKILL right after FLUSH returned OK" \
     "(mean $(( total_ms / trials )) ms per trial from JVM start to SIGKILL; all trials $(( ($(now_ms) - start_all) / 1000 )) s)"
# Exclusive lock: a second VM on an image another one holds is refused with a clear message.
# The holder: a real-mode guest that prints R on COM1 and spins (mov al,'R'; mov dx,0x3f8; out dx,al; jmp $).
printf '\xb0R\xba\xf8\x03\xee\xeb\xfe' > "$work/loop.bin"
"${java[@]}" run --payload "$work/loop.bin" --mode real --timeout 120 --device "virtio-blk,path=$img" \
    > "$work/holder.out" 2>&1 &
holder=$!
while ! grep -q '^R' "$work/holder.out" 2>/dev/null && kill -0 "$holder" 2>/dev/null; do sleep 0.05; done
msg="$("${java[@]}" "${guest[@]}" 2>&1 >/dev/null)" && rc=0 || rc=$?
kill -9 "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
echo "lock: second VM: status $rc: $msg"
case "$msg" in *"already in use by another VM or process"*) [ "$rc" = 2 ] || fail=$((fail + 1)) ;; *) fail=$((fail + 1)) ;; esac
[ "$(stat -c %s "$img")" = "$size" ] || { echo "image size changed"; fail=$((fail + 1)); }
[ "$fail" = 0 ]
