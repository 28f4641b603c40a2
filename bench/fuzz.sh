#!/usr/bin/env bash
# The differential fuzzer (tests/fuzz/README.md): N random instruction sequences from SEED,
# run in batches under prevt's bt engine and under QEMU TCG from the same state; the digests
# are compared line by line and the divergences reported per million sequences, known QEMU
# deviations (tests/fuzz/known_deviations.md) apart.
#
#   bench/fuzz.sh N [SEED]
#
# Environment: PREVT_BUILD (build dir, default build/), PREVT (the prevt binary), FUZZ_GEN
# (the generator), QEMU_I386, FUZZ_QEMU_CPU (QEMU's -cpu, default qemu32,+ssse3), FUZZ_BATCH (sequences per guest, default 5000), FUZZ_EXCLUDE
# (menu classes/features to leave out, comma-separated; empty = the full menu), FUZZ_KEEP
# (a directory to keep the batches, outputs and results in), FUZZ_FIRST (the index of the
# first sequence, default 0: `FUZZ_FIRST=180000 bench/fuzz.sh 5000 2027` reruns one batch of
# a longer run). Exit status: 0 when every
# divergence is a known one, 1 otherwise, 77 when qemu-system-i386 is missing.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 N [SEED]" >&2
    exit 2
fi
n=$1 seed=${2:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PREVT_BUILD:-$root/build}
prevt=${PREVT:-$build/core/prevt}
gen=${FUZZ_GEN:-$build/tests/fuzz/fuzz_gen}
batch=${FUZZ_BATCH:-5000}
exclude=${FUZZ_EXCLUDE:-}
qemu=${QEMU_I386:-}
# QEMU's CPU model offers the instructions prevt's default profile offers (the N270,
# core/emulate/cpu_profiles.hpp: SSE2, SSE3, SSSE3; no MOVBE, no MONITOR): qemu32, which has
# SSE3 (pni), with SSSE3. (QEMU's own n270 would run movbe and monitor.)
qemu_cpu=${FUZZ_QEMU_CPU:-qemu32,+ssse3}
[ -n "$qemu" ] && [ -x "$qemu" ] || qemu=$(command -v qemu-system-i386 || true)
if [ -z "$qemu" ]; then
    echo "SKIP: qemu-system-i386 not installed"
    exit 77
fi
for f in "$prevt" "$gen"; do
    [ -x "$f" ] || { echo "fuzz.sh: $f missing (build prevt and fuzz_gen, or set PREVT/FUZZ_GEN)" >&2; exit 2; }
done
# The x87 pointers (class x87_env) are the host's under bt: known_deviations.md describes an
# Intel host that deprecates FDP/FDS/FOP. An AMD host records FOP and FDP without an exception
# and its fxsave (the world switch) keeps no FIP, FDP or FOP unless one is pending: the images
# then differ in ways no entry describes, and so do the digests' FDP and FOP (the x87's last
# operand and opcode, which the AMD host keeps). There those are left out, saying so
# (FUZZ_X87_ENV=1 keeps them; docs/translator.md, "AMD hosts").
if "$prevt" host 2>/dev/null | grep -q '^amd: yes' && [ -z "${FUZZ_X87_ENV:-}" ] &&
   [[ ",$exclude," != *,x87_env,* ]]; then
    echo "fuzz: an AMD host: class x87_env (fnstenv/fnsave/fxsave images) left out, and the" \
         "digests' FDP and FOP not compared"
    exclude=${exclude:+$exclude,}x87_env
    export FUZZ_IGNORE_FIELDS=${FUZZ_IGNORE_FIELDS:+$FUZZ_IGNORE_FIELDS,}fdp,fop
fi

fuzz=$root/tests/fuzz guests=$root/tests/guests
if [ -n "${FUZZ_KEEP:-}" ]; then
    work=$FUZZ_KEEP
    mkdir -p "$work"
    rm -f "$work/results.jsonl"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/prevt-fuzz.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
cflags=(-m32 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector
        -fno-asynchronous-unwind-tables -O1 -Wall -Wextra -I"$guests" -I"$fuzz")
objs=()
for src in "$guests/lib/entry.S" "$guests/lib/isr.S" "$guests/lib/runtime.c" \
           "$fuzz/fuzz_guest.c" "$fuzz/fuzz_guest.S"; do
    obj=$work/$(basename "$src").o
    gcc "${cflags[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
done

results=$work/results.jsonl
: >"$results"
t0=$(date +%s)
first=${FUZZ_FIRST:-0}
last=$((first + n))
while [ "$first" -lt "$last" ]; do
    end=$((first + batch < last ? first + batch : last))
    start=$first
    while [ "$start" -lt "$end" ]; do
        b=$work/b$start
        "$gen" --seed "$seed" --first "$start" --count $((end - start)) --exclude "$exclude" \
            --asm "$b.S" --list "$b.list"
        gcc "${cflags[@]}" -c "$b.S" -o "$b.o"
        ld -m elf_i386 -z noexecstack --no-warn-rwx-segments -T "$guests/lib/guest.ld" \
            -o "$b.elf" "${objs[@]}" "$b.o"
        limit=$((30 + (end - start) / 200))
        "$prevt" run --engine bt --timeout "$limit" "$b.elf" </dev/null >"$b.bt" 2>"$b.bt.err" &
        bt_pid=$!
        timeout "$limit" "$qemu" -nodefaults -no-reboot -m 128 -cpu "$qemu_cpu" -kernel "$b.elf" -serial stdio \
            -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            </dev/null >"$b.qemu" 2>"$b.qemu.err" || true
        wait "$bt_pid" 2>/dev/null || true
        next=$(python3 "$fuzz/compare.py" batch "$b.list" "$b.bt" "$b.qemu" "$results")
        if [ "$next" != done ]; then
            echo "fuzz: the batch resumes at sequence $next (a run stopped, or QEMU's EFLAGS went bad: bt: $(tail -c 200 "$b.bt.err" | tr '\n' ' ')| qemu: $(tail -c 200 "$b.qemu.err" | tr '\n' ' ')$(grep -h 'reserved bits set' "$b.qemu" || true))" >&2
            start=$next
        else
            start=$end
        fi
    done
    first=$end
done
echo "fuzz: seed $seed, batches of $batch, $(( $(date +%s) - t0 )) s${exclude:+, excluded: $exclude}"
python3 "$fuzz/compare.py" report "$results" "$fuzz/known_deviations.md" "$n"
