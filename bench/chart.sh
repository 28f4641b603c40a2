#!/usr/bin/env bash
# Draws docs/benchmarks.png from docs/benchmarks.dat (written by bench/run_nanobench.sh):
# ns per operation, one cluster per operation, one bar per engine, log scale.
#   bench/chart.sh [DATA] [PNG] [TITLE] [KVM_LABEL]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-docs/benchmarks.dat} png=${2:-docs/benchmarks.png}
title=${3:-prevt nanobenchmarks} kvm=${4:-kvm}
command -v gnuplot >/dev/null || { echo "gnuplot not installed: no chart" >&2; exit 0; }
gnuplot <<GP
set terminal pngcairo size 1000,520 font "sans,10" noenhanced
set output "$png"
set title "$title (ns per operation, log scale; lower is better)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set logscale y
set format y "%.0e"
set yrange [0.5:*]
set ylabel "ns per operation"
set grid ytics
set key top left
set key autotitle columnheader
plot "$data" using 2:xtic(1) title "native", '' using 3 title "trap", '' using 4 title "bt", \
     '' using 5 title "$kvm", '' using 6 title "QEMU TCG", '' using 7 title "QEMU KVM"
GP
