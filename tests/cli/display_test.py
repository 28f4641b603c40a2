#!/usr/bin/env python3
"""--display text through a pseudo-terminal (core/text_display.hpp, core/terminal_keys.hpp):
the guest's text screen drawn with ANSI escapes, typed keys reaching the guest as set 2 scan
codes through the 8042, the terminal given back afterwards, --screen-dump written.

Usage: display_test.py PREVT GUEST_DIR
"""
import os
import pty
import subprocess
import sys
import tempfile
import termios
from pty_reader import PtyReader  # (this directory)

prevt, guests = sys.argv[1], sys.argv[2]
failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(name)
        print(f"FAIL: {name}{': ' + detail if detail else ''}", flush=True)


with tempfile.TemporaryDirectory() as tmp:
    serial, dump = os.path.join(tmp, "com1.txt"), os.path.join(tmp, "screen.txt")
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([prevt, "run", "--display", "text", "--serial", f"file:{serial}",
                             "--screen-dump", dump, "--timeout", "20",
                             os.path.join(guests, "keyboard.elf")],
                            stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    tty = PtyReader(master)

    tty.wait_for(b"keyboard guest", 15)
    check("the screen is drawn", b"keyboard guest: type, then Enter" in tty.out, repr(tty.out[-200:]))
    check("ANSI colours", b"\x1b[0;37;40m" in tty.out)
    os.write(master, b"oK\r")
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    tty.pump(0.2)
    err = proc.stderr.read().decode(errors="replace")
    check("status 1 (V = 0)", proc.returncode == 1, f"{proc.returncode}: {err}")
    with open(serial) as f:
        codes = f.read().split()
    want = "44 f0 44 12 42 f0 42 f0 12 5a".split()  # o, K with Shift, Enter's make
    check("the keys as set 2 scan codes", codes == want, " ".join(codes))
    check("the terminal given back", termios.tcgetattr(slave) == before)
    with open(dump) as f:
        lines = f.read().split("\n")
    check("the screen dump", lines[0] == "keyboard guest: type, then Enter" and
          lines[1].startswith("44 f0 44 12 42"), repr(lines[:2]))
    os.close(master)
    os.close(slave)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
