#!/usr/bin/env python3
"""FreeDOS's shell answering a typed command (docs/real-mode.md): SeaBIOS boots the FreeDOS
floppy under --display text in a pseudo-terminal; once A:\\> is on the screen, `ver` and Enter
are typed (the terminal's bytes become PS/2 key strokes through the 8042, SeaBIOS's int 16h
reads them); the --screen-dump at --timeout must hold FreeCOM's version line.

Usage: freedos_ver.py PREVT ENGINE IMAGE    (status 0 pass, 1 fail, 77 skipped)
"""
import os
import pty
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from pty_reader import PtyReader  # noqa: E402 (tests/cli)

prevt, engine, image = sys.argv[1], sys.argv[2], sys.argv[3]
if not os.path.exists(image) or not os.path.exists("/usr/share/seabios/bios.bin"):
    print("SKIP: no FreeDOS image or no SeaBIOS")
    sys.exit(77)

with tempfile.TemporaryDirectory() as tmp:
    dump = os.path.join(tmp, "screen.txt")
    master, slave = pty.openpty()
    proc = subprocess.Popen([prevt, "run", "--engine", engine, "-fda", image, "-boot", "a",
                             "-snapshot", "--display", "text", "--screen-dump", dump,
                             "--timeout", "20"],
                            stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    tty = PtyReader(master)

    tty.wait_for(b"A:\\>", 25, 0.2)
    if b"A:\\>" not in tty.out:
        proc.kill()
        proc.wait()
        print("FAIL: no A:\\> prompt drawn:", repr(tty.out[-300:]))
        sys.exit(1)
    tty.pump(0.5)
    for key in b"ver\r":
        os.write(master, bytes([key]))
        tty.pump(0.15)
    proc.wait(timeout=30)
    os.close(master)
    os.close(slave)
    screen = open(dump).read() if os.path.exists(dump) else ""
    if "FreeCom version" not in screen and "FreeCOM version" not in screen:
        print("FAIL: no FreeCOM version on the screen:\n" + screen)
        sys.exit(1)
    print("PASS: `ver` answered:")
    print("\n".join(l.rstrip() for l in screen.splitlines() if l.strip()))
