#!/usr/bin/env bash
# Boots a boot-sector test floppy through the BIOS (SeaBIOS) on one engine or on QEMU TCG and
# compares its COM1 output plus "[exit N]" with the golden file.
#
#   run_bootsector.sh ENGINE IMAGE GOLDEN PREVT      (ENGINE: qemu, bt, trap, kvm)
#
# Status 0 match, 1 mismatch, 77 skipped (no SeaBIOS; QEMU missing; GOLDEN.ENGINE.requires
# absent facts are not used here).
set -u
engine=$1 image=$2 golden=$3 prevt=$4
[ -f /usr/share/seabios/bios.bin ] || { echo "SKIP: no SeaBIOS (apt-get install seabios)"; exit 77; }
[ -f "${golden%.expected}.$engine.expected" ] && golden=${golden%.expected}.$engine.expected
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "$engine" = qemu ]; then
    qemu=$(command -v qemu-system-i386) || { echo "SKIP: qemu-system-i386 not installed"; exit 77; }
    timeout 30 "$qemu" -fda "$image" -boot a -snapshot -serial stdio -display none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$out" 2>/dev/null
else
    "$prevt" run --engine "$engine" -fda "$image" -boot a -snapshot --timeout 20 >"$out"
fi
echo "[exit $?]" >>"$out"
if ! diff -u "$golden" "$out"; then
    echo "FAIL: $engine differs from $golden"
    exit 1
fi
echo "PASS: $engine"
