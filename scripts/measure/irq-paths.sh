#!/usr/bin/env bash
# Measures virtio-console's four notify/interrupt combinations on the same work: the built-in
# virtio-console guest sends BYTES (default 65536) in 4 KiB buffers, waiting for the used ring by
# polling (irq=none) or by interrupt (irq=line: KVM_IRQ_LINE from the device; irq=irqfd: an irqfd
# KVM signals itself). Prints, per path, wall time, user-space exits, and KVM's exits and injected
# interrupts (binary stats fd).
#   scripts/measure/irq-paths.sh [BYTES]       needs /dev/kvm; elsewhere: scripts/env/nested-kvm.sh -- scripts/measure/irq-paths.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bytes=${1:-65536}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-28s %10s %12s %12s %12s\n' path wall_ms user_exits kvm_exits kvm_irqs
# path, guest mode (args[1]: bit 1 = wait by interrupt)
for row in "notify=exit,irq=none 0" "notify=exit,irq=line 2" "notify=ioeventfd,irq=none 0" "notify=ioeventfd,irq=irqfd 2"; do
  set -- $row
  # The guest reports success with a debug exit of 0, which jvmm turns into status (0 << 1) | 1.
  status=0
  ./jvmm run --payload guests/bin/virtio-console.bin --arg 0="$bytes" --arg 1="$2" \
      --device "virtio-console,$1,out=$tmp/out" --stats-json "$tmp/stats.json" > /dev/null || status=$?
  [ "$status" = 1 ] || { echo "irq-paths: $1: jvmm run exited $status, not 1 (guest success)" >&2; exit 1; }
  [ "$(stat -c %s "$tmp/out")" = "$bytes" ] || { echo "irq-paths: $1: $(stat -c %s "$tmp/out") bytes arrived, not $bytes" >&2; exit 1; }
  python3 - "$1" "$tmp/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
user = sum(r["exits"] for r in s["total"])
k = s.get("kvm_counters") or {}
print(f'{sys.argv[1]:<28} {s["wall_ns"] / 1e6:10.1f} {user:12d} {k.get("vcpu.exits", "-")!s:>12} {k.get("vcpu.irq_injections", "-")!s:>12}')
PY
done
