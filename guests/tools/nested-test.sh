#!/usr/bin/env bash
# nested-test.sh - run every built-in guest with tools/run-guest and check what it reports.
# Needs /dev/kvm; on machines without one, run it through the nested-KVM helper, e.g.
#   scripts/env/nested-kvm.sh -- guests/tools/nested-test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
make -s run-guest || exit 125
RG="timeout 300 tools/run-guest"   # a guest waiting for an interrupt that never comes would hang
PAT=tools/pattern.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect NAME EXIT_CODE CMD... : run, keep stdout/stderr, check the (v << 1) | 1 status.
expect() {
    local name=$1 code=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local want=$(( (code << 1) | 1 ))
    if [[ $rc == "$want" ]]; then echo "ok    $name"; else
        echo "FAIL  $name: status $rc, want $want"; sed 's/^/      /' "$tmp/err"; fails=$((fails + 1)); return 1; fi
}
# result I: results[I] in hex as run-guest prints it (0x...); resd I: in decimal
result() { awk -v i="$1" '$2 == "results[" i "]" { print $4 }' "$tmp/err"; }
resd() { awk -v i="$1" '$2 == "results[" i "]" { gsub(/[()]/, "", $5); print $5 }' "$tmp/err"; }
check() {  # check NAME CONDITION-STRING
    if eval "$2"; then echo "ok    $1"; else echo "FAIL  $1 ($2)"; sed 's/^/      /' "$tmp/err"; fails=$((fails + 1)); fi
}

expect hello 0 $RG bin/hello.bin
check "hello output" '[[ "$(cat $tmp/out)" == "Hello from a jvmm guest" ]]'

expect uart-poll 0 $RG --arg 0=8192 bin/uart-poll.bin
check "uart-poll bytes" '$PAT check $tmp/out >/dev/null && [[ $(stat -c %s $tmp/out) == 8192 && $(resd 0) == 8192 ]]'

expect uart-irq 0 $RG bin/uart-irq.bin
check "uart-irq bytes" '$PAT check $tmp/out >/dev/null && [[ $(stat -c %s $tmp/out) == 65536 && $(resd 0) == 65536 ]]'
check "uart-irq interrupts ~ 1 per 64 bytes" '(( $(resd 4) >= 1024 && $(resd 4) <= 1100 ))'
expect "uart-irq without irqchip" 4 $RG --no-irqchip bin/uart-irq.bin

head -c $((5 << 20)) /dev/urandom >"$tmp/disk"
fnv4m=$(tools/fnv64 "$tmp/disk" 0 $((4 << 20)))
fnv1m=$(tools/fnv64 "$tmp/disk" 0 $((1 << 20)))
expect "ata-read 1 MiB" 0 $RG --ata "$tmp/disk" --arg 0=$((1 << 20)) bin/ata-read.bin
check "ata-read checksum" '[[ $(resd 0) == $((1 << 20)) && $(result 1) == $fnv1m && $(resd 2) == 8 ]]'
expect "ata-read past the end" 0x21 $RG --ata "$tmp/disk" --arg 4=10000 bin/ata-read.bin
expect "ata-read absent" 0x20 $RG bin/ata-read.bin

for mode in 0 1 2 3 4 5 6 7; do
    expect "virtio-blk-read mode $mode" 0 $RG --virtio blk:"$tmp/disk" --arg 1=$mode bin/virtio-blk-read.bin
    check "virtio-blk-read mode $mode checksum" '[[ $(resd 0) == $((4 << 20)) && $(result 1) == $fnv4m ]]'
done
expect "virtio-blk-read 4 KiB requests, queue 16" 0 $RG --virtio blk:"$tmp/disk" --arg 2=4096 --arg 5=16 bin/virtio-blk-read.bin
check "  checksum" '[[ $(result 1) == $fnv4m && $(resd 2) == 1024 ]]'
expect "virtio-blk-read too far" 0x23 $RG --virtio blk:"$tmp/disk" --arg 4=9000 bin/virtio-blk-read.bin

for mode in 0 3 7; do
    head -c $((2 << 20)) /dev/zero >"$tmp/wdisk"
    expect "virtio-blk-write mode $mode" 0 $RG --virtio rng --virtio blk:"$tmp/wdisk" --arg 3=1 --arg 4=8 --arg 1=$mode bin/virtio-blk-write.bin
    dd if="$tmp/wdisk" of="$tmp/written" bs=512 skip=8 count=2048 status=none
    check "virtio-blk-write mode $mode on disk" '$PAT check $tmp/written >/dev/null && [[ $(resd 2) == 0 && $(result 1) == $(tools/fnv64 $tmp/written) ]]'
    check "  untouched before" '[[ $(head -c 4096 $tmp/wdisk | tr -d "\0" | wc -c) == 0 ]]'
done

for mode in 0 1 2 3; do
    expect "virtio-console mode $mode" 0 $RG --virtio console --arg 1=$mode bin/virtio-console.bin
    check "virtio-console mode $mode bytes" '$PAT check $tmp/out >/dev/null && [[ $(stat -c %s $tmp/out) == 65536 && $(resd 0) == 65536 && $(resd 2) == 16 ]]'
done
expect "virtio-console 1000 bytes in 100-byte buffers" 0 $RG --virtio console --arg 0=1000 --arg 2=100 bin/virtio-console.bin
check "  bytes" '$PAT check $tmp/out >/dev/null && [[ $(stat -c %s $tmp/out) == 1000 && $(resd 2) == 10 ]]'

for mode in 0 1 2 3; do
    expect "virtio-rng mode $mode" 0 $RG --virtio rng --arg 1=$mode --arg 0=10000 bin/virtio-rng.bin
    check "virtio-rng mode $mode count" '[[ $(resd 0) == 10000 && $(resd 2) == 3 ]]'
done
expect "virtio-rng wrong device" 0x12 $RG --virtio console bin/virtio-rng.bin
expect "virtio-rng empty slot" 0x10 $RG bin/virtio-rng.bin

echo "$fails failure(s)"
[[ $fails == 0 ]]
