#!/usr/bin/env bash
# disasm-check.sh ELF... - fail if a guest contains instructions the host's KVM cannot run.
#
# Ring 0 (.ktext) is executed by KVM's instruction emulator, which lacks SSE/AVX/x87 arithmetic, the
# XSAVE family, int3 and int n (each ends the run with KVM_EXIT_INTERNAL_ERROR), the fences, rdtscp,
# cmpxchg16b and rdrand/rdseed; vmcall hangs. Ring 3 (.text) runs natively, but the guests are built
# without SSE/x87 throughout and must not contain breakpoints or software interrupts either.
# Direct calls and jumps out of .ktext fail too: ring-0 code reaching a ring-3 function would be
# interpreted without passing this check. Indirect calls (the registered interrupt handlers) cannot be
# followed; irq_register's callers pass KERNEL functions.
set -euo pipefail
OBJDUMP=${OBJDUMP:-objdump}
status=0
for elf in "$@"; do
    read -r kstart ksize < <("$OBJDUMP" -h "$elf" | awk '$2 == ".ktext" { print $4, $3 }')
    tss=$(nm "$elf" | awk '$3 == "__tss" { print $1 }')
    tss_end=$(nm "$elf" | awk '$3 == "__tss_end" { print $1 }')
    for sec in .ktext .text; do
        "$OBJDUMP" -d --no-show-raw-insn -j "$sec" "$elf" | awk -v sec="$sec" -v elf="$elf" \
            -v kstart="$((16#$kstart))" -v kend="$((16#$kstart + 16#$ksize))" \
            -v tss="$((16#$tss))" -v tss_end="$((16#$tss_end))" '
        function hex(s,   i, v) {   # mawk has no strtonum
            v = 0; s = tolower(s)
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        function bad(why) { printf "%s: %s %s: %s\n", elf, sec, why, $0; found = 1 }
        /^ *[0-9a-f]+:\t/ {
            addr = hex(substr($1, 1, length($1) - 1))
            if (sec == ".ktext" && addr >= tss && addr < tss_end) next      # the TSS is data
            split($0, f, "\t"); insn = f[2]; mnem = insn; sub(/ .*/, "", mnem)
            if (mnem ~ /^(rep|repz|repnz|lock|data16|addr32|cs|ds|es|ss|fs|gs|notrack|bnd)$/) {
                rest = insn; sub(/^[^ ]+ +/, "", rest); mnem = rest; sub(/ .*/, "", mnem)
            }
            if (insn ~ /%[xyz]mm[0-9]|%mm[0-7]|%k[0-7]|%st/) bad("SSE/MMX/AVX/x87 register")
            else if (mnem ~ /^f/) bad("x87 instruction")
            else if (mnem ~ /^(ldmxcsr|stmxcsr|movnti|maskmovq|emms|prefetch(nta|t0|t1|t2))$/) bad("SSE instruction")
            else if (mnem ~ /^(xsave|xsaveopt|xsavec|xsaves|xrstor|xrstors|xgetbv|xsetbv)(64)?$/) bad("XSAVE family")
            else if (mnem ~ /^(int3|int|into|int1|icebp)$/) bad("breakpoint / software interrupt")
            else if (sec == ".ktext" && mnem ~ /^(mfence|lfence|sfence|rdtscp|cmpxchg16b|rdrand|rdseed|vmcall|vmmcall)$/)
                bad("not emulated at CPL0")
            else if (sec == ".ktext" && mnem ~ /^(call|jmp|j[a-z]+|loop[a-z]*)$/ && insn ~ / [0-9a-f]+ </) {
                t = insn; sub(/^[^ ]+ +/, "", t); sub(/ .*/, "", t); t = hex(t)
                if (t < kstart || t >= kend) bad("ring-0 code leaves .ktext")
            }
        }
        END { exit found }' || status=1
    done
done
if [[ $status == 0 ]]; then echo "disasm-check: $# images clean"; fi
exit $status
