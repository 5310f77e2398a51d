#!/usr/bin/env bash
# Durability of virtio-blk FLUSH: each trial runs guests/bin/virtio-blk-write.bin on a scratch image
# with a trial-specific sector, waits for the guest's "FLUSHED" line on COM1 (printed once FLUSH
# returned OK), kills the JVM with SIGKILL at once, and checks the image holds the pattern at that
# sector. Also checks the image is never grown or truncated, and that a second VM on an image in use
# gets the lock error. Needs /dev/kvm: where there is none, run it with
#   scripts/nested-kvm.sh -- scripts/durability-check.sh [TRIALS]
# Prints one line per failure and a summary "durability: P/T trials passed"; exits 1 on any failure.
set -euo pipefail
trials="${1:-100}"
root="$(cd "$(dirname "$0")/.." && pwd -P)"
. "$root/scripts/find-jdk.sh"
jvmm_find_jdk >/dev/null || exit 1
[ -r /dev/kvm ] || { echo "durability: no /dev/kvm; run under scripts/nested-kvm.sh" >&2; exit 125; }
"$root/jvmm" --version >/dev/null   # builds once if stale
cli="$root/vmm-cli/target/vmm-cli.jar"
java=("$JAVA_HOME/bin/java" --enable-native-access=org.jvmm.core -p "$cli:$root/vmm-cli/target/lib"
      -m org.jvmm.cli/org.jvmm.cli.Main)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
img="$work/disk.img"
size=$((8 << 20))            # 16384 sectors
bytes=4096                   # per trial: 8 sectors
truncate -s "$size" "$img"
# The expected bytes: the guest test pattern of guests/lib/jvmm.h, pattern offset 0 at the first byte.
python3 - "$bytes" > "$work/expected" <<'PY'
import sys
a = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
n = int(sys.argv[1])
sys.stdout.buffer.write(bytes(10 if i % 64 == 63 else a[(i // 64 + i % 64) % 62] for i in range(n)))
PY
pass=0; fail=0; total_ms=0
for t in $(seq 1 "$trials"); do
  sector=$(( (t * 8) % (size / 512 - 8) ))
  # Zero the target range first so a pass cannot come from an earlier trial.
  dd if=/dev/zero of="$img" bs=512 seek="$sector" count=8 conv=notrunc status=none
  out="$work/out.$t"
  : > "$out"
  start=$(date +%s%N)
  "${java[@]}" run --payload "$root/guests/bin/virtio-blk-write.bin" --timeout 300 \
      --device "virtio-blk,path=$img" --arg 0="$bytes" --arg 4="$sector" > "$out" 2>"$work/err.$t" &
  pid=$!
  # Poll COM1 output for the marker, then SIGKILL before the guest can do anything else.
  while ! grep -q FLUSHED "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  total_ms=$(( total_ms + ($(date +%s%N) - start) / 1000000 ))
  if ! grep -q FLUSHED "$out"; then
    echo "trial $t: the guest never reported FLUSHED: $(head -c 300 "$work/err.$t")"; fail=$((fail + 1)); continue
  fi
  if [ "$(stat -c %s "$img")" != "$size" ]; then
    echo "trial $t: image size changed to $(stat -c %s "$img")"; fail=$((fail + 1)); continue
  fi
  # A file, not <(...): the nested-KVM guest has no /dev/fd for process substitution.
  dd if="$img" bs=512 skip="$sector" count=8 status=none > "$work/got"
  if cmp -s "$work/got" "$work/expected"; then
    pass=$((pass + 1))
  else
    echo "trial $t: sector $sector does not hold the pattern after SIGKILL: $(cmp "$work/got" "$work/expected" 2>&1 | head -1); it starts with:"
    dd if="$img" bs=512 skip="$sector" count=1 status=none | od -An -c | head -2
    echo "  COM1: $(tr '\n' ' ' < "$out" | head -c 200)"; fail=$((fail + 1))
  fi
done
echo "durability: $pass/$trials trials passed (mean $(( total_ms / trials )) ms from start to SIGKILL)"
# Exclusive lock: a second VM on an image another one holds is refused with a clear message.
# The holder: a real-mode guest that prints R on COM1 and spins (mov al,'R'; mov dx,0x3f8; out dx,al; jmp $).
printf '\xb0R\xba\xf8\x03\xee\xeb\xfe' > "$work/loop.bin"
"${java[@]}" run --payload "$work/loop.bin" --mode real --timeout 120 --device "virtio-blk,path=$img" \
    > "$work/holder.out" 2>&1 &
holder=$!
while ! grep -q R "$work/holder.out" 2>/dev/null && kill -0 "$holder" 2>/dev/null; do sleep 0.05; done
msg="$("${java[@]}" run --payload "$root/guests/bin/virtio-blk-write.bin" --device "virtio-blk,path=$img" 2>&1 >/dev/null)" && rc=0 || rc=$?
kill -9 "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
echo "lock: second VM: status $rc: $msg"
case "$msg" in *"already in use by another VM or process"*) [ "$rc" = 2 ] || fail=$((fail + 1)) ;; *) fail=$((fail + 1)) ;; esac
[ "$(stat -c %s "$img")" = "$size" ] || { echo "image size changed"; fail=$((fail + 1)); }
[ "$fail" = 0 ]
