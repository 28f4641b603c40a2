#!/usr/bin/env bash
# The comparison harness (one command): the nanobenchmark guests (bench/guests/nanobench.c,
# nanobench_paging.c) on every prevt engine that can run here (trap, bt, kvm), on QEMU TCG and
# QEMU with KVM when installed, and the native 32-bit reference, REPS times each in one run;
# then the host floors (bench/signal_floor.cpp). Progress goes to stderr. Writes, into
# build/bench-results/ (into docs/ with --update-docs, to commit them): benchmarks.md
# (medians with min-max, the host, the commands), benchmarks.png (single operations, ns, log
# scale), benchmarks-workload.png (the whole CPU-bound workload), benchmarks-paging.png, and
# the charts' data (benchmarks.dat, benchmarks-workload.dat, benchmarks-paging.dat).
#   scripts/build.sh && bench/run_nanobench.sh [--update-docs] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
outdir=build/bench-results
if [ "${1:-}" = "--update-docs" ]; then
    outdir=docs
    shift
fi
case "${1:-5}" in
    '' | *[!0-9]* | 0) echo "usage: bench/run_nanobench.sh [--update-docs] [REPS >= 1]" >&2; exit 2 ;;
esac
reps=${1:-5}
prevt=build/core/prevt
guest=build/tests/guests/nanobench.elf
pguest=build/tests/guests/nanobench_paging.elf
native=build/bench/nanobench_native
floor=build/bench/prevt_signal_floor
out=$outdir/benchmarks.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$prevt" "$guest" "$pguest" "$native" "$floor"; do
    [ -e "$f" ] || { echo "missing $f: run scripts/build.sh first" >&2; exit 2; }
done
mkdir -p "$outdir"
progress() { echo "run_nanobench: $*" >&2; }
facts=$("$prevt" host)
mhz=$(awk '/^tsc-mhz:/ {print $2}' <<<"$facts")
has() { grep -q "^$1: yes" <<<"$facts"; }
qemu=$(command -v qemu-system-i386 || true)
qemu_cmd="-nodefaults -no-reboot -m 128 -kernel $guest -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04"

# collect NAME REPS TIMEOUT COMMAND...: BENCH lines of every run -> $tmp/NAME ("op cycles")
collect() {
    local name=$1 n=$2 limit=$3 i
    shift 3
    : >"$tmp/$name"
    for ((i = 0; i < n; i++)); do
        progress "$name: run $((i + 1)) of $n"
        timeout "$limit" "$@" </dev/null 2>/dev/null | awk -F'|' '/^BENCH\|/ {print $2, $3}' >>"$tmp/$name" || true
    done
}
collect native "$reps" 60 "$native"
collect trap "$reps" 120 "$prevt" run --engine trap --timeout 100 "$guest"
collect bt "$reps" 120 "$prevt" run --engine bt --timeout 100 "$guest"
kvm_reps=$((reps < 2 ? reps : 2))  # kvm-pvm emulates every instruction: ~25 s a run here
has kvm && collect kvm "$kvm_reps" 120 "$prevt" run --engine kvm --timeout 100 "$guest"
if [ -n "$qemu" ]; then
    # shellcheck disable=SC2086
    collect qemu "$reps" 120 "$qemu" -accel tcg $qemu_cmd
    # shellcheck disable=SC2086
    has kvm && collect qemukvm "$kvm_reps" 120 "$qemu" -accel kvm $qemu_cmd
fi
# The translator's own figures, from one bt run with --stats.
progress "bt --stats: the translator's figures"
"$prevt" run --engine bt --stats "$guest" </dev/null >/dev/null 2>"$tmp/btstats" || true
stat_of() { awk -v k="$1" 'index($0, k) {print $NF; exit}' "$tmp/btstats"; }
# The paging nanobenchmarks: trap, bt and QEMU TCG (kvm-pvm cannot enable paging).
collect ptrap "$reps" 120 "$prevt" run --engine trap --timeout 100 "$pguest"
collect pbt "$reps" 120 "$prevt" run --engine bt --timeout 100 "$pguest"
# shellcheck disable=SC2086
[ -n "$qemu" ] && collect pqemu "$reps" 120 "$qemu" -accel tcg ${qemu_cmd/$guest/$pguest}
progress "host floors (Google Benchmark)"
"$floor" --benchmark_repetitions="$reps" --benchmark_format=csv 2>/dev/null |
    awk -F, -v mhz="$mhz" '/_median"?,/ {gsub(/"/, "", $1); sub(/_median/, "", $1); print $1, $3 * mhz / 1000}' >"$tmp/floor"

values() { awk -v n="$2" '$1 == n {print $2}' "$tmp/$1" 2>/dev/null | sort -n; }
median() { values "$1" "$2" | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
cell() {  # median (min-max), or "-"
    values "$1" "$2" | awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit}
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        f = (v[1] < 10) ? "%.1f" : "%.0f"  # (bt'"'"'s cli+sti is under 2 cycles)
        if (NR == 1) printf f, m; else printf f " (" f "-" f ")", m, v[1], v[NR]}'
}
fastest() { values "$1" "$2" | head -1; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}' || echo "-"; }

ops=(cli_sti in_port lapic_tpr_write lapic_eoi int80_iret divide_by_zero call_ret cpu_loop)
declare -A paper=([cli_sti]="- / - / -" [in_port]="3209 / ~214 / 15826" [lapic_tpr_write]="-" [lapic_eoi]="-"
    [int80_iret]="syscall: BT ~ native + 2000, VT-x ~ native" [divide_by_zero]="889 / 3223 / 1014"
    [call_ret]="11 / 51 / 11" [cpu_loop]="-")
kvm_label="kvm"
has vmx-or-svm || kvm_label="kvm (kvm-pvm here: KVM's instruction emulator, not VT-x/SVM)"
{
    echo "# Benchmarks"
    echo
    echo "Produced by \`bench/run_nanobench.sh $reps\` on $(date -u +%Y-%m-%d). Host: $(sed -n 's/^cpu: //p' <<<"$facts"),"
    echo "TSC $mhz MHz, $(uname -sr), $(nproc) cores; VT-x/SVM: $(sed -n 's/^vmx-or-svm: //p' <<<"$facts"), /dev/kvm: $(sed -n 's/^kvm: //p' <<<"$facts")."
    echo "Host cycles per operation (rdtsc in the guest; QEMU TCG's rdtsc is the host's TSC too),"
    echo "median of $reps runs (kvm: $kvm_reps) with min-max. \`-\` = not measured (the engine stopped"
    echo "earlier, or the operation does not exist natively)."
    echo
    echo "| operation | native | trap | bt | $kvm_label | QEMU TCG | QEMU KVM | Adams & Agesen 2006: native / VMware BT / VT-x (P4 cycles) |"
    echo "|---|---|---|---|---|---|---|---|"
    for op in "${ops[@]}"; do
        echo "| $op | $(cell native "$op") | $(cell trap "$op") | $(cell bt "$op") | $(cell kvm "$op") | $(cell qemu "$op") | $(cell qemukvm "$op") | ${paper[$op]} |"
    done
    echo
    # Ratios of the fastest runs: on a noisy host the minimum is the best estimate of the
    # undisturbed time (a run can only be slowed down by its neighbours, never sped up).
    n=$(fastest native cpu_loop)
    echo "CPU-bound workload (sieve, fib, crc, bytecode interpreter: bench/guests/workload.h), fastest runs"
    echo "compared (medians above): trap $(ratio "$n" "$(fastest trap cpu_loop)")x, bt $(ratio "$n" "$(fastest bt cpu_loop)")x native speed;"
    echo "bt is $(ratio "$(fastest qemu cpu_loop)" "$(fastest bt cpu_loop)")x faster than QEMU TCG."
    echo
    gi=$(stat_of "guest instructions translated"); hi=$(stat_of "host instructions emitted")
    tt=$(stat_of "translation time")
    echo "Translator (one bt run of the guest, --stats): $gi guest instructions translated into $hi"
    echo "host instructions ($(ratio "$hi" "$gi") per guest instruction, exit stubs included), at"
    echo "$(awk -v g="$gi" -v t="$tt" -v m="$mhz" 'BEGIN {if (t > 0) printf "%.2f", g / (t / m) ; else print "-"}') million guest instructions per second of translation time"
    echo "(including the mprotect that write-protects each newly translated page)."
    echo
    echo "Paging (bench/guests/nanobench_paging.c), cycles; the 2006 column is Adams & Agesen's"
    echo "native / VMware BT / VT-x:"
    echo
    echo "| operation | trap | bt | QEMU TCG | 2006 |"
    echo "|---|---|---|---|---|"
    echo "| true page fault, delivered and back | $(cell ptrap true_page_fault) | $(cell pbt true_page_fault) | $(cell pqemu true_page_fault) | 1093 / 3927 / 11242 |"
    echo "| invlpg, then refill the page | $(cell ptrap invlpg_and_refill) | $(cell pbt invlpg_and_refill) | $(cell pqemu invlpg_and_refill) | - |"
    echo "| PTE write | $(cell ptrap pte_write) | $(cell pbt pte_write) | $(cell pqemu pte_write) | ~1 store / 391 / 12733 |"
    echo "| address-space switch + 32 pages | $(cell ptrap cr3_switch_32_pages) | $(cell pbt cr3_switch_32_pages) | $(cell pqemu cr3_switch_32_pages) | - |"
    echo "| ring-3 system call (int/iret) + 4 user pages | $(cell ptrap user_syscall_4_pages) | $(cell pbt user_syscall_4_pages) | $(cell pqemu user_syscall_4_pages) | - |"
    echo "| sysenter + sysexit from ring 3 | $(cell ptrap sysenter_sysexit) | $(cell pbt sysenter_sysexit) | $(cell pqemu sysenter_sysexit) | - |"
    echo
    echo "bt's shadow is a software TLB: a PTE write is a plain store (nothing is traced; the change"
    echo "takes effect at the next invlpg or CR3 write, as the architecture allows), invlpg drops one"
    echo "page and the translations made through it, a CR3 write drops every mapping but re-maps the"
    echo "new address space's last working set and keeps translations whose code still maps to the"
    echo "same frames; a return to ring 3 takes back only kernel-only mappings (docs/shadow-mmu.md)."
    hf=$(awk '$1 == "HiddenFaultFloor" {print $2}' "$tmp/floor")
    echo "A hidden fault cannot cost less than HiddenFaultFloor below (a host signal, an mmap, and"
    echo "the PROT_NONE remap invlpg needs): invlpg + refill costs $(ratio "$(median pbt invlpg_and_refill)" "$hf")x that floor."
    echo
    echo "Host floors (bench/signal_floor.cpp, Google Benchmark, same run), cycles:"
    echo
    echo "| floor | cycles |"
    echo "|---|---|"
    while read -r name cyc; do echo "| $name | $(printf %.0f "$cyc") |"; done <"$tmp/floor"
    f=$(awk '$1 == "BareSignalTrap" {print $2}' "$tmp/floor")
    echo
    echo "One trap-engine trap (\`in\` from port 0x80) costs $(ratio "$(median trap in_port)" "$f")x a bare signal round"
    echo "trip (a native \`cli\` in compatibility mode, a handler that skips it, sigreturn)."
    echo
    echo "## Reading it"
    echo
    echo "- **trap** pays a host signal (fault, kernel, handler, sigreturn: several thousand cycles)"
    echo "  for every privileged instruction, and runs everything else natively: the 1970s design,"
    echo "  and why it was never enough on x86 (and it cannot fix the sensitive instructions)."
    echo "- **bt** never takes a signal for a privileged instruction: cli/sti become two stores to"
    echo "  the per-vCPU area (VMware's result: cheaper than native), other privileged instructions"
    echo "  a callout (a far jump out of compatibility mode and back, no kernel entry). call/ret and"
    echo "  CPU-bound code run from the translation cache near native speed. Exceptions a guest"
    echo "  causes (divide by zero) still cost a host signal, as they did for VMware (3223 cycles)."
    echo "- **kvm** on this host is not hardware assistance: kvm-pvm runs a 32-bit unpaged guest in"
    echo "  KVM's instruction emulator, so everything, even call/ret, costs thousands of cycles, and"
    echo "  int/iret cannot run at all (\`-\`). On a VT-x/SVM host this column is the 2006 paper's"
    echo "  VT-x column: native-speed code, expensive exits."
    echo "- **QEMU TCG** translates everything, including privileged instructions, into its own code"
    echo "  with no host exits: the cheapest privileged operations here, slower CPU-bound code."
    echo
    echo "Commands: \`$prevt run --engine ENGINE $guest\`; \`qemu-system-i386 -accel tcg|kvm $qemu_cmd\`;"
    echo "\`$native\`; \`$floor\`. Charts (ns, log scale): benchmarks.png (single operations),"
    echo "benchmarks-workload.png (the workload), benchmarks-paging.png, beside this file."
} >"$out"

# The charts' data: ns per operation (per run for the workload), one column per engine.
# dat FILE SUFFIX ENGINES... -- OPS...: a header of quoted labels, one row per operation.
label() {
    case ${1#p} in
        qemu) echo '"QEMU TCG"' ;; qemukvm) echo '"QEMU KVM"' ;;
        kvm) echo "\"$short_kvm\"" ;; *) echo "\"${1#p}\"" ;;
    esac
}
dat() {
    local file=$1 scale=$2 e op m row engines=() header="op"
    shift 2
    while [ "$1" != "--" ]; do engines+=("$1"); header+=" $(label "$1")"; shift; done
    shift
    {
        echo "$header"
        for op in "$@"; do
            row="$op"
            for e in "${engines[@]}"; do
                m=$(median "$e" "$op")
                row+=" $( [ -n "$m" ] && awk -v c="$m" -v f="$mhz" -v s="$scale" 'BEGIN {printf "%.3g", c * 1000 / f / s}' || echo "NaN")"
            done
            echo "$row"
        done
    } >"$file"
}
short_kvm="kvm"
has vmx-or-svm || short_kvm="kvm (kvm-pvm: KVM's emulator)"
host_cpu=$(sed -n 's/^cpu: //p' <<<"$facts")
progress "charts"
single_ops=()
for op in "${ops[@]}"; do [ "$op" = cpu_loop ] || single_ops+=("$op"); done
dat "$outdir/benchmarks.dat" 1 native trap bt kvm qemu qemukvm -- "${single_ops[@]}"
dat "$outdir/benchmarks-workload.dat" 1000000 native trap bt kvm qemu qemukvm -- cpu_loop
dat "$outdir/benchmarks-paging.dat" 1 ptrap pbt pqemu -- true_page_fault invlpg_and_refill \
    pte_write cr3_switch_32_pages user_syscall_4_pages sysenter_sysexit
bench/chart.sh "$outdir/benchmarks.dat" "$outdir/benchmarks.png" \
    "prevt nanobenchmarks, single operations, $host_cpu" "ns per operation"
bench/chart.sh "$outdir/benchmarks-workload.dat" "$outdir/benchmarks-workload.png" \
    "prevt: the CPU-bound workload (bench/guests/workload.h), $host_cpu" "ms per run"
bench/chart.sh "$outdir/benchmarks-paging.dat" "$outdir/benchmarks-paging.png" \
    "prevt nanobenchmarks, paging, $host_cpu" "ns per operation"
cat "$out"
progress "written: $out and its charts in $outdir/"
