#!/usr/bin/env bash
# Fetches Debian 12's 32-bit Linux guest and builds its three initramfs images (docs/linux-guest.md).
#   - the kernel: linux-image-6.1.0-NN-686-unsigned:i386 (non-PAE, 2-level paging), the NN that
#     the linux-image-686:i386 metapackage currently depends on;
#   - busybox-static:i386;
#   - initrd-shell.cpio.gz: /init mounts proc, sys, devtmpfs and gives a shell on the console;
#   - initrd-test.cpio.gz: /init runs a fixed script (markers, /proc, fork/exec, a pipeline,
#     tmpfs + md5sum, sleep 1 timed) and powers off;
#   - initrd-bench.cpio.gz: /init runs bench/linux_workload.sh's phases (500 fork/execs, 16 MiB
#     generated and md5summed, sort and awk over 200,000 lines), each timed, and powers off.
# Everything goes to ${PREVT_GUEST_CACHE:-$HOME/.cache/prevt/linux} (CI may cache it). Idempotent:
# downloads and extractions already done are skipped; the images are rebuilt only when this
# script or busybox changed. Prints where the files are. Exits 2 with one line when something
# cannot be had. Needs root (or sudo) only for dpkg --add-architecture, apt-get update/install.
set -euo pipefail

cache=${PREVT_GUEST_CACHE:-$HOME/.cache/prevt/linux}
self=$(readlink -f "$0")
fail() { echo "get-linux-guest: $*" >&2; exit 2; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
as_root() { $sudo "$@"; }

mkdir -p "$cache/debs" "$cache/root" 2>/dev/null && cd "$cache" || fail "cannot create $cache"
# One run at a time per cache (ctest may start several tests that call this script).
exec 9>"$cache/.lock"
flock 9 || fail "cannot lock $cache/.lock"

# Tools: apt-get and dpkg come with Debian; cpio and gzip may need installing.
command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "needs Debian's apt-get and dpkg"
missing=()
for tool in cpio gzip; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  as_root apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || fail "cannot install ${missing[*]}"
fi

# The i386 package lists (only when a package is still to be downloaded).
have_deb() { compgen -G "debs/$1_*_i386.deb" >/dev/null; }
kernel_deb() { compgen -G 'debs/linux-image-6.1.0-*-686-unsigned_*_i386.deb' | sort -V | tail -1; }
if [ -z "$(kernel_deb || true)" ] || ! have_deb busybox-static; then
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    as_root dpkg --add-architecture i386 || fail "dpkg --add-architecture i386 failed"
  fi
  as_root apt-get update -qq || fail "apt-get update failed"
  # The current ABI: linux-image-686 depends on linux-image-6.1.0-NN-686 (the signed build);
  # the unsigned package of the same ABI holds the same kernel.
  abi=$(apt-cache depends linux-image-686:i386 2>/dev/null |
        sed -n 's/.*Depends: \(linux-image-6\.1\.0-[0-9]*-686\)\(:i386\)\?$/\1/p' | head -1)
  [ -n "$abi" ] || fail "apt-cache finds no linux-image-686:i386 (is Debian 12's i386 archive reachable?)"
  # As root, apt's _apt user cannot write to a cache under /root: download as root.
  sandbox=()
  [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
  (cd debs &&
   if [ -z "$(cd .. && kernel_deb || true)" ]; then
     apt-get download -q "${sandbox[@]}" "$abi-unsigned:i386" >/dev/null || exit 1
   fi &&
   if ! compgen -G 'busybox-static_*_i386.deb' >/dev/null; then
     apt-get download -q "${sandbox[@]}" busybox-static:i386 >/dev/null || exit 1
   fi) || fail "apt-get download of $abi-unsigned:i386 or busybox-static:i386 failed"
fi
kdeb=$(kernel_deb)
bdeb=$(compgen -G 'debs/busybox-static_*_i386.deb' | sort -V | tail -1)

# Extract (once per .deb).
extract() {  # DEB DIR
  if [ ! -e "$2/.extracted-$(basename "$1")" ]; then
    rm -rf "$2" && mkdir -p "$2"
    dpkg -x "$1" "$2" || fail "dpkg -x $1 failed"
    touch "$2/.extracted-$(basename "$1")"
  fi
}
extract "$kdeb" root/kernel
extract "$bdeb" root/busybox
vmlinuz=$(compgen -G 'root/kernel/boot/vmlinuz-*' | head -1) || true
[ -n "$vmlinuz" ] || fail "no boot/vmlinuz-* in $kdeb"
busybox=root/busybox/bin/busybox
[ -x "$busybox" ] || fail "no bin/busybox in $bdeb"
cp -p "$vmlinuz" vmlinuz-686
basename "$vmlinuz" | sed 's/^vmlinuz-//' >kernel-release

# The initramfs images: busybox with its applets as links, /dev/console for the first output.
build_initrd() {  # NAME INIT-SCRIPT
  local name=$1 tree="root/initrd-$1" stamp
  stamp=$(cat "$self" "$busybox" | md5sum | cut -d' ' -f1)
  if [ -s "initrd-$name.cpio.gz" ] && [ "$(cat "initrd-$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  rm -rf "$tree"
  mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,root,etc}
  cp "$busybox" "$tree/bin/busybox"
  local applet
  for applet in $("$busybox" --list-full); do
    [ -e "$tree/$applet" ] || ln -s /bin/busybox "$tree/$applet"
  done
  printf '%s\n' "$2" >"$tree/init"
  chmod 755 "$tree/init"
  # cpio cannot create device nodes without root; the kernel's own initramfs list can, but
  # devtmpfs supplies them: /dev/console is made by the kernel (default_rootfs) only when
  # missing, so the archive carries one when we can make it.
  if [ "$(id -u)" -eq 0 ]; then
    mknod -m 600 "$tree/dev/console" c 5 1
    mknod -m 666 "$tree/dev/null" c 1 3
  fi
  (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -9n >"initrd-$name.cpio.gz.tmp" || fail "building initrd-$name.cpio.gz failed"
  mv "initrd-$name.cpio.gz.tmp" "initrd-$name.cpio.gz"
  echo "$stamp" >"initrd-$name.stamp"
}

read -r -d '' shell_init <<'EOF' || true
#!/bin/sh
# prevt's interactive Linux guest: a busybox shell on the console.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "prevt-linux: shell ready (poweroff -f ends the machine)"
exec setsid cttyhack /bin/sh
EOF

read -r -d '' test_init <<'EOF' || true
#!/bin/sh
# prevt's non-interactive Linux guest: fixed commands with markers, then power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "=== prevt-linux-test: start"
echo "=== /proc"
for f in cpuinfo meminfo mounts self/status uptime version; do [ -r /proc/$f ] && echo "/proc/$f"; done
echo "=== cat /proc/cpuinfo | head"
cat /proc/cpuinfo | head
echo "=== fork/exec loop"
i=0
for i in $(seq 1 50); do /bin/true; done
echo "fork/exec: $i done"
echo "=== pipeline"
seq 1 1000 | sort -r | head -3
echo "=== tmpfs"
mkdir -p /mnt/t
mount -t tmpfs tmpfs /mnt/t
dd if=/dev/zero of=/mnt/t/zero bs=1k count=1024 2>/dev/null
wc -c </mnt/t/zero
md5sum /mnt/t/zero
umount /mnt/t
echo "=== sleep 1"
t0=$(date +%s)
sleep 1
t1=$(date +%s)
echo "sleep 1 took $((t1 - t0)) s (date +%s)"
echo "=== prevt-linux-test: done"
poweroff -f
EOF

read -r -d '' bench_init <<'EOF' || true
#!/bin/sh
# prevt's Linux workload (bench/linux_workload.sh): fixed work in phases, each timed by the
# guest's own clock (/proc/uptime), with results that must match QEMU's; then power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /mnt/t
mount -t tmpfs -o size=64m tmpfs /mnt/t
up() { cut -d' ' -f1 /proc/uptime; }
phase() {
  name=$1
  shift
  t0=$(up)
  "$@"
  echo "=== bench $name $t0 $(up)"
}
forks() { for i in $(seq 1 500); do /bin/true; done; }
generate() { seq 1 3000000 | head -c 16777216 >/mnt/t/numbers; wc -c </mnt/t/numbers; }
digest() { md5sum /mnt/t/numbers; }
sorting() { head -n 200000 /mnt/t/numbers | sort -r | head -n 1; }
summing() { head -n 200000 /mnt/t/numbers | awk '{ s += $1 } END { print s }'; }
echo "=== prevt-linux-bench: start $(up)"
phase fork-exec-500 forks
phase generate-16MiB generate
phase md5sum-16MiB digest
phase sort-200k sorting
phase awk-200k summing
echo "=== prevt-linux-bench: done $(up)"
poweroff -f
EOF

build_initrd shell "$shell_init"
build_initrd test "$test_init"
build_initrd bench "$bench_init"

echo "kernel:            $cache/vmlinuz-686 ($(cat kernel-release), from $(basename "$kdeb"))"
echo "shell initramfs:   $cache/initrd-shell.cpio.gz"
echo "test initramfs:    $cache/initrd-test.cpio.gz"
echo "bench initramfs:   $cache/initrd-bench.cpio.gz"
echo "boot under QEMU:   qemu-system-i386 -m 128 -nographic -no-reboot -kernel $cache/vmlinuz-686 -initrd $cache/initrd-test.cpio.gz -append 'console=ttyS0 panic=-1'"
