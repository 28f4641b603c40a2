#!/bin/bash
# The reproduction of bt's wrong-md5 bug (fixed: docs/linux-guest.md, "Fixed (2026-12-02)"):
# busybox's md5sum (and sha256sum) in the Linux guest printed a wrong digest of a file whose
# bytes were right, in ~5-10% of runs while the host was loaded. Kept as a diagnostic for
# bugs of the kind (a state wrong after an exit at some point of translated code), not a
# ctest: it prints what it measured and exits 0 whatever the counts. Every count 0 and all
# md5sums 8d55a91d... is right.
#   tests/linux/repro/md5_under_load.sh [PARALLEL_RUNS] [PREVT]
# Builds an initramfs from the bench one plus two static i386 programs:
#   own_md5           the same algorithm, our code, reading the same file (was never wrong);
#   busybox_md5_block busybox's own md5 block function, mapped from /bin/busybox at its address
#                     and run over memory (no system calls): was wrong in ~1% of 256 KiB passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-2}
prevt=${2:-$here/../../../build/core/prevt}
cache=${PREVT_LINUX_CACHE:-$HOME/.cache/prevt/linux}
[ -f "$cache/initrd-bench.cpio.gz" ] || { echo "md5_under_load: run scripts/get-linux-guest.sh first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/root"
(cd "$work/root" && zcat "$cache/initrd-bench.cpio.gz" | cpio -id 2>/dev/null)
gcc -m32 -static -O2 -o "$work/root/bin/own_md5" "$here/own_md5.c"
gcc -m32 -static -O1 -o "$work/root/bin/busybox_md5_block" "$here/busybox_md5_block.c"
cat >"$work/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t tmpfs -o size=60m tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /mnt
for i in $(seq 1 200); do /bin/true; done
seq 1 3000000 | head -c 4194304 >/mnt/n1

own_md5 /mnt/n1 40
busybox_md5_block /bin/busybox 80
for r in $(seq 1 40); do md5sum /mnt/n1; done >/mnt/many
echo "RESULT busybox md5sum: $(sort /mnt/many | uniq -c | sort -rn | awk '{printf "%s x%d; ", substr($2,1,8), $1}')"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$work/repro.cpio.gz")
for k in $(seq 1 "$n"); do
    timeout 600 "$prevt" run -kernel "$cache/vmlinuz-686" -initrd "$work/repro.cpio.gz" \
        -append "console=ttyS0 panic=-1 quiet" 2>&1 | grep -a "RESULT\|own_md5:\|busybox_md5_block:" &
done
wait
echo "(right digest of the 4 MiB file: 8d55a91d434e1a8fa7b9322ecfa3f70b)"
