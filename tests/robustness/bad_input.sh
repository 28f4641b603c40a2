#!/usr/bin/env bash
# Bad input and hostile load end in a clear line and the documented status (README "Using
# prevt", docs/testing.md "The robustness script"): never a host signal, never a hang past
# --timeout, never unbounded memory, never output in the wrong place.
# Usage: bad_input.sh PREVT HELLO_ELF ROBUST_GUEST_DIR
set -u
prevt=$1 hello=$2 guests=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prevt-robust.XXXXXX")
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0 last=none
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run NAME -- ARGS...: runs prevt (stdin /dev/null), sets $st, $ms (wall time), $lines (stderr).
run() {
    local name=$1
    shift 2
    local t0
    last=$name
    t0=$(now_ms)
    "$prevt" "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
    st=$?
    ms=$(($(now_ms) - t0))
    lines=$(wc -l <"$tmp/$name.err")
}
# expect NAME STATUS LINES MAX_MS: the last run's status, stderr line count (-1: any), time.
expect() {
    if [ "$st" -ne "$2" ] || { [ "$3" -ge 0 ] && [ "$lines" -ne "$3" ]; } || [ "$ms" -gt "$4" ]; then
        fail "$1: status $st (want $2), $lines stderr lines (want $3), $ms ms (max $4)"
        sed 's/^/    /' "$tmp/$last.err" 2>/dev/null | head -3
    else ok; fi
}
expect_in() {  # expect_in NAME FILE TEXT
    if grep -q -- "$3" "$2"; then ok; else fail "$1: '$3' not in $(basename "$2")"; fi
}

# ---- 1. Mutated guests: truncations and byte flips of a real test guest, fixed seed -------
# Each must load and run (the guest's own odd status), be refused (2, one line), fail as a
# guest (3), time out (124) or power off or reset (0, with its line), within the timeout:
# never a signal. A flipped byte can make the guest choose any exit value, even one >= 128
# (V << 1 | 1), so the runs use --stats: a run that ended through Machine::run (not by a
# signal) prints the statistics table last.
size=$(stat -c %s "$hello")
RANDOM=1999  # the fixed seed: the same 200 variants on every run
mkdir -p "$tmp/v"
for i in $(seq 0 199); do
    f="$tmp/v/$i.elf"
    if [ $((i % 2)) -eq 0 ]; then  # truncations: half inside the first 4 KiB (the headers)
        if [ $((i % 4)) -eq 0 ]; then len=$((RANDOM % 4096)); else len=$(((RANDOM * 32768 + RANDOM) % size)); fi
        head -c "$len" "$hello" >"$f"
    else  # 1..4 bytes flipped, half of them in the headers (first 512 bytes)
        cp "$hello" "$f"
        for _ in $(seq $((1 + RANDOM % 4))); do
            if [ $((RANDOM % 2)) -eq 0 ]; then pos=$((RANDOM % 512)); else pos=$(((RANDOM * 32768 + RANDOM) % size)); fi
            printf "$(printf '\\%03o' $((RANDOM % 256)))" |
                dd of="$f" bs=1 seek="$pos" conv=notrunc status=none
        done
    fi
done
# One line per run: "variant engine status stderr_lines ms" (two at a time: 2 cores).
mutant() {
    local f=$1 engine=$2 t0 st n stats
    t0=$(($(date +%s%N) / 1000000))
    "$PREVT" run --stats --engine "$engine" --timeout 5 "$f" </dev/null >/dev/null 2>"$f.$engine.err"
    st=$?
    n=$(wc -l <"$f.$engine.err")
    grep -q "exits by reason" "$f.$engine.err" && stats=1 || stats=0
    echo "$(basename "$f") $engine $st $n $(($(date +%s%N) / 1000000 - t0)) $stats"
}
export -f mutant
export PREVT=$prevt
for i in $(seq 0 199); do echo "$tmp/v/$i.elf bt"; echo "$tmp/v/$i.elf trap"; done |
    xargs -P 2 -n 2 bash -c 'mutant "$0" "$1"' >"$tmp/mutants.txt"
bad=0 refused=0 ran=0 off=0
while read -r v engine st n t stats; do
    if [ "$t" -gt 8000 ] || { [ "$st" -eq 2 ] && [ "$n" -ne 1 ]; } ||
        { [ "$st" -ne 2 ] && [ "$stats" -ne 1 ]; } ||
        { [ "$st" -eq 0 ] && ! grep -q "powered off\|reset" "$tmp/v/$v.$engine.err"; } ||
        { [ "$st" -ne 0 ] && [ "$st" -ne 2 ] && [ "$st" -ne 3 ] && [ "$st" -ne 124 ] &&
            [ $((st % 2)) -eq 0 ]; }; then
        fail "mutant $v on $engine: status $st, $n stderr lines, $t ms"
        sed 's/^/    /' "$tmp/v/$v.$engine.err" | head -3
        bad=$((bad + 1))
    fi
    [ "$st" -eq 2 ] && refused=$((refused + 1))
    [ $((st % 2)) -eq 1 ] && ran=$((ran + 1))
    [ "$st" -eq 0 ] && off=$((off + 1))
done <"$tmp/mutants.txt"
[ "$(wc -l <"$tmp/mutants.txt")" -eq 400 ] || fail "mutants: $(wc -l <"$tmp/mutants.txt") of 400 ran"
[ "$bad" -eq 0 ] && ok
echo "mutants: 400 runs, $refused refused (2), $ran ran to a guest status, $off powered off or reset (0), $bad bad"

# ---- 2. Closed descriptors 0-2 (cron, daemons): never guest memory ------------------------
# While prevt runs with all three closed, each of its descriptors 0-2 must be /dev/null, not
# a memfd of guest RAM or unassigned memory (where output and --trace would land).
"$prevt" run --timeout 3 "$guests/stores_forever.elf" <&- >&- 2>&- &
bg=$!
sleep 0.5
for fd in 0 1 2; do
    target=$(readlink "/proc/$bg/fd/$fd" 2>/dev/null)
    [ "$target" = /dev/null ] && ok || fail "closed fd $fd: prevt's descriptor $fd is '$target'"
done
kill $bg 2>/dev/null
wait $bg 2>/dev/null
bg=""
"$prevt" run --serial "file:$tmp/com1.txt" --timeout 5 "$guests/ok.elf" </dev/null >&- 2>"$tmp/c.err"
st=$?
[ "$st" -eq 1 ] && ok || fail "closed stdout: status $st (want 1)"
expect_in closed-stdout-file "$tmp/com1.txt" "^ok$"
"$prevt" run --timeout 5 "$guests/ok.elf" </dev/null >"$tmp/c.out" 2>&-
st=$?
[ "$st" -eq 1 ] && ok || fail "closed stderr: status $st (want 1)"
expect_in closed-stderr-output "$tmp/c.out" "^ok$"
"$prevt" run -m lots "$guests/ok.elf" </dev/null >/dev/null 2>&-
st=$?
[ "$st" -eq 2 ] && ok || fail "closed stderr, bad input: status $st (want 2)"

# ---- 3. Output that fails or blocks -------------------------------------------------------
# /dev/full: one line naming the error, the guest runs on to its own status.
t0=$(now_ms)
"$prevt" run --timeout 5 "$guests/ok.elf" </dev/null >/dev/full 2>"$tmp/full.err"
st=$? ms=$(($(now_ms) - t0)) lines=$(wc -l <"$tmp/full.err")
expect full 1 1 3000
expect_in full-message "$tmp/full.err" "No space left on device"
"$prevt" run --timeout 1 "$guests/flood.elf" </dev/null >/dev/full 2>"$tmp/full-flood.err"
st=$? lines=$(wc -l <"$tmp/full-flood.err")
[ "$st" -eq 124 ] && [ "$lines" -eq 2 ] && ok ||
    fail "full flood: status $st (want 124), $lines stderr lines (want 2: the error once, the timeout)"
# A reader that never reads (`| sleep 8`): --timeout 1 still ends the run, at ~1 s, with 124.
mkfifo "$tmp/pipe"
sleep 8 <"$tmp/pipe" &
bg=$!
t0=$(now_ms)
"$prevt" run --timeout 1 "$guests/flood.elf" </dev/null >"$tmp/pipe" 2>"$tmp/pipe.err"
st=$? ms=$(($(now_ms) - t0)) lines=$(wc -l <"$tmp/pipe.err")
kill $bg 2>/dev/null
wait $bg 2>/dev/null
bg=""
expect pipe 124 1 2500
# A reader that goes away (`| head -1`): EPIPE reported once, no SIGPIPE death, 124 at 1 s.
"$prevt" run --timeout 1 "$guests/flood.elf" </dev/null 2>"$tmp/epipe.err" | head -1 >/dev/null
st=${PIPESTATUS[0]}
[ "$st" -eq 124 ] && ok || fail "reader gone: status $st (want 124, not 141 = SIGPIPE)"
expect_in epipe-message "$tmp/epipe.err" "Broken pipe"
# Stores beyond RAM: they are dropped and the guest goes on (it used to livelock), and a guest
# that stores forever still ends at --timeout.
for engine in bt trap; do
    run "stores-$engine" -- run --engine "$engine" --timeout 5 "$guests/stores.elf"
    expect "stores-$engine" 1 0 4000
    run "stores-forever-$engine" -- run --engine "$engine" --timeout 1 "$guests/stores_forever.elf"
    expect "stores-forever-$engine" 124 1 1800
    # Loads from more unassigned pages than vm.max_map_count allows at once: the mappings of
    # unassigned memory are dropped at the budget instead of failing in mmap (status 4).
    run "loads-$engine" -- run --engine "$engine" --timeout 20 "$guests/loads.elf"
    expect "loads-$engine" 1 0 15000
    # One rep outsb of 4 Gi elements: emulated in chunks, the deadline holds between them.
    run "rep-forever-$engine" -- run --engine "$engine" --timeout 1 "$guests/rep_forever.elf"
    expect "rep-forever-$engine" 124 1 1800
done

# ---- 4. Option values that used to wrap or be ignored: one line, status 2, --help ---------
i=0
for args in "-m 18014398509481985G" "-m -18446744073709551488" "-m 4G" "-m 0x100" "-m 64K" \
    "--tc-size 4194304" "--tc-size -1" "--tc-size 8" "--stats=no" "--help=yes" \
    "--timeout 1e999" "--timeout nan" "--timeout -1" "--timeout 0x10"; do
    i=$((i + 1))
    # shellcheck disable=SC2086  # the words of $args are the options
    run "opt$i" -- run $args "$guests/ok.elf"
    expect "option '$args'" 2 1 2000
    expect_in "option '$args' points at --help" "$tmp/opt$i.err" "see prevt --help"
done
run opt-ok -- run -m 3G --tc-size 16 --stats --timeout 5 "$guests/ok.elf"
expect "options in range" 1 -1 3000

# ---- 5. Files that are no kernel: quick, one line, status 2 --------------------------------
truncate -s 1G "$tmp/zeros.elf"
cp "$hello" "$tmp/huge.elf"
truncate -s 1G "$tmp/huge.elf"  # a real guest padded to 1 GiB: loads, without reading it all
truncate -s 1025M "$tmp/toobig.elf"
mkdir "$tmp/dir.elf"
mkfifo "$tmp/fifo.elf"
for f in "$tmp/zeros.elf" "$tmp/toobig.elf" "$tmp/dir.elf" "$tmp/fifo.elf" /dev/zero \
    "$guests/kludge_bad.elf" "$tmp/nonexistent.elf"; do
    run special -- run --timeout 5 "$f"
    expect "file $(basename "$f")" 2 1 1500
done
run kludge-ok -- run --timeout 5 "$guests/kludge_ok.elf"
expect kludge-ok 1 0 3000
if [ -x /usr/bin/time ]; then  # peak RSS: the 1 GiB file must not be read into memory
    /usr/bin/time -f "%M" -o "$tmp/rss" "$prevt" run --timeout 5 "$tmp/huge.elf" \
        </dev/null >"$tmp/huge.out" 2>/dev/null
    st=$? rss=$(tail -1 "$tmp/rss")
    [ "$st" -eq 1 ] && [ "$rss" -lt 262144 ] && ok ||
        fail "1 GiB guest: status $st (want 1), peak RSS $rss KiB (max 256 MiB)"
else
    run huge -- run --timeout 5 "$tmp/huge.elf"
    expect huge 1 0 1500
fi
if [ "$(id -u)" -ne 0 ]; then  # root reads any file
    cp "$hello" "$tmp/unreadable.elf"
    chmod 000 "$tmp/unreadable.elf"
    run unreadable -- run "$tmp/unreadable.elf"
    expect unreadable 2 1 1500
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
