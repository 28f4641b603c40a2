#!/usr/bin/env bash
# The cost of a change on the nanobenchmarks: two prevt binaries (before and after) run the
# same nanobenchmark guests on one engine, interleaved A B A B ... REPS times, and each
# operation's fastest run is compared (this host's noise only ever slows a run down, so the
# minimum is the stable figure). Prints one row per operation: cycles before, after, ratio.
#   bench/compare_builds.sh OLD_PREVT NEW_PREVT [REPS] [ENGINE]
# e.g. a build of the previous commit:
#   git worktree add /tmp/old HEAD~1 && cmake -S /tmp/old -B /tmp/old/build && \
#   cmake --build /tmp/old/build -j2 --target prevt && \
#   bench/compare_builds.sh /tmp/old/build/core/prevt build/core/prevt 8
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 OLD_PREVT NEW_PREVT [REPS] [ENGINE]" >&2; exit 2; }
old=$1 new=$2 reps=${3:-8} engine=${4:-bt}
guests=(build/tests/guests/nanobench.elf build/tests/guests/nanobench_paging.elf)
for f in "$old" "$new" "${guests[@]}"; do
    [ -e "$f" ] || { echo "missing $f (scripts/build.sh builds the guests)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # run LABEL PREVT GUEST: appends "op cycles" lines to $tmp/LABEL
    timeout 120 "$2" run --engine "$engine" --timeout 100 "$3" </dev/null 2>/dev/null |
        awk -F'|' '/^BENCH\|/ {print $2, $3}' >>"$tmp/$1" || true
}
for ((i = 0; i < reps; i++)); do
    for g in "${guests[@]}"; do
        run old "$old" "$g"
        run new "$new" "$g"
    done
    printf '.' >&2
done
echo >&2
echo "engine $engine, fastest of $reps interleaved runs (cycles)"
printf '%-22s %14s %14s %8s\n' operation before after ratio
awk 'FNR == 1 {f++}
     {k = $1; v = $2 + 0; if (!((f, k) in m) || v < m[f, k]) m[f, k] = v
      if (f == 1 && !(k in seen)) {seen[k] = 1; order[++n] = k}}
     END {for (i = 1; i <= n; i++) {k = order[i]; a = m[1, k]; b = m[2, k]
          printf "%-22s %14d %14d %8.2f\n", k, a, b, a ? b / a : 0}}' \
    "$tmp/old" "$tmp/new"
