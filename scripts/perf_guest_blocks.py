#!/usr/bin/env python3
"""Samples per guest block, from prevt's --perf-map and perf's sample addresses.

perf report reads /tmp/perf-PID.map only for anonymous executable memory; prevt's translation
cache lives in the monitor area, a memfd mapping, which perf reports as a file
("memfd:prevt-monitor-area (deleted)") and does not symbolise. This script does what perf
report would: it attributes each sample address to the map line that covers it (a later line
wins: after a cache flush the addresses are used again).

Usage: perf record -o DATA -- prevt --perf-map ... GUEST
       perf script -i DATA -F ip | scripts/perf_guest_blocks.py /tmp/perf-PID.map [TOP]
"""
import bisect
import sys


def load_map(path):
    blocks = {}
    with open(path) as f:
        for line in f:
            start, size, name = line.rstrip("\n").split(" ", 2)
            blocks[int(start, 16)] = (int(size, 16), name)  # the later line wins
    starts = sorted(blocks)
    return starts, blocks


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    starts, blocks = load_map(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) == 3 else 20
    counts, total = {}, 0
    for line in sys.stdin:
        word = line.strip()
        if not word:
            continue
        ip = int(word, 16)
        total += 1
        i = bisect.bisect_right(starts, ip) - 1
        name = "(outside the translation cache)"
        if i >= 0 and ip < starts[i] + blocks[starts[i]][0]:
            name = blocks[starts[i]][1]
        counts[name] = counts.get(name, 0) + 1
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{100.0 * n / max(total, 1):6.2f}%  {n:8d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
