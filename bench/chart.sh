#!/usr/bin/env bash
# Draws one chart of bench/run_nanobench.sh's data: one cluster per operation (a row), one bar
# per engine (a column, titled by the quoted header), log scale. The axis starts a decade
# below the smallest measured value, so that every measured bar shows (bt's cli+sti is under
# 1 ns); NaN (not measured) draws no bar.
#   bench/chart.sh DATA PNG [TITLE] [YLABEL]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/chart.sh DATA PNG [TITLE] [YLABEL]" >&2; exit 2; }
data=$1 png=$2 title=${3:-prevt nanobenchmarks} ylabel=${4:-ns per operation}
command -v gnuplot >/dev/null || { echo "gnuplot not installed: no chart $png" >&2; exit 0; }
# The smallest measured value, and the columns (fields of the first data row).
read -r lo columns < <(awk 'NR > 1 {for (i = 2; i <= NF; ++i) if ($i != "NaN" && $i > 0 &&
    (min == "" || $i < min)) min = $i; n = NF} END {
    if (min == "") min = 1; printf "%g %d\n", 10 ^ int(log(min / 2) / log(10) - (min < 2)), n}' "$data")
gnuplot <<GP
set terminal pngcairo size 1000,520 font "sans,10" noenhanced
set output "$png"
set title "$title (log scale; lower is better)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set logscale y
set format y "%g"
set yrange [$lo:*]
set ylabel "$ylabel"
set grid ytics
set key outside top center horizontal width 4
set xtics rotate by -20 noenhanced
plot for [i=2:$columns] "$data" using i:xtic(1) title columnheader(i)
GP
