# Sourced by bench/linux_boot.sh and bench/linux_workload.sh: the arguments [REPS] [PREVT] (REPS
# defaulting to $default_reps), the Linux guest fetched (scripts/get-linux-guest.sh) and the
# tools checked. Sets reps, prevt, cache, qemu, kernel. Exits 2 with one line if a tool is
# missing.
me=$(basename "$0")
reps=${1:-$default_reps}
prevt=${2:-build/core/prevt}
cache=${PREVT_GUEST_CACHE:-$HOME/.cache/prevt/linux}
qemu=${QEMU_I386:-qemu-system-i386}
command -v "$qemu" >/dev/null || { echo "$me: no $qemu" >&2; exit 2; }
[ -x "$prevt" ] || { echo "$me: no prevt at $prevt (scripts/build.sh)" >&2; exit 2; }
scripts/get-linux-guest.sh >/dev/null
kernel=$cache/vmlinuz-686
