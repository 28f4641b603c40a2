#!/usr/bin/env bash
# Runs one hostile guest on one engine: the golden file as tests/guests/run_guest.sh does
# (NAME.ENGINE.expected, else NAME.expected: output plus "[exit N]"), and the escape oracle,
# checked first and whatever the golden says:
#   - "ESCAPED" appears nowhere (stdout or stderr): the payload (payload.S) never ran;
#   - the status is one a guest or prevt can give: odd ((V<<1)|1), 2, 3, 77 -- never 42/43
#     (the payload's exit_group), another even value, 124 (--timeout) or >= 128 (a signal).
#
#   run_hostile.sh ENGINE GUEST_ELF GOLDEN_DIR NAME PREVT_BINARY
#
# ENGINE qemu runs QEMU TCG exactly as run_guest.sh does; NAME.ENGINE.skip (a reason on its
# first line) skips an engine. NAME.ENGINE.args adds prevt options. NAME.ENGINE.requires lists
# host facts (as `prevt host` prints them; "!amd" = "amd: no") that NAME.ENGINE.expected
# records: on a host without them the engine must give NAME.expected, the architectural answer. Exit: 0 pass, 1 fail,
# 77 skip. HOSTILE_SHOW=1 prints the output, status and time even on a pass.
set -u
if [ $# -ne 5 ]; then
    echo "usage: $0 ENGINE GUEST_ELF GOLDEN_DIR NAME PREVT_BINARY" >&2
    exit 2
fi
engine=$1 elf=$2 dir=$3 name=$4 prevt=$5

if [ -f "$dir/$name.$engine.skip" ]; then
    echo "SKIP: $(head -n1 "$dir/$name.$engine.skip")"
    exit 77
fi
golden=$dir/$name.$engine.expected
requires=$dir/$name.$engine.requires
if [ "$engine" != qemu ] && [ -f "$golden" ] && [ -f "$requires" ]; then
    facts=$("$prevt" host)
    while read -r fact why; do
        [ -n "$fact" ] || continue
        want=yes
        if [ "${fact#!}" != "$fact" ]; then fact=${fact#!}; want=no; fi
        grep -q "^$fact: $want" <<<"$facts" || golden=$dir/$name.expected
    done <"$requires"
fi
[ -f "$golden" ] || golden=$dir/$name.expected
[ -f "$golden" ] || { echo "FAIL: no golden file $dir/$name.expected"; exit 1; }
[ -f "$elf" ] || { echo "FAIL: no guest $elf"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prevt-hostile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
if [ "$engine" = qemu ]; then
    qemu=${QEMU_I386:-}
    [ -n "$qemu" ] && [ -x "$qemu" ] || qemu=$(command -v qemu-system-i386 || true)
    [ -n "$qemu" ] || { echo "SKIP: qemu-system-i386 not installed"; exit 77; }
    timeout 30 "$qemu" -nodefaults -no-reboot -m 128 -kernel "$elf" -serial stdio \
        -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
else
    args=()
    [ -f "$dir/$name.$engine.args" ] && read -r -a args <"$dir/$name.$engine.args"
    # The outer timeout catches a prevt that ignores its own --timeout (issue 12 §8).
    timeout -s KILL 40 "$prevt" run --engine "$engine" --timeout 20 "${args[@]}" "$elf" \
        </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
fi
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
{
    cat "$tmp/stdout"
    if [ -s "$tmp/stdout" ] && [ "$(tail -c1 "$tmp/stdout" | od -An -c | tr -d ' ')" != '\n' ]; then
        echo
    fi
    echo "[exit $status]"
} >"$tmp/actual"

show() {
    echo "--- output ($engine, status $status, ${elapsed}s) ---"
    cat "$tmp/actual"
    if [ -s "$tmp/stderr" ]; then
        echo "--- stderr ---"
        head -c 4000 "$tmp/stderr"
    fi
}
fail=""
if grep -q ESCAPED "$tmp/stdout" "$tmp/stderr"; then
    fail="ESCAPE: the payload ran on the host (\"ESCAPED\" in the output)"
elif [ "$status" -eq 42 ] || [ "$status" -eq 43 ]; then
    fail="ESCAPE: status $status is the payload's exit_group"
elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    fail="HANG: status $status (timeout) after ${elapsed}s"
elif [ "$status" -ge 128 ]; then
    fail="CRASH: prevt died of signal $((status - 128))"
elif [ "$engine" != qemu ] && [ $((status % 2)) -eq 0 ] && [ "$status" -ne 2 ]; then
    fail="ESCAPE?: status $status is even: no guest exit gives it"
fi
if [ "$engine" != qemu ] && [ "$status" -eq 77 ] && grep -q '^prevt: skip:' "$tmp/stderr"; then
    grep -m1 '^prevt: skip:' "$tmp/stderr"
    exit 77
fi
if [ -n "$fail" ]; then
    echo "FAIL: hostile guest $name on $engine: $fail"
    show
    exit 1
fi
if ! diff -u "$golden" "$tmp/actual" >"$tmp/diff"; then
    echo "FAIL: hostile guest $name on $engine differs from $(basename "$golden")"
    cat "$tmp/diff"
    show
    exit 1
fi
[ "${HOSTILE_SHOW:-0}" = 1 ] && show
exit 0
