#!/usr/bin/env bash
# The non-interactive Linux boot (docs/linux-guest.md): Debian 12's i386 kernel with the test
# initramfs of scripts/get-linux-guest.sh, on an engine of prevt or on QEMU TCG (the reference).
# The lines between the test's start and done markers, less the kernel's own messages and with
# the CPU-dependent /proc/cpuinfo lines counted rather than compared, must equal
# linux_test.expected. Usage: run_linux.sh bt|trap|kvm|qemu PREVT SOURCE_DIR
# Exit 77 (skipped) when the guest cannot be had (no network, no apt) or QEMU is missing.
set -u
engine=$1 prevt=$2 src=$3
cache=${PREVT_GUEST_CACHE:-$HOME/.cache/prevt/linux}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prevt-linux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! "$src/scripts/get-linux-guest.sh" >"$tmp/get.log" 2>&1; then
    echo "SKIP: the Linux guest cannot be had: $(tail -1 "$tmp/get.log")"
    exit 77
fi
kernel=$cache/vmlinuz-686 initrd=$cache/initrd-test.cpio.gz
append="console=ttyS0 panic=-1"
status=0
if [ "$engine" = qemu ]; then
    qemu=${QEMU_I386:-qemu-system-i386}
    command -v "$qemu" >/dev/null || { echo "SKIP: no $qemu"; exit 77; }
    timeout 300 "$qemu" -m 128 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "$append" </dev/null >"$tmp/out" 2>&1 || status=$?
else
    "$prevt" run --engine "$engine" --timeout 240 -m 128 -kernel "$kernel" -initrd "$initrd" \
        -append "$append" </dev/null >"$tmp/out" 2>"$tmp/err" || status=$?
fi
tr -d '\r' <"$tmp/out" |
    awk '/^=== prevt-linux-test: start/ { on = 1 }
         on && /^\[ *[0-9]+\.[0-9]+\]/ { next }          # the kernel'"'"'s messages
         on && cpu && /^===/ { print "(" n " lines)"; cpu = 0 }
         on && cpu { n++; next }
         on { print }
         on && /^=== cat \/proc\/cpuinfo/ { cpu = 1; n = 0 }
         /^=== prevt-linux-test: done/ { exit }' |
    sed 's/^sleep 1 took [12] s/sleep 1 took 1..2 s/' >"$tmp/got"
# trap and kvm: a clean stop before the end (status 3 with prevt's reason) is where they stop,
# said as a skip; bt must get through.
if [ "$engine" != bt ] && [ "$engine" != qemu ] && [ "$status" -eq 3 ]; then
    echo "SKIP: linux on $engine stops: $(grep '^prevt: ' "$tmp/err" | grep -v 'appended reservetop\|warning:' | head -1 | cut -c1-300)"
    exit 77
fi
if [ "$status" -ne 0 ] || ! diff -u "$src/tests/linux/linux_test.expected" "$tmp/got"; then
    echo "FAIL: linux on $engine: status $status; the last console lines:"
    tail -15 "$tmp/out" | sed 's/^/    /'
    [ -s "$tmp/err" ] && sed 's/^/    /' "$tmp/err" | head -20
    exit 1
fi
echo "linux on $engine: the test initramfs ran and powered off"
