#!/usr/bin/env python3
"""Commands the docs quote, run, and their output compared with what the docs say it is (a
cheap doc test: issue 17). Each entry names a doc, the command as the doc quotes it, the
fragments of output the doc quotes, and the exit status; the test checks that the doc still
quotes them (so doc and test cannot drift apart silently) and that the command's output holds
every fragment. Whitespace is compared collapsed (the demos wrap at 100 columns).
Usage: doc_test.py PREVT REPO"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from checks import check, result  # noqa: E402

prevt, repo = sys.argv[1], sys.argv[2]

# (doc, the command as quoted, the arguments run, [fragments the doc quotes], status)
ENTRIES = [
    ("docs/cpu-profiles.md", "prevt run -cpu help", ["run", "-cpu", "help"],
     ["n270", "pentium3", "max"], 0),
    ("docs/cpu-profiles.md", "-cpu", ["run", "-cpu", "x", "guest.elf"],
     ["prevt: -cpu: unknown CPU model 'x' (see prevt run -cpu help)"], 2),
    ("docs/teaching.md", "prevt demo rings", ["demo", "rings", "--engine", "trap,bt"],
     ["Linux installed it with DPL 3", "cpl0_cs_rpl"], 0),
    ("docs/teaching.md", "prevt demo paging --engine bt", ["demo", "paging", "--engine", "bt"],
     ["true_faults_seen 3e8"], 0),
    ("docs/teaching.md", "prevt demo interrupts", ["demo", "interrupts", "--engine", "trap,bt"],
     ["taken_after_popf 0! 1 1"], 0),
    ("docs/teaching.md", "prevt demo frequent", ["demo", "frequent", "--engine", "bt"],
     ["tpr_write", "eoi_write"], 0),
    ("docs/teaching.md", "prevt demo all", ["demo", "all", "--engine", "bt"],
     ["prevt demo sensitive:", "prevt demo tpr:"], 0),
]


def collapse(text):
    return re.sub(r"\s+", " ", text)


for doc, quoted, args, fragments, want in ENTRIES:
    with open(os.path.join(repo, doc), encoding="utf-8") as f:
        text = collapse(f.read())
    check(f"{doc} quotes `{quoted}`", collapse(quoted) in text)
    for frag in fragments:
        check(f"{doc} quotes '{frag}'", collapse(frag) in text)
    p = subprocess.run([prevt, *args], capture_output=True, text=True, timeout=120)
    out = collapse(p.stdout + p.stderr)
    check(f"prevt {' '.join(args)}: status {want}", p.returncode == want, f"got {p.returncode}")
    for frag in fragments:
        check(f"prevt {' '.join(args)} prints '{frag}'", collapse(frag) in out, out[:300])
sys.exit(result("docs"))
