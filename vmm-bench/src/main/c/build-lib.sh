#!/bin/sh
# Builds the C side of the benchmarks (kvm_bench.c for the KVM ones, exit_cost.c for ExitCostBenchmark)
# as $1/libjvmmbench.so; Maven runs it with target/classes/native so the library lands in the
# benchmarks jar.
set -eu
if ! command -v gcc >/dev/null 2>&1; then
    echo "vmm-bench: gcc not found; it builds the C baselines of the KVM benchmarks: install gcc" >&2
    exit 1
fi
mkdir -p "$1"
exec gcc -O2 -Wall -Wextra -Werror -shared -fPIC -pthread -o "$1/libjvmmbench.so" \
    "$(dirname "$0")/kvm_bench.c" "$(dirname "$0")/exit_cost.c"
