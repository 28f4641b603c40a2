#!/usr/bin/env bash
# The BIOS path end to end (docs/real-mode.md): SeaBIOS boots the FreeDOS floppy under an
# engine to the A:\> prompt, seen in the --screen-dump of the 80x25 text screen after
# --timeout. The reference (QEMU TCG, -fda IMAGE -boot a; the image's README): SeaBIOS's
# banner, the kernel's, then AUTOEXEC.BAT clears the screen and A:\> is the first line.
#
#   freedos_boot.sh PREVT ENGINE IMAGE
#
# Status 0 pass, 1 fail, 77 skipped (no image, no SeaBIOS).
set -u
prevt=$1 engine=$2 image=$3
[ -f "$image" ] || { echo "SKIP: no FreeDOS image at $image"; exit 77; }
[ -f /usr/share/seabios/bios.bin ] || { echo "SKIP: no SeaBIOS (apt-get install seabios)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$prevt" run --engine "$engine" -fda "$image" -boot a -snapshot --display none \
    --screen-dump "$tmp/screen.txt" --timeout 20 >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" -ne 124 ]; then
    echo "FAIL: status $status (want 124, --timeout at the prompt)"
    cat "$tmp/err"
    exit 1
fi
first=$(head -1 "$tmp/screen.txt" | sed 's/ *$//')
others=$(tail -n +2 "$tmp/screen.txt" | tr -d ' \n')
if [ "$first" != 'A:\>' ] || [ -n "$others" ]; then
    echo "FAIL: the screen is not the prompt alone:"
    cat "$tmp/screen.txt"
    exit 1
fi
echo "PASS: A:\\> on an otherwise empty screen"
