#!/usr/bin/env python3
"""A copy of the FreeDOS floppy with another AUTOEXEC.BAT runs that file (docs/real-mode.md).

The copy's AUTOEXEC.BAT is rewritten in place in the FAT12 image (its root directory entry's
size, the bytes of its first cluster): prevt boots the copy through SeaBIOS and the
--screen-dump at --timeout must show the new file's output above the prompt.

Usage: freedos_autoexec.py PREVT ENGINE IMAGE    (status 0 pass, 1 fail, 77 skipped)
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

prevt, engine, image = sys.argv[1], sys.argv[2], sys.argv[3]
if not os.path.exists(image) or not os.path.exists("/usr/share/seabios/bios.bin"):
    print("SKIP: no FreeDOS image or no SeaBIOS")
    sys.exit(77)

BATCH = b"@ECHO OFF\r\nCLS\r\nECHO prevt ran this AUTOEXEC.BAT\r\n"


def rewrite_autoexec(path, text):
    with open(path, "r+b") as f:
        boot = f.read(512)
        per_sector, per_cluster, reserved, fats, root_entries = struct.unpack_from("<HBHBH", boot, 11)
        per_fat = struct.unpack_from("<H", boot, 22)[0]
        root = (reserved + fats * per_fat) * per_sector
        data = root + root_entries * 32
        f.seek(root)
        entries = f.read(root_entries * 32)
        for i in range(root_entries):
            e = entries[i * 32:(i + 1) * 32]
            if e[:11] == b"AUTOEXECBAT":
                cluster = struct.unpack_from("<H", e, 26)[0]
                if len(text) > per_cluster * per_sector:
                    raise SystemExit("FAIL: the new AUTOEXEC.BAT does not fit its first cluster")
                f.seek(data + (cluster - 2) * per_cluster * per_sector)
                f.write(text.ljust(per_cluster * per_sector, b"\x1a"))
                f.seek(root + i * 32 + 28)
                f.write(struct.pack("<I", len(text)))
                return
        raise SystemExit("FAIL: no AUTOEXEC.BAT in the image's root directory")


with tempfile.TemporaryDirectory() as tmp:
    copy, dump = os.path.join(tmp, "freedos.img"), os.path.join(tmp, "screen.txt")
    shutil.copyfile(image, copy)
    rewrite_autoexec(copy, BATCH)
    run = subprocess.run([prevt, "run", "--engine", engine, "-fda", copy, "-boot", "a",
                          "--display", "none", "--screen-dump", dump, "--timeout", "20"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    screen = open(dump).read() if os.path.exists(dump) else ""
    lines = [l.rstrip() for l in screen.splitlines() if l.strip()]
    if run.returncode != 124 or lines[:1] != ["prevt ran this AUTOEXEC.BAT"] or "A:\\>" not in lines:
        print(f"FAIL: status {run.returncode}, screen:\n{screen}{run.stderr.decode()}")
        sys.exit(1)
    print("PASS: the copy ran its own AUTOEXEC.BAT:\n" + "\n".join(lines))
