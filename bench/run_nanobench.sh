#!/usr/bin/env bash
# The comparison harness: runs the nanobenchmark guest on every prevt engine that can run here,
# on QEMU TCG when installed (the reference), and the host floors (bench/signal_floor), REPS
# times each, in one run; writes docs/benchmarks.md (medians with min-max).
#   bench/run_nanobench.sh [REPS]        (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
prevt=build/core/prevt
guest=build/tests/guests/nanobench.elf
floor=build/bench/prevt_signal_floor
out=docs/benchmarks.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$prevt" ] && [ -f "$guest" ] && [ -x "$floor" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }

mhz=$("$prevt" host | awk '/^tsc-mhz:/ {print $2}')
engines=(trap bt)
qemu=$(command -v qemu-system-i386 || true)

run_engine() {  # run_engine NAME -> appends "name value" lines to $tmp/NAME
    local e=$1 i
    for ((i = 0; i < reps; i++)); do
        if [ "$e" = qemu ]; then
            timeout 120 "$qemu" -nodefaults -no-reboot -m 128 -kernel "$guest" -serial stdio \
                -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null || true
        else
            "$prevt" run --engine "$e" --timeout 120 "$guest" </dev/null || true
        fi
    done | awk -F'|' '/^BENCH\|/ {print $2, $3}' >>"$tmp/$e"
}
for e in "${engines[@]}"; do run_engine "$e"; done
[ -n "$qemu" ] && run_engine qemu
"$floor" --benchmark_repetitions="$reps" --benchmark_format=csv 2>/dev/null |
    awk -F, -v mhz="$mhz" '/_median"?,/ {gsub(/"/, "", $1); sub(/_median/, "", $1); print $1, $3 * mhz / 1000}' >"$tmp/floor"

# median (min-max) of the values for one benchmark in one file
stat() {
    awk -v n="$2" '$1 == n {print $2}' "$tmp/$1" 2>/dev/null | sort -n |
        awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit} m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
             printf "%.0f (%.0f-%.0f)", m, v[1], v[NR]}'
}
median() { awk -v n="$2" '$1 == n {print $2}' "$tmp/$1" | sort -n | awk '{v[NR]=$1} END {if (NR) print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ns() { [ -n "$1" ] && awk -v c="$1" -v m="$mhz" 'BEGIN {printf "%.0f", c * 1000 / m}' || echo "-"; }

{
    echo "# Benchmarks"
    echo
    echo "Produced by \`bench/run_nanobench.sh $reps\` on $(date -u +%Y-%m-%d). Host: $("$prevt" host | sed -n 's/^cpu: //p'),"
    echo "TSC $mhz MHz, $(uname -sr), $(nproc) cores. Host cycles per operation, measured by the guest"
    echo "with rdtsc (bench/guests/nanobench.c); median of $reps runs with min-max; ns at the TSC rate."
    echo
    echo "| operation | trap engine, cycles | trap, ns | bt engine, cycles | bt, ns | QEMU TCG, cycles | 2006 native / VMware BT / VT-x (P4 cycles) |"
    echo "|---|---|---|---|---|---|---|"
    for b in cli_sti in_port int80_iret divide_by_zero call_ret cpu_loop; do
        case $b in
            cli_sti) paper="- / - / - (cli+sti pair)";;
            in_port) paper="3209 / ~214 / 15826";;
            int80_iret) paper="syscall: BT ~ native + 2000, VT-x ~ native";;
            divide_by_zero) paper="889 / 3223 / 1014";;
            call_ret) paper="11 / 51 / 11";;
            cpu_loop) paper="(sieve + fib + crc, whole run)";;
        esac
        echo "| $b | $(stat trap $b) | $(ns "$(median trap $b)") | $(stat bt $b) | $(ns "$(median bt $b)") | $(stat qemu $b) | $paper |"
    done
    echo
    echo "Host floors (bench/signal_floor.cpp, Google Benchmark, same run), cycles:"
    echo
    echo "| floor | cycles | ns |"
    echo "|---|---|---|"
    while read -r name cyc; do
        echo "| $name | $(printf %.0f "$cyc") | $(ns "$cyc") |"
    done <"$tmp/floor"
    t=$(median trap in_port)
    f=$(awk '$1 == "BareSignalTrap" {print $2}' "$tmp/floor")
    if [ -n "$t" ] && [ -n "$f" ]; then
        echo
        echo "One trap-engine trap (\`in\` from port 0x80: #GP, SIGSEGV, world switch, Zydis decode,"
        echo "emulation, iretq) costs $(awk -v t="$t" -v f="$f" 'BEGIN {printf "%.2f", t / f}')x a bare signal round trip"
        echo "(a native \`cli\` in compatibility mode, a handler that skips it, sigreturn)."
    fi
    echo
    echo "Reading the table: the trap engine pays a host signal (~3.5 us) for every privileged"
    echo "instruction, the reason binary translation exists; the bt engine pays a callout (a far"
    echo "jump out of compatibility mode, the emulator, an iretq back: no signal, no kernel entry)."
    echo "call/ret and the CPU loop run natively under trap and from the translation cache under"
    echo "bt (ret through the inline lookup). QEMU TCG's rdtsc is its virtual clock, not host"
    echo "cycles: compare its column only roughly. The native -m32 build of the CPU loop"
    echo "(bench/guests/nanobench.c's sieve+fib+crc, gcc -O1) takes about 12.5 M cycles here."
    echo "The kvm column arrives with the kvm engine."
} >"$out"
cat "$out"
