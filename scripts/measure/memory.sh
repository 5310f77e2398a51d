#!/usr/bin/env bash
# What the VMM itself weighs: jvmm's resident memory minus the guest RAM it touched, with the JVM
# options ./jvmm chooses, read by jvmm from /proc/self when its guest stops (JVMM_STARTUP_REPORT=1,
# see vmm-cli's StartupReport):
#
#   scripts/measure/memory.sh [ROUNDS] [--no-linux]      (default 3 rounds)
#
#   hello   ./jvmm run of guests/bin/hello.bin, ROUNDS times: memory at its debug exit; then once
#           with JVMM_LEAN=0 (the JVM's default options instead of the launcher's lean ones), and once
#           with the lean options but C2 back on (JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4)
#   linux   Debian's kernel (scripts/env/fetch-guest.sh: vmlinux + the busybox initramfs), 1 vCPU,
#           512 MiB, booted to the initramfs's shell; once the shell runs, the script stops jvmm
#           with SIGTERM and jvmm reports its memory as the guest sat at the prompt
# Columns, in MiB: rss (resident set), peak (VmHWM), guest (the resident pages of guest RAM),
# vmm = rss - guest, and anon / file (the kernel's split of rss: guest RAM is anonymous, the JVM's
# code and the AOT cache are file pages).
# Needs /dev/kvm: without it, the script re-runs itself inside scripts/env/nested-kvm.sh. Memory
# is not slowed by emulation, so figures from nested KVM hold for a host with KVM.
set -euo pipefail
rounds=3
linux=1
for a in "$@"; do
  case "$a" in
    --no-linux) linux=0 ;;
    [0-9]*) rounds="$a" ;;
    *) echo "memory: unknown argument '$a' (usage: memory.sh [ROUNDS] [--no-linux])" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/../.." && pwd -P)"
cd "$root"
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
hello="$root/guests/bin/hello.bin"
if [ -z "${JVMM_IN_NESTED:-}" ]; then
  ./jvmm --version >/dev/null
  if [ "$linux" = 1 ]; then scripts/env/fetch-guest.sh >/dev/null || exit 2; fi
  if [ ! -e /dev/kvm ]; then
    echo "memory: no /dev/kvm here: running inside scripts/env/nested-kvm.sh" >&2
    args=("$rounds"); [ "$linux" = 1 ] || args+=(--no-linux)
    exec scripts/env/nested-kvm.sh --timeout 3600 --idle-timeout 900 -- env JVMM_IN_NESTED=1 "$0" "${args[@]}"
  fi
fi
where="host KVM"
[ -n "${JVMM_IN_NESTED:-}" ] && where="nested KVM"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

report() { # FILE: the jvmm-startup line in it, or fail
  grep -m1 '^jvmm-startup:' "$1" || { cat "$1" >&2; echo "memory: jvmm printed no report" >&2; exit 1; }
}
row() { # LABEL REPORT-LINE
  local label="$1" line="$2"
  awk -v label="$label" -v line="$line" 'BEGIN {
    n = split(line, parts, " ")
    for (i = 1; i <= n; i++) { split(parts[i], kv, "="); v[kv[1]] = kv[2] }
    printf "  %-18s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", label, v["rss_kib"] / 1024, v["hwm_kib"] / 1024,
      v["guest_kib"] / 1024, v["vmm_kib"] / 1024, v["anon_kib"] / 1024, v["file_kib"] / 1024 }'
}

./jvmm run --payload "$hello" >/dev/null 2>&1 || true   # warm-up, and the AOT cache trained here
echo "memory: on $where, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)${JVMM_JAVA_OPTIONS:+, JVMM_JAVA_OPTIONS=$JVMM_JAVA_OPTIONS}; MiB"
printf '  %-18s %8s %8s %8s %8s %8s %8s\n' "" rss peak guest vmm anon file
for r in $(seq 1 "$rounds"); do
  rc=0
  JVMM_STARTUP_REPORT=1 ./jvmm run --payload "$hello" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = 1 ] || { cat "$work/out" "$work/err" >&2; echo "memory: hello exited with $rc, not 1" >&2; exit 1; }
  row "hello #$r" "$(report "$work/err")"
done
# The same guest with the JVM's default options instead of the launcher's lean ones (JVMM_LEAN=0).
JVMM_LEAN=0 ./jvmm run --payload "$hello" >/dev/null 2>&1 || true   # its own AOT cache, trained here
rc=0
JVMM_LEAN=0 JVMM_STARTUP_REPORT=1 ./jvmm run --payload "$hello" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || { cat "$work/out" "$work/err" >&2; echo "memory: hello (JVMM_LEAN=0) exited with $rc, not 1" >&2; exit 1; }
row "hello, JVMM_LEAN=0" "$(report "$work/err")"
# The lean options with C2 back on: what the lean set's C1-only JIT saves.
c2=(JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4)
env "${c2[@]}" ./jvmm run --payload "$hello" >/dev/null 2>&1 || true   # its own AOT cache, trained here
rc=0
env "${c2[@]}" JVMM_STARTUP_REPORT=1 ./jvmm run --payload "$hello" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || { cat "$work/out" "$work/err" >&2; echo "memory: hello (C2) exited with $rc, not 1" >&2; exit 1; }
row "hello, C2" "$(report "$work/err")"

if [ "$linux" = 1 ]; then
  guest="$(scripts/env/fetch-guest.sh --print-dir)"
  JVMM_STARTUP_REPORT=1 ./jvmm run --kernel "$guest/vmlinux" --initrd "$guest/initramfs.cpio.gz" --mem 512M \
    --cmdline "console=ttyS0 earlyprintk=serial panic=-1" --timeout 1800 </dev/null >"$work/linux.out" 2>"$work/linux.err" &
  pid=$!   # ./jvmm execs java: this is the JVM
  # The initramfs's init prints its marker, loads nothing more and starts the shell: give it a
  # moment at the prompt, then stop jvmm the way a user's kill would.
  waited=0
  until grep -q 'JVMM_GUEST_INIT_OK' "$work/linux.out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge 1700 ]; then
      cat "$work/linux.out" "$work/linux.err" | tail -20 >&2
      echo "memory: Debian's kernel did not reach its init" >&2
      exit 1
    fi
    sleep 2; waited=$((waited + 2))
  done
  sleep 10
  kill -TERM "$pid"
  wait "$pid" || true
  row "linux shell" "$(report "$work/linux.err")"
  echo "  (Debian $(cat "$guest/kernel-version"), init after $(grep -oE 'JVMM_GUEST_INIT_OK [0-9.]+s' "$work/linux.out" | head -1 | cut -d' ' -f2) of guest time)"
fi
