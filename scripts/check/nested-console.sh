#!/usr/bin/env bash
# nested-console.sh - the interactive console through nested KVM, as a user meets it on a host without
# /dev/kvm: ./jvmm run on a terminal (a pty made by script) runs inside scripts/env/nested-kvm.sh --tty;
# the guest's output reaches the terminal, Ctrl-A x typed there stops jvmm in the guest (without it the
# guest would spin until --timeout and jvmm exit 1), jvmm exits 0, and the terminal's settings are what
# they were before.
#
# Usage: scripts/check/nested-console.sh      (needs no /dev/kvm on this host, script and stty)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
for tool in script stty; do
    command -v "$tool" >/dev/null || { echo "nested-console: needs $tool" >&2; exit 1; }
done
if [ -e /dev/kvm ]; then
    echo "nested-console: this host has /dev/kvm, so ./jvmm does not go through nested KVM; nothing to check" >&2
    exit 0
fi
work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; rm -rf "$work"' EXIT
# Real mode: mov al, 'R'; mov dx, 0x3f8; out dx, al; jmp $ (prints R, then spins until stopped).
printf '\xb0R\xba\xf8\x03\xee\xeb\xfe' >"$work/loop.bin"
mkfifo "$work/keys"
# What the guest printed: the screen without jvmm's and nested-kvm's own lines and colour codes.
guest_output() {
    tr -d '\r' <"$work/screen" | sed 's/\x1b\[[0-9;]*m//g' | grep -v -E '^(jvmm|nested-kvm):' || true
}
session="stty -g >'$work/before'; '$root/jvmm' run --payload '$work/loop.bin' --mode real --timeout 600;"
session+=" echo \"jvmm-status=\$?\"; stty -g >'$work/after'"
script -qfec "$session" /dev/null <"$work/keys" >"$work/screen" 2>&1 &
pid=$!
exec 3>"$work/keys" # keep the terminal's input open until we type
for _ in $(seq 600); do
    guest_output | grep -q R && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
done
if ! guest_output | grep -q R; then
    echo "nested-console: FAILED: the guest's output never reached the terminal; screen:" >&2
    cat "$work/screen" >&2
    exit 1
fi
printf '\001x' >&3
for _ in $(seq 300); do
    grep -q 'jvmm-status=' "$work/screen" && break
    sleep 1
done
exec 3>&-
wait "$pid" || true
screen=$(tr -d '\r' <"$work/screen")
status=$(sed -n 's/.*jvmm-status=\([0-9]*\).*/\1/p' <<<"$screen" | tail -n1)
if [ "$status" != 0 ]; then
    echo "nested-console: FAILED: jvmm exited with '${status:-nothing}' after Ctrl-A x; screen:" >&2
    printf '%s\n' "$screen" >&2
    exit 1
fi
if ! cmp -s "$work/before" "$work/after"; then
    echo "nested-console: FAILED: the terminal was not restored: $(cat "$work/before") -> $(cat "$work/after")" >&2
    exit 1
fi
grep -q 'jvmm: quit from the console (Ctrl-A x)' <<<"$screen" \
    || { echo "nested-console: FAILED: jvmm did not say it quit; screen:" >&2; printf '%s\n' "$screen" >&2; exit 1; }
echo "nested-console: ok: output reached the terminal, Ctrl-A x quit with status 0, terminal restored"
