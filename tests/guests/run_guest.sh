#!/usr/bin/env bash
# Runs one test guest on one engine and compares its output with the golden file.
#
#   run_guest.sh ENGINE GUEST_ELF GOLDEN_DIR NAME PREVT_BINARY
#
# ENGINE is qemu (QEMU TCG, the reference: $QEMU_I386 or qemu-system-i386 from PATH) or a
# prevt engine (PREVT_BINARY run --engine ENGINE). The guest's COM1 output plus a last line
# "[exit N]" (N = the exit status) must equal GOLDEN_DIR/NAME.ENGINE.expected if that file
# exists, else GOLDEN_DIR/NAME.expected. Exit status: 0 match, 1 mismatch, 77 skipped (QEMU
# missing, or prevt said "prevt: skip: ..." and exited 77).
#
# A variant (PREVT_GUEST_VARIANT=V, e.g. a CPU profile): the options in GOLDEN_DIR/NAME.V.args
# go to prevt and QEMU alike (-cpu NAME is both's spelling), and the golden files are
# NAME.V.ENGINE.expected, else NAME.V.expected. NAME.qemu.args: extra options for QEMU only.
set -u

if [ $# -ne 5 ]; then
    echo "usage: $0 ENGINE GUEST_ELF GOLDEN_DIR NAME PREVT_BINARY" >&2
    exit 2
fi
engine=$1 elf=$2 golden_dir=$3 name=$4 prevt=$5

variant=${PREVT_GUEST_VARIANT:-}
stem=$name${variant:+.$variant}
golden=$golden_dir/$stem.$engine.expected
[ -f "$golden" ] || golden=$golden_dir/$stem.expected
variant_args=()
[ -n "$variant" ] && read -r -a variant_args <"$golden_dir/$stem.args"
if [ ! -f "$golden" ]; then
    echo "FAIL: no golden file $golden_dir/$stem.expected" >&2
    exit 1
fi
if [ ! -f "$elf" ]; then
    echo "FAIL: no guest $elf" >&2
    exit 1
fi

if [ "$engine" = qemu ]; then
    qemu=${QEMU_I386:-}
    [ -n "$qemu" ] && [ -x "$qemu" ] || qemu=$(command -v qemu-system-i386 || true)
    if [ -z "$qemu" ]; then
        echo "SKIP: qemu-system-i386 not installed"
        exit 77
    fi
fi

# NAME.ENGINE.requires lists host facts (as `prevt host` prints them: "umip", "cpuid-faulting",
# "kvm") that the golden file assumes, "!FACT" one it assumes absent ("!amd": an Intel host);
# otherwise the test is skipped, saying why.
requires=$golden_dir/$name.$engine.requires
if [ "$engine" != qemu ] && [ -f "$requires" ]; then
    facts=$("$prevt" host)
    while read -r fact why; do
        [ -n "$fact" ] || continue
        if [ "${fact#!}" != "$fact" ]; then
            if grep -q "^${fact#!}: yes" <<<"$facts"; then
                echo "SKIP: this host has ${fact#!}: $why"
                exit 77
            fi
        elif ! grep -q "^$fact: yes" <<<"$facts"; then
            echo "SKIP: this host lacks $fact: $why"
            exit 77
        fi
    done <"$requires"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prevt-guest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# NAME.setup DIR makes the files a guest needs (disk images) in the test's own directory;
# NAME.args: options for every engine and QEMU alike (@TMP@ is that directory), e.g. -fda.
common=()
if [ -x "$golden_dir/$name.setup" ] && ! "$golden_dir/$name.setup" "$tmp"; then
    echo "FAIL: $name.setup failed"
    exit 1
fi
if [ -f "$golden_dir/$name.args" ]; then
    read -r -a common <"$golden_dir/$name.args"
    common=("${common[@]//@TMP@/$tmp}")
fi

if [ "$engine" = qemu ]; then
    # NAME.qemu.args (NAME.V.qemu.args): what QEMU needs beside them (e.g. -vga std:
    # -nodefaults has no VGA).
    qemu_args=()
    [ -f "$golden_dir/$stem.qemu.args" ] && read -r -a qemu_args <"$golden_dir/$stem.qemu.args"
    timeout 20 "$qemu" -nodefaults -no-reboot -m 128 -kernel "$elf" -serial stdio \
        -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${common[@]}" \
        "${variant_args[@]}" "${qemu_args[@]}" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
else
    # NAME.ENGINE.args: extra options for that engine (e.g. a small translation cache).
    args=()
    [ -f "$golden_dir/$name.$engine.args" ] && read -r -a args <"$golden_dir/$name.$engine.args"
    "$prevt" run --engine "$engine" --timeout 20 "${common[@]}" "${args[@]}" "${variant_args[@]}" \
        "$elf" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
    # The host cannot run this guest on this engine (kvm-pvm's emulator, no 32-bit paging):
    # prevt said so in one line and exited 3. That is a skip with the reason, not a failure.
    limit=$(grep -m1 '^prevt: host limit:' "$tmp/stderr")
    if [ "$status" -eq 3 ] && [ -n "$limit" ]; then
        echo "SKIP: ${limit#prevt: }"
        exit 77
    fi
    if [ "$status" -eq 77 ]; then
        skip=$(grep -m1 '^prevt: skip:' "$tmp/stderr")
        if [ -n "$skip" ]; then
            echo "$skip"
            exit 77
        fi
    fi
fi

# The output, then "[exit N]" on a line of its own (a newline is added first if the output
# does not end with one).
{
    cat "$tmp/stdout"
    if [ -s "$tmp/stdout" ] && [ "$(tail -c1 "$tmp/stdout" | od -An -c | tr -d ' ')" != '\n' ]; then
        echo
    fi
    echo "[exit $status]"
} >"$tmp/actual"

if diff -u "$golden" "$tmp/actual" >"$tmp/diff"; then
    exit 0
fi
echo "FAIL: guest $name on engine $engine differs from $(basename "$golden")"
cat "$tmp/diff"
if [ -s "$tmp/stderr" ]; then
    echo "--- stderr ---"
    cat "$tmp/stderr"
fi
exit 1
