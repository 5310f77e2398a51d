#!/usr/bin/env bash
# kvm-unit-tests.sh - runs kvm-unit-tests' x86_64 tests under jvmm and under QEMU on the same KVM and
# prints, for each test: jvmm's result, QEMU's result and the seconds each took; then vmexit's
# subtests (cycles per exit) side by side, with each VMM's user-space exit overhead
# inl_from_qemu - inl_from_kernel and their ratio.
#
# Usage: scripts/measure/kvm-unit-tests.sh [options] KUT_DIR
#   KUT_DIR          a checkout of https://gitlab.com/kvm-unit-tests/kvm-unit-tests (you provide it; jvmm
#                    never vendors or downloads it). It is configured and built here unless --no-build.
#   --vmm LIST       jvmm,qemu (default), jvmm or qemu
#   --only NAMES     comma-separated unittests.cfg entries to run (default: every x86_64 entry)
#   --out DIR        results and logs (default: a new /tmp/jvmm-kut.XXXXXX). Given an existing DIR,
#                    the run resumes where that one stopped.
#   --no-build       use KUT_DIR as it is
#   --no-vmexit      skip the vmexit comparison (vmexit.flat with no arguments, so every subtest, on 1
#                    vCPU with QEMU's -cpu max and jvmm's --cpu host, timeout 900 s; 1 vCPU because its
#                    "parallel" subtests run on every vCPU at once, and two of them busy-waiting on one
#                    nested vCPU measure the contention; the IPI subtests are entries of their own). A
#                    subtest that never ends (self_ipi_tpr_sti_hlt in nested KVM) ends the run there: the
#                    table has the subtests measured before it
#   --vmexit-tests LIST  only these vmexit subtests, comma-separated, in vmexit.c's names (e.g.
#                    inl_from_kernel,inl_from_qemu): vmexit.flat's command line, for both VMMs
#   --mem SIZE       guest RAM for both VMMs where the entry sets none (default 128M, QEMU's default)
#
# What runs: every entry of x86/unittests.cfg for x86_64 (no "arch", or arch = x86_64) outside the
# "nodefault" group and not TCG-only. An entry runs under jvmm when jvmm can express it: its qemu_params
# may only be "-cpu max|host[,+feature|-feature...]" (jvmm's --cpu host,...), "-m SIZE" (--mem) and
# -enable-kvm; entries with other QEMU options (another CPU model or CPU properties, -machine, -global,
# -device ...) are listed as not expressible and run under QEMU alone. QEMU gets the command the suite's x86/run builds (pc-testdev, isa-debug-exit at
# 0xf4, pci-testdev, --no-reboot, the entry's qemu_params); jvmm gets --kernel FILE.flat --cmdline
# ARGS --initrd ENV --cpus SMP [--cpu ...]. Both get the same environment file (the suite's own
# errata and version variables, made with its scripts/arch-run.bash) as module 0, the same RAM and the
# entry's timeout (default 90 s). Note QEMU's default CPU model without -cpu is qemu64; jvmm's is host.
#
# Results, as the suite's run_tests.sh reads the VMM's exit status, (code << 1) | 1 from the debug exit:
# PASS (status 1: every report passed), FAIL (3: a report failed), SKIP (77: every report skipped, or a
# "check =" the machine does not meet), TIMEOUT, FAIL(STATUS) for anything else (0: the guest stopped
# without the debug exit, e.g. a triple fault under --no-reboot), ERROR(1) when QEMU exited with 1
# after an error message (it could not start: the suite's qemu_fixup_return_code reads it so too)
# or when jvmm exited with 1 without the guest's debug exit (jvmm stopped the guest, e.g. a vCPU
# error; its "jvmm: ..." line is the summary), ERROR(2) when jvmm refused its command line, and NOT
# RUN when the nested machine itself died during the test (see below).
#
# Where: with a usable /dev/kvm, here (JVMM_KUT_NESTED=1: in nested KVM all the same, to compare with
# an earlier nested run). Without one, everything runs inside ONE boot of
# scripts/env/nested-kvm.sh, QEMU and jvmm alike, so both see the same (nested) KVM. QEMU TCG has been
# seen to crash the emulated machine itself during a test (kvm-unit-tests' emulator under QEMU 7.2);
# then the test that was running is reported NOT RUN and a new nested boot resumes with the next one
# (at most JVMM_KUT_RETRIES, default 3, boots in a row without progress).
# JVMM_KUT_BUDGET=SECONDS starts no test after that many seconds (and, in nested KVM, makes one boot
# only), so that a long run can be split into shorter ones: run again with the same --out to go on.
# JVMM_KUT_NESTED_TIMEOUT (default 14400) bounds one nested boot in seconds; JVMM_KUT_NESTED_MEM (default
# 6G) is its RAM (the svm entries give their guest 4 GiB); JVMM_KUT_NESTED_CPUS (default 1) its vCPUs.
# JVMM_KUT_VMEXIT_QEMU_CPU (default max) is QEMU's -cpu for vmexit: a host whose KVM refuses what max sets
# (a PVM KVM: 'failed to set MSR 0x10a') takes host,-arch-capabilities.
# JVMM_JAVA_OPTIONS and JVMM_LEAN (./jvmm's) are passed on to jvmm there too, e.g.
# JVMM_JAVA_OPTIONS=-XX:TieredStopAtLevel=4 for C2 instead of the launcher's C1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd -P)
export LC_ALL=C
# Fields of the plan are separated by US (0x1f): tabs would merge empty fields in `read`.
us=$'\x1f'

die() { echo "kvm-unit-tests.sh: $*" >&2; exit 2; }
# Process substitution needs /dev/fd, which nested-kvm.sh's throw-away guest lacks (the script runs
# there as a whole when started inside it, where /dev/kvm exists).
if [ ! -e /dev/fd ] && [ -d /proc/self/fd ]; then ln -s /proc/self/fd /dev/fd 2>/dev/null || true; fi

# ------------------------------------------------------------------ the runner (inside KVM)
# --run-units DIR [BUDGET]: runs every unit of DIR/plan that DIR/results does not finish yet (starting
# none after BUDGET seconds, when given), appending
# "START i" before and "DONE i RESULT SECONDS SUMMARY" after each, so that a host driver can tell
# where a dead machine stopped.
run_units() {
    local dir=$1 budget=${2:-} kut env began=$SECONDS
    kut=$(cat "$dir/kut-dir")
    env="$dir/environ"
    # The suite's own scripts make it (errata for this kernel, versions); they expect no `set -u`, and
    # use process substitution, which needs /dev/fd (missing in nested-kvm.sh's throw-away guest).
    if [ ! -e /dev/fd ] && [ -d /proc/self/fd ]; then ln -s /proc/self/fd /dev/fd 2>/dev/null || true; fi
    ( set +u; cd "$kut" && . ./config.mak && . scripts/arch-run.bash && . scripts/vmm.bash && ENVIRON_DEFAULT=yes &&
        initrd_create && cp "$KVM_UNIT_TESTS_ENV" "$env" ) >/dev/null || die "could not make the environment file"
    grep -q '^KERNEL_VERSION=' "$env" || die "the environment file lacks KERNEL_VERSION: see $env"
    local i name vmm file smp args cpu mem timeout checks qemu_params
    while IFS=$us read -r i name vmm file smp args cpu mem timeout checks qemu_params; do
        if grep -q "^DONE	$i	" "$dir/results" 2>/dev/null; then continue; fi
        if [ -n "$budget" ] && [ $((SECONDS - began)) -ge "$budget" ]; then
            echo "kvm-unit-tests: the budget of $budget s is spent; run again with the same --out to go on"; break
        fi
        printf 'START\t%s\n' "$i" >>"$dir/results"
        local log="$dir/logs/$name.$vmm.log" result summary start seconds status=0 skip="" check
        for check in $checks; do
            if [ "$(cat "${check%%=*}" 2>/dev/null)" != "${check#*=}" ]; then skip="check $check"; fi
        done
        start=$EPOCHREALTIME
        if [ -n "$skip" ]; then
            echo "$skip: not met" >"$log"
        elif [ "$vmm" = qemu ]; then
            local cmd=(qemu-system-x86_64 --no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard
                -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio
                -device pci-testdev -machine accel=kvm -m "$mem" -kernel "$kut/x86/$file" -smp "$smp")
            # shellcheck disable=SC2206 # the suite's qemu_params are words
            cmd+=($qemu_params -append "$args" -initrd "$env")
            echo "${cmd[*]}" >"$log"
            timeout -k 10 "$timeout" "${cmd[@]}" </dev/null >>"$log" 2>"$log.stderr" || status=$?
            cat "$log.stderr" >>"$log"
        else
            local cmd=("$root/jvmm" run --kernel "$kut/x86/$file" --cmdline "$args" --initrd "$env" --cpus "$smp"
                --mem "$mem" --timeout "$timeout")
            if [ -n "$cpu" ]; then cmd+=(--cpu "$cpu"); fi
            echo "${cmd[*]}" >"$log"
            # jvmm's own --timeout counts guest time; the outer one allows for the JVM's start-up.
            JVMM_IN_NESTED=1 timeout -k 10 "$((timeout + 300))" "${cmd[@]}" </dev/null >>"$log" 2>&1 || status=$?
        fi
        seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
        summary=$(grep -a '^SUMMARY: ' "$log" | tail -1 | tr -d '\r' | sed 's/^SUMMARY: //') || true
        # As the suite's qemu_fixup_return_code: status 1 with a QEMU message that is not a warning is
        # QEMU failing, not the test passing. jvmm exits with 2 when it refuses its command line.
        if [ -n "$skip" ]; then result=SKIP; summary="$skip"
        elif [ "$vmm" = qemu ] && [ "$status" = 1 ] && grep -qvi warning "$log.stderr"; then result="ERROR(1)"
        elif [ "$vmm" = jvmm ] && [ "$status" = 2 ]; then result="ERROR(2)"
        # jvmm exits with 1 also when it stopped the guest itself (its timeout, a vCPU error: the
        # "jvmm: guest stopped: ..." line), so its 1 is a pass only after the guest's own debug exit.
        elif [ "$vmm" = jvmm ] && grep -aq '^jvmm: guest stopped: timed out after' "$log"; then result=TIMEOUT
        elif [ "$vmm" = jvmm ] && [ "$status" = 1 ] && ! grep -aq '^jvmm: debug exit, status 1$' "$log"; then
            result="ERROR(1)"; summary=$(grep -a '^jvmm: ' "$log" | tail -1)
        elif [ "$status" = 1 ]; then result=PASS
        elif [ "$status" = 77 ]; then result=SKIP
        elif [ "$status" = 124 ] || grep -aq 'timed out after' "$log"; then result=TIMEOUT
        elif [ "$status" = 3 ]; then result=FAIL
        else result="FAIL($status)"
        fi
        rm -f "$log.stderr"
        printf 'DONE\t%s\t%s\t%s\t%s\tstatus %s\n' "$i" "$result" "$seconds" "$summary" "$status" >>"$dir/results"
        echo "kvm-unit-tests: $name under $vmm: $result in ${seconds%.*} s ${summary:+($summary)}"
    done <"$dir/plan"
}

if [ "${1:-}" = --run-units ]; then
    run_units "$2" "${3:-}"
    exit 0
fi

# ------------------------------------------------------------------ options
vmms=jvmm,qemu only="" out="" build=1 vmexit=1 mem=128M vmexit_tests="" vmexit_qemu_cpu=${JVMM_KUT_VMEXIT_QEMU_CPU:-max}
while [ $# -gt 0 ]; do
    case $1 in
        --vmm) vmms=${2:?--vmm needs jvmm, qemu or jvmm,qemu}; shift 2 ;;
        --only) only=${2:?--only needs names}; shift 2 ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --no-build) build=0; shift ;;
        --no-vmexit) vmexit=0; shift ;;
        --vmexit-tests) vmexit_tests=${2:?--vmexit-tests needs subtest names}; vmexit_tests=${vmexit_tests//,/ }; shift 2 ;;
        --mem) mem=${2:?--mem needs a size}; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) break ;;
    esac
done
[ $# = 1 ] || die "give the kvm-unit-tests checkout: scripts/measure/kvm-unit-tests.sh [options] KUT_DIR"
kut=$(cd "$1" 2>/dev/null && pwd -P) || die "no directory $1"
[ -f "$kut/x86/unittests.cfg" ] || die "$kut is not a kvm-unit-tests checkout (no x86/unittests.cfg)"
case ,$vmms, in *,qemu,*) command -v qemu-system-x86_64 >/dev/null ||
    die "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86), or use --vmm jvmm" ;; esac
case $vmms in jvmm|qemu|jvmm,qemu|qemu,jvmm) ;; *) die "--vmm takes jvmm, qemu or jvmm,qemu, not '$vmms'" ;; esac

if [ "$build" = 1 ]; then
    echo "kvm-unit-tests.sh: building $kut" >&2
    ( cd "$kut" && { [ -f config.mak ] || ./configure >/dev/null; } && make -s -j"$(nproc)" >/dev/null ) ||
        die "building kvm-unit-tests failed (run ./configure && make in $kut to see why)"
fi
if [ -z "$out" ]; then out=$(mktemp -d /tmp/jvmm-kut.XXXXXX); fi
mkdir -p "$out/logs"
echo "$kut" >"$out/kut-dir"

# ------------------------------------------------------------------ the plan
# One line per unit: index, name, vmm, file, smp, args, jvmm's --cpu, RAM, timeout (s), checks, qemu_params.
# A second file lists the entries jvmm cannot express.
plan_entries() {
    awk -v only=",$only," '
    function flush() {
        if (name == "") return
        if ((arch == "" || arch == "x86_64") && groups !~ /(^| )nodefault( |$)/ && accel != "tcg" &&
            (only == ",," || index(only, "," name ",") > 0))
            printf "%s\037%s\037%s\037%s\037%s\037%s\037%s\n", name, file, smp, args, timeout, check, params
        name = ""; file = ""; smp = "1"; args = ""; timeout = "90"; check = ""; params = ""; arch = ""; groups = ""; accel = ""
    }
    /^\[.*\]/ { flush(); name = substr($0, 2, length($0) - 2); next }
    /^[a-z_]+ *=/ {
        key = $0; sub(/ *=.*/, "", key); value = $0; sub(/^[a-z_]+ *= */, "", value)
        gsub(/^'\''|'\''$/, "", value); gsub(/^"|"$/, "", value)
        if (key == "file") file = value; else if (key == "smp") smp = value; else if (key == "test_args") args = value
        else if (key == "timeout") { timeout = value; sub(/s$/, "", timeout) } else if (key == "check") check = value
        else if (key == "qemu_params" || key == "extra_params") params = value; else if (key == "arch") arch = value
        else if (key == "groups") groups = value; else if (key == "accel") accel = value
    }
    END { flush() }' "$kut/x86/unittests.cfg"
}

# jvmm's options for an entry's qemu_params, "CPU<US>MEM" (either may be empty), or a reason they
# cannot be expressed, prefixed with "!". -enable-kvm says nothing new; host-phys-bits and migratable=no
# are what jvmm's host CPU is anyway (KVM's supported CPUID, physical address bits included, unfiltered).
jvmm_options() {
    local params=$1 word model features f cpu="" mem=""
    # shellcheck disable=SC2086 # the suite's qemu_params are words
    set -- $params
    while [ $# -gt 0 ]; do
        word=$1; shift
        case $word in
            -enable-kvm) ;;
            -m) mem=${1:-}; shift
                case $mem in *[!0-9]*) mem=${mem^^} ;; *) mem=${mem}M ;; esac ;;
            -cpu)
                model=${1%%,*}; features=${1#"$model"}; shift
                case $model in max|host) ;; *) echo "!-cpu $model (jvmm offers host)"; return ;; esac
                cpu=host
                for f in ${features//,/ }; do
                    case $f in
                        [+-]vmx-*) echo "!-cpu ${f} (a VMX capability, not a CPUID bit)"; return ;;
                        +*|-*) cpu+=",$f" ;;
                        host-phys-bits|host-phys-bits=on|migratable=no|migratable=off) ;;
                        *) echo "!-cpu property $f"; return ;;
                    esac
                done ;;
            *) echo "!QEMU option $word${1:+ $1}"; return ;;
        esac
    done
    echo "$cpu$us$mem"
}

if [ ! -f "$out/plan" ]; then
    : >"$out/plan.tmp"; : >"$out/not-expressible"
    i=0
    while IFS=$us read -r name file smp args timeout check params; do
        options=$(jvmm_options "$params")
        cpu=${options%%"$us"*} entry_mem=${options#*"$us"}
        if [ "${options:0:1}" = "!" ]; then cpu="" entry_mem=""; fi
        for vmm in ${vmms//,/ }; do
            if [ "$vmm" = jvmm ] && [ "${options:0:1}" = "!" ]; then continue; fi
            printf "%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s\n" "$i" "$name" "$vmm" "$file" "$smp" "$args" \
                "$cpu" "${entry_mem:-$mem}" "$timeout" "$check" "$params" >>"$out/plan.tmp"
            i=$((i + 1))
        done
        if [ "${options:0:1}" = "!" ]; then printf '%s\t%s\n' "$name" "${options:1}" >>"$out/not-expressible"; fi
    done < <(plan_entries)
    if [ "$vmexit" = 1 ]; then
        for vmm in ${vmms//,/ }; do
            printf "%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s$us%s\n" "$i" vmexit-all "$vmm" vmexit.flat 1 \
                "$vmexit_tests" host \
                "$mem" 900 "" "-cpu $vmexit_qemu_cpu" >>"$out/plan.tmp"
            i=$((i + 1))
        done
    fi
    mv "$out/plan.tmp" "$out/plan"
fi
total=$(wc -l <"$out/plan")
[ "$total" -gt 0 ] || die "no test to run (--only '$only' matches no x86_64 entry?)"

# ------------------------------------------------------------------ run, resuming after a dead machine
done_count() { grep -c '^DONE' "$out/results" 2>/dev/null || true; }
# A START without its DONE: the machine died in that unit.
close_dead_unit() {
    local last
    last=$(grep -E '^(START|DONE)' "$out/results" 2>/dev/null | tail -1) || true
    if [ "${last%%	*}" = START ]; then
        printf 'DONE\t%s\tNOT RUN\t0\tthe nested machine died during this test\n' "${last#START	}" >>"$out/results"
        echo "kvm-unit-tests.sh: the machine died during unit ${last#START	}; it is reported NOT RUN" >&2
    fi
}
touch "$out/results"
close_dead_unit
case ,$vmms, in *,jvmm,*)
    # Built here, where Maven may reach the network; the nested machine cannot.
    "$root/jvmm" --version >/dev/null || die "building jvmm failed" ;;
esac
cd "$root" # nested-kvm.sh shares the work tree the current directory is in
if [ "${JVMM_KUT_NESTED:-0}" != 1 ] && [ -e /dev/kvm ] && { exec 3<>/dev/kvm; } 2>/dev/null; then
    exec 3>&-
    "$0" --run-units "$out" "${JVMM_KUT_BUDGET:-}"
else
    retries=${JVMM_KUT_RETRIES:-3} stalled=0
    # The launcher's JVM choices reach jvmm in the nested machine, whose environment starts empty.
    jvm_env=()
    for var in JVMM_JAVA_OPTIONS JVMM_LEAN; do
        if [ -n "${!var:-}" ]; then jvm_env+=("$var=${!var}"); fi
    done
    while [ "$(done_count)" -lt "$total" ] && [ "$stalled" -lt "$retries" ]; do
        before=$(done_count)
        echo "kvm-unit-tests.sh: no usable /dev/kvm here: running $((total - before)) of $total runs inside" \
            "scripts/env/nested-kvm.sh" >&2
        "$root/scripts/env/nested-kvm.sh" --timeout "${JVMM_KUT_NESTED_TIMEOUT:-14400}" --idle-timeout 1900 \
            --mem "${JVMM_KUT_NESTED_MEM:-6G}" --cpus "${JVMM_KUT_NESTED_CPUS:-1}" \
            --share "$out" --share-ro "$kut" -- env "${jvm_env[@]}" "$root/scripts/measure/kvm-unit-tests.sh" --run-units "$out" \
            "${JVMM_KUT_BUDGET:-}" || true
        close_dead_unit
        if [ -n "${JVMM_KUT_BUDGET:-}" ]; then break; fi # one boot per budget: the caller resumes
        if [ "$(done_count)" -gt "$before" ]; then stalled=0; else stalled=$((stalled + 1)); fi
    done
fi

# ------------------------------------------------------------------ report
result_of() { # index -> "RESULT<TAB>SECONDS<TAB>SUMMARY", or nothing
    grep "^DONE	$1	" "$out/results" | tail -1 | cut -f3-
}
echo
printf '%-40s %-9s %-9s %8s %8s\n' test jvmm QEMU "jvmm s" "QEMU s"
declare -A res secs
while IFS=$us read -r i name vmm _; do
    r=$(result_of "$i")
    res[$name.$vmm]=${r%%	*}
    rest=${r#*	}
    secs[$name.$vmm]=${rest%%	*}
done <"$out/plan"
cut -d"$us" -f2 "$out/plan" | grep -v '^vmexit-all$' | awk '!seen[$0]++' | while read -r name; do
    printf '%-40s %-9s %-9s %8s %8s\n' "$name" "${res[$name.jvmm]:-n/a}" "${res[$name.qemu]:-n/a}" \
        "${secs[$name.jvmm]:--}" "${secs[$name.qemu]:--}"
done
if [ -s "$out/not-expressible" ]; then
    echo
    echo "not expressible in jvmm (QEMU only):"
    sed 's/\t/: /; s/^/  /' "$out/not-expressible"
fi
for vmm in jvmm qemu; do
    pass=0 n=0
    for key in "${!res[@]}"; do
        case $key in vmexit-all.*) continue ;; *."$vmm") n=$((n + 1)); [ "${res[$key]}" = PASS ] && pass=$((pass + 1)) ;; esac
    done
    [ "$n" -gt 0 ] && echo "$vmm: $pass of $n runs passed"
done

if grep -q "${us}vmexit-all$us" "$out/plan"; then
    echo
    vmexit_tests=$(awk -F"$us" '$2 == "vmexit-all" { print $6; exit }' "$out/plan") # the plan's, on a resume too
    qemu_cpu=$(awk -F"$us" '$2 == "vmexit-all" && $3 == "qemu" { print $11; exit }' "$out/plan")
    echo "vmexit, ${vmexit_tests:-all subtests}, 1 vCPU, ${qemu_cpu:--cpu max} / --cpu host (cycles per iteration; logs/vmexit-all.*.log):"
    cycles() { [ -f "$out/logs/vmexit-all.$1.log" ] && tr -d '\r' <"$out/logs/vmexit-all.$1.log" |
        grep -E '^[a-z0-9_-]+ -?[0-9]+$' || true; }
    printf '%-28s %12s %12s\n' "(the run's result)" "${res[vmexit-all.jvmm]:-n/a}" "${res[vmexit-all.qemu]:-n/a}"
    printf '%-28s %12s %12s\n' subtest jvmm QEMU
    join -a1 -a2 -e - -o 0,1.2,2.2 <(cycles jvmm | sort) <(cycles qemu | sort) | while read -r t j q; do
        printf '%-28s %12s %12s\n' "$t" "$j" "$q"
    done
    overhead() {
        local l
        l=$(cycles "$1")
        awk '$1 == "inl_from_qemu" { q = $2 } $1 == "inl_from_kernel" { k = $2 }
             END { if (q != "" && k != "") print q - k }' <<<"$l"
    }
    oj=$(overhead jvmm) oq=$(overhead qemu)
    echo "user-space exit overhead (inl_from_qemu - inl_from_kernel): jvmm ${oj:-n/a}, QEMU ${oq:-n/a}" \
        "$( [ -n "$oj" ] && [ -n "$oq" ] && awk -v j="$oj" -v q="$oq" 'BEGIN { if (q > 0) printf "(jvmm/QEMU %.2f)", j / q }')"
fi
echo
echo "logs and results: $out"
