#!/usr/bin/env bash
# The command line's contract (core/errors.hpp, the three kinds of failure): bad input gets one
# line on stderr and status 2; a failing guest 3 with a register dump; --timeout 124; the options do
# what --help says. Usage: cli_test.sh PREVT GUEST_DIR
set -u
prevt=$1 guests=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prevt-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # check NAME EXPECTED_STATUS STDERR_LINES(-1 = any) -- ARGS...
    local name=$1 want=$2 lines=$3
    shift 4
    "$prevt" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    local got=$? n
    n=$(wc -l <"$tmp/err")
    if [ "$got" -ne "$want" ] || { [ "$lines" -ge 0 ] && [ "$n" -ne "$lines" ]; }; then
        echo "FAIL: $name: status $got (want $want), $n stderr lines (want $lines)"
        sed 's/^/    /' "$tmp/err" | head -5
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}
expect_in() {  # expect_in NAME FILE TEXT
    if grep -q -- "$3" "$2"; then passed=$((passed + 1)); else
        echo "FAIL: $1: '$3' not in $2"; failed=$((failed + 1)); fi
}

hello=$guests/hello.elf
check help 0 0 -- --help
expect_in help-contained "$tmp/out" "NOT"
check no-command 2 1 --
check unknown-command 2 1 -- fly
check no-guest 2 1 -- run
check missing-guest 2 1 -- run /nonexistent/guest.elf
check directory-guest 2 1 -- run /tmp
check unknown-option 2 1 -- run --frobnicate "$hello"
check missing-value 2 1 -- run "$hello" --engine
check unknown-engine 2 1 -- run --engine warp "$hello"
check bad-mem 2 1 -- run -m lots "$hello"
check tiny-mem 2 1 -- run -m 1 "$hello"
check bad-timeout 2 1 -- run --timeout -3 "$hello"
check bad-trace 2 1 -- run --trace everything "$hello"
check bad-serial 2 1 -- run --serial tcp:1234 "$hello"
# -cpu (QEMU's spelling, docs/cpu-profiles.md): help lists the profiles; an unknown one is bad
# input pointing at -cpu help; a known one runs.
check cpu-help 0 0 -- run -cpu help
expect_in cpu-help-n270 "$tmp/out" "n270 .*Atom N270.*default"
expect_in cpu-help-max "$tmp/out" "^  max "
check cpu-unknown 2 1 -- run -cpu qemu99 "$hello"
expect_in cpu-unknown-message "$tmp/err" "unknown CPU model 'qemu99' (see prevt run -cpu help)"
check cpu-feature-list 2 1 -- run -cpu max,+x2apic "$hello"
expect_in cpu-feature-list-message "$tmp/err" "feature lists are not supported"
check cpu-missing-value 2 1 -- run "$hello" --cpu
check cpu-pentium3 1 0 -- run --cpu=pentium3 --timeout 20 "$hello"
check table-cpu 0 0 -- table -cpu pentium3
expect_in table-cpu-profile "$tmp/out" "profile pentium3: CPUID.0 \"GenuineIntel\" (max leaf 2)"
echo "not an elf" >"$tmp/text.elf"
check text-guest 2 1 -- run "$tmp/text.elf"
check elf64-guest 2 1 -- run "$prevt"
expect_in elf64-message "$tmp/err" "ELF64"
: >"$tmp/empty.elf"
check empty-guest 2 1 -- run "$tmp/empty.elf"

# -kernel/-initrd/-append (QEMU's spellings) and the long forms; the loader by the file.
poke() {  # poke FILE OFFSET PRINTF-FORMAT: bytes at OFFSET, the file kept
    printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}
check kernel-missing-value 2 1 -- run -kernel
check kernel-and-guest 2 1 -- run -kernel "$hello" "$hello"
check kernel-twice 2 1 -- run --kernel "$hello" -kernel "$hello"
check kernel-text 2 1 -- run -kernel "$tmp/text.elf"
expect_in kernel-text-message "$tmp/err" "neither an ELF file"
check initrd-multiboot 2 1 -- run -initrd "$tmp/text.elf" -kernel "$hello"
expect_in initrd-multiboot-message "$tmp/err" "needs a Linux bzImage"
head -c 8192 /dev/zero >"$tmp/bz"
poke "$tmp/bz" 0x1fe '\x55\xaa\xeb\x6aHdrS\x03\x02'
check bzimage-old 2 1 -- run -kernel "$tmp/bz"
expect_in bzimage-old-message "$tmp/err" "2.03 is too old"
poke "$tmp/bz" 0x206 '\x0f\x02'
poke "$tmp/bz" 0x1f1 '\x20'  # 33 sectors of setup: past the end of the 8 KiB file
poke "$tmp/bz" 0x211 '\x01'  # LOADED_HIGH
check bzimage-truncated 2 1 -- run --kernel="$tmp/bz" --initrd "$tmp/text.elf" -append "console=ttyS0"
expect_in bzimage-truncated-message "$tmp/err" "truncated"
check append-multiboot 1 0 -- run --timeout 20 -append "hello args" -kernel "$hello"
expect_in append-multiboot-output "$tmp/out" "hello from a prevt test guest"

# A trace item the engine cannot produce is refused, naming the engine that can.
check trace-in-asm-trap 2 1 -- run --engine trap --trace in_asm "$hello"
expect_in trace-in-asm-trap-message "$tmp/err" "only bt prints in_asm"
check trace-out-asm-kvm 2 1 -- run --engine kvm --trace int,out_asm "$hello"
check hello 1 0 -- run --timeout 20 "$hello"
expect_in hello-output "$tmp/out" "hello from a prevt test guest"
check serial-none 1 0 -- run --serial none --timeout 20 "$hello"
[ -s "$tmp/out" ] && { echo "FAIL: --serial none printed"; failed=$((failed + 1)); }
check serial-file 1 0 -- run --serial "file:$tmp/com1.txt" --timeout 20 "$hello"
expect_in serial-file-output "$tmp/com1.txt" "hello from a prevt test guest"
check stats 1 -1 -- run --stats --timeout 20 "$hello"
expect_in stats-table "$tmp/err" "exits by reason"
expect_in stats-uart "$tmp/err" "uart16550"
expect_in default-engine-is-bt "$tmp/err" "engine bt"
# Adaptive translation: the store beside its code stops faulting after a few write faults.
check bt-adaptive 1 -1 -- run --engine bt --stats --timeout 20 "$guests/translation.elf"
expect_in bt-adaptive-count "$tmp/err" "stores retranslated as callouts (adaptive) *[1-9]"
# Segment truncation: with a 3G/1G split the kernel's mappings stay across system calls.
check bt-user-ceiling 1 -1 -- run --engine bt --stats --timeout 20 "$guests/user_split.elf"
expect_in bt-user-ceiling-kept "$tmp/err" "kept above the user ceiling *[1-9]"
# glibc's TLS at negative %gs offsets: the wrapping accesses run through GS's wrap variant.
check bt-tls-wrap 1 -1 -- run --engine bt --stats --timeout 20 "$guests/../hostile/hostile_user_tls_wrap.elf"
expect_in bt-tls-wrap-count "$tmp/err" "through GS's wrap variant *3$"
expect_in bt-tls-wrap-output "$tmp/out" "read by ring 3: no), 2 faults"
expect_in bt-user-ceiling-none-taken "$tmp/err" "taken back at CPL 3 *0$"
check bt-exec 1 0 -- run --engine bt --trace exec --trace-file "$tmp/bt-exec.txt" "$hello"
expect_in bt-exec-lines "$tmp/bt-exec.txt" "^exec: 0010:00103000  mov %eax, %ebp$"
check trace-int 1 0 -- run --trace int,trap --trace-file "$tmp/trace.txt" --timeout 20 "$guests/exceptions.elf"
expect_in trace-int-lines "$tmp/trace.txt" "^int: v=0d"
expect_in trace-trap-lines "$tmp/trace.txt" "^trap: "
check trace-io 1 0 -- run --trace io --trace-file "$tmp/io.txt" --timeout 20 "$guests/portio.elf"
expect_in trace-io-lines "$tmp/io.txt" "^io: port outb 03f8 <- "
expect_in trace-io-unassigned "$tmp/io.txt" "(unassigned)$"
check trace-exec 1 0 -- run --engine trap --trace exec --trace-file "$tmp/exec.txt" --timeout 20 "$hello"
expect_in trace-exec-lines "$tmp/exec.txt" "^exec: 0008:00"

check timeout 124 1 -- run --timeout 0.5 "$guests/runaway.elf"
expect_in timeout-output "$tmp/out" "running away"
# bt: timer signals land inside indirect-branch lookups (call/ret loops) and are stepped to
# an exact guest state; the run must still end cleanly at the deadline.
check bt-timeout-in-lookups 124 -1 -- run --engine bt --timeout 0.02 "$guests/nanobench.elf"
expect_in bt-timeout-message "$tmp/err" "timeout of 0.02 s reached"
check triple-fault 3 -1 -- run --timeout 20 "$guests/triple.elf"
expect_in triple-message "$tmp/err" "triple fault"
expect_in triple-dump "$tmp/err" "^EAX="

# Disks and screen (docs/pc-devices.md): bad images are refused in one line, status 2; the
# storage guest's writes reach a read-write image and not a -snapshot one; --screen-dump
# leaves its last text screen, however the run ends.
"$(dirname "$0")/../guests/storage.setup" "$tmp"  # floppy.img, disk.img
storage=$guests/storage.elf
check fda-missing 2 1 -- run -fda "$tmp/none.img" "$hello"
check fda-directory 2 1 -- run -fda "$tmp" "$hello"
head -c 737280 "$tmp/floppy.img" >"$tmp/720k.img"
check fda-wrong-size 2 1 -- run -fda "$tmp/720k.img" "$hello"
expect_in fda-wrong-size-says "$tmp/err" "1474560"
head -c 1000 "$tmp/disk.img" >"$tmp/odd.img"
check hda-wrong-size 2 1 -- run -hda "$tmp/odd.img" "$hello"
check fda-empty-name 2 1 -- run -fda "" "$hello"
# The BIOS path (docs/real-mode.md): -fda without a guest boots through SeaBIOS; a missing,
# empty or wrongly sized -bios, or -bios with a guest, is refused in one line.
check bios-missing 2 1 -- run -bios "$tmp/none.bin" -fda "$tmp/floppy.img"
check bios-wrong-size 2 1 -- run -bios "$tmp/odd.img"
expect_in bios-wrong-size-says "$tmp/err" "multiple of 64 KiB"
check bios-empty-name 2 1 -- run -bios ""
check bios-with-guest 2 1 -- run -bios "$tmp/odd.img" "$hello"
check boot-unknown 2 1 -- run -boot z "$hello"
check boot-repeated 2 1 -- run -boot aa "$hello"
check boot-order 1 0 -- run -boot order=ca "$hello"
check display-unknown 2 1 -- run --display sdl "$hello"
check snapshot-value 2 1 -- run --snapshot=yes "$hello"
check screen-dump-unwritable 2 1 -- run --screen-dump /nonexistent/dir/s.txt "$hello"
before=$(md5sum <"$tmp/floppy.img")
check storage-snapshot 1 0 -- run -snapshot -fda "$tmp/floppy.img" -hda "$tmp/disk.img" \
    --screen-dump "$tmp/screen.txt" "$storage"
[ "$(md5sum <"$tmp/floppy.img")" = "$before" ] && passed=$((passed + 1)) ||
    { echo "FAIL: -snapshot changed the floppy image"; failed=$((failed + 1)); }
expect_in screen-dump-text "$tmp/screen.txt" "^  prevt storage guest$"
[ "$(wc -l <"$tmp/screen.txt")" -eq 25 ] && passed=$((passed + 1)) ||
    { echo "FAIL: the screen dump is not 25 lines"; failed=$((failed + 1)); }
check storage-writes 1 0 -- run -fda "$tmp/floppy.img" -hda "$tmp/disk.img" "$storage"
[ "$(md5sum <"$tmp/floppy.img")" != "$before" ] && passed=$((passed + 1)) ||
    { echo "FAIL: the guest's floppy write did not reach the image"; failed=$((failed + 1)); }
chmod a-w "$tmp/disk.img"
check hda-read-only 3 -1 -- run -fda "$tmp/floppy.img" -hda "$tmp/disk.img" "$storage"
expect_in hda-read-only-note "$tmp/err" "is not writable"
check screen-dump-timeout 124 1 -- run --timeout 0.3 --screen-dump "$tmp/t.txt" "$guests/runaway.elf"
[ "$(wc -l <"$tmp/t.txt")" -eq 25 ] && passed=$((passed + 1)) ||
    { echo "FAIL: no screen dump after --timeout"; failed=$((failed + 1)); }
check display-curses 1 -1 -- run -display curses -snapshot -fda "$tmp/floppy.img" -hda "$tmp/disk.img" "$storage"
expect_in display-ansi "$tmp/out" "prevt storage guest"
check nographic 1 0 -- run -nographic "$hello"
expect_in nographic-serial "$tmp/out" "hello from a prevt test guest"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
