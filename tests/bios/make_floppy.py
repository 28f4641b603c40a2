#!/usr/bin/env python3
"""A 1.44 MB floppy image for a boot-sector test: the 512-byte boot sector, then sector 2
holding the bytes 0x00, 0x01, ... 0xff twice, then zeros.   make_floppy.py SECTOR IMAGE"""
import sys

sector = open(sys.argv[1], "rb").read()
if len(sector) != 512 or sector[510:] != b"\x55\xaa":
    sys.exit(f"{sys.argv[1]}: not a 512-byte boot sector ending in 55 aa")
image = sector + bytes(i & 0xFF for i in range(512))
open(sys.argv[2], "wb").write(image.ljust(1474560, b"\0"))
