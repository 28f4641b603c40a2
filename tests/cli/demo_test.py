#!/usr/bin/env python3
"""`prevt demo` (core/cli/demos/, docs/teaching.md): each of the seven demos runs and exits 0,
every line fits 100 columns, the measured figures are there and plausible (bt's cli+sti far
cheaper than trap's, bt right where trap is wrong, the shadow's counts as the guest made them),
all seven well under a minute, bad names refused with one line and status 2; and, where
qemu-system-i386 is installed, the teaching guest's "hardware" column is what QEMU TCG gives.
Usage: demo_test.py PREVT [GUEST_DIR]"""
import os
import re
import shutil
import subprocess
import sys
import time

from checks import check, result

prevt = sys.argv[1]
DEMOS = ["sensitive", "rings", "compression", "paging", "syscalls", "interrupts", "tpr"]


def run(*args):
    p = subprocess.run([prevt, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def tables(text):
    """{row name: {engine: cell}} for every table (a header line of engine names, then rows)."""
    rows, engines = {}, []
    for line in text.splitlines():
        words = line.split()
        if words and all(w in ("trap", "bt", "kvm", "hardware", "trap/bt") for w in words):
            engines = [w for w in words if w in ("trap", "bt", "kvm")]
            continue
        if engines and line.startswith("  ") and len(words) > len(engines):
            rows.setdefault(words[0], {}).update(
                {e: c.rstrip("!") for e, c in zip(engines, words[1:])})
            rows[words[0]].update({e + "!": c.endswith("!") for e, c in zip(engines, words[1:])})
        elif not line.startswith("  "):
            engines = [] if not line.strip() or line.endswith(":") else engines
    return rows


def number(cell):
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


start = time.monotonic()
status, out, err = run("demo", "all", "--engine", "trap,bt")
elapsed = time.monotonic() - start
check("demo all: status 0", status == 0, f"status {status}: {err.strip()[:200]}")
check("demo all: well under a minute", elapsed < 30, f"{elapsed:.1f} s")
long_lines = [l for l in out.splitlines() if len(l) > 100]
check("demo all: lines <= 100 columns", not long_lines, long_lines[0] if long_lines else "")
for d in DEMOS:
    check(f"demo all: {d} shown", f"prevt demo {d}:" in out)
t = tables(out)
cli = t.get("cli_sti", {})
trap, bt = number(cli.get("trap")), number(cli.get("bt"))
check("cli+sti measured on both", trap is not None and bt is not None, str(cli))
check("bt's cli+sti far cheaper than trap's", trap and bt and bt * 20 < trap, str(cli))
check("bt's cli+sti not shown as 0", bt is not None and bt > 0, str(cli))
m = re.search(r"wrong answer: trap (\d+) of (\d+); bt (\d+) of", out)
check("sensitive: trap wrong, bt right", m and int(m.group(1)) > 0 and m.group(3) == "0",
      m.group(0) if m else "no tally")
check("rings: trap reads CPL 3, bt 0", t.get("cpl0_cs_rpl", {}).get("trap") == "3"
      and t.get("cpl0_cs_rpl", {}).get("bt") == "0", str(t.get("cpl0_cs_rpl")))
check("rings: Linux's LDT entry is DPL 3", "installed it with DPL 3" in out.replace("\n", " "))
check("compression: the guest's value at 0xfe000000",
      t.get("read_at_fe000000", {}).get("trap") == "600dcafe"
      and t.get("read_at_fe000000", {}).get("bt") == "600dcafe")
check("compression: trap's lsl truncated", t.get("ds_limit_by_lsl", {}).get("trap") == "fdffffff")
check("paging: the guest counted 1000 true faults",
      t.get("true_faults_seen", {}).get("bt") == "3e8", str(t.get("true_faults_seen")))
true = re.search(r"^  true faults\s+(\d+)\s+(\d+)", out, re.M)
check("paging: the shadow counted the true faults the guest saw",
      true and true.group(1) == "1000" and true.group(2) == "1000", true.group(0) if true else "")
hidden = re.search(r"^  hidden faults\s+(\d+)\s+(\d+)", out, re.M)
check("paging: hidden faults counted", hidden and int(hidden.group(2)) >= 1000,
      hidden.group(0) if hidden else "no row")
for op in ("true_fault", "invlpg_refill", "int80_iret", "sysenter_sysexit", "tpr_write",
           "self_ipi_taken", "load_at_fe000000"):
    row = t.get(op, {})
    vals = [number(row.get(e)) for e in ("trap", "bt")]
    check(f"{op} measured and plausible", all(v is not None and 1 < v < 1e6 for v in vals), str(row))
check("interrupts: popf lets the IPI in under bt, not trap",
      t.get("taken_after_popf", {}).get("bt") == "1"
      and t.get("taken_after_popf", {}).get("trap") == "0", str(t.get("taken_after_popf")))
check("tpr: a TPR write costs more than a RAM store under trap",
      number(t.get("tpr_write", {}).get("trap") or "") and number(t.get("ram_store", {}).get("trap"))
      is not None and number(t["tpr_write"]["trap"]) > 10 * number(t["ram_store"]["trap"]))

status, out, err = run("demo", "--engine", "bt")
check("demo (no name) is the sensitive one", status == 0 and "prevt demo sensitive:" in out
      and "prevt demo rings:" not in out, err[:200])
headers = [l.split() for l in out.splitlines() if l.split()[:1] == ["bt"]]
check("--engine bt: one column", headers and all(h in (["bt", "hardware"], ["bt"]) for h in headers),
      str(headers))
status, out, err = run("demo", "tpr")  # the default columns: trap, bt and kvm where it opens
check("demo tpr (default engines): status 0", status == 0, err[:200])
check("demo tpr: lines <= 100 columns", all(len(l) <= 100 for l in out.splitlines()))
for args in (["demo", "nonesuch"], ["demo", "rings", "--engine", "trap,qemu"]):
    status, out, err = run(*args)
    check(f"{' '.join(args)}: one line, status 2", status == 2 and len(err.splitlines()) == 1,
          f"status {status}: {err}")
qemu = shutil.which("qemu-system-i386")
teach = os.path.join(sys.argv[2], "teach.elf") if len(sys.argv) > 2 else ""
if qemu and os.path.exists(teach):
    for section in DEMOS[1:]:
        p = subprocess.run([qemu, "-nodefaults", "-no-reboot", "-m", "128", "-kernel", teach,
                            "-append", section, "-serial", "stdio", "-display", "none",
                            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                           capture_output=True, text=True, timeout=60)
        rows = [l.split("|") for l in p.stdout.splitlines() if l.startswith("RESULT|")]
        differ = [r[1] for r in rows if len(r) < 4 or r[2] != r[3]]
        check(f"QEMU TCG gives the hardware column of {section}", rows and not differ
              and p.returncode == 1, f"status {p.returncode}, differ: {differ}")
else:
    print("demo: QEMU or the teaching guest missing: the hardware column is not checked")
sys.exit(result("demo"))
