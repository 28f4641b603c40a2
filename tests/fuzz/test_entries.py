#!/usr/bin/env python3
"""The x87-image entries of known_deviations.md list what they should and nothing else:
digests from the 10^6 run (seed 2027), classified as they are, and again with one of bt's
image fields set to what a leak would put there -- a translation-cache address in FIP or
FDP, a monitor selector in FCS or FDS, a FIP no x87 instruction of the sequence has -- which
no entry may list. Run by ctest (fuzz.entries); no QEMU needed.

    test_entries.py KNOWN.md
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

PREFIX = ("00000007 ff 00000000 00000000 00000000 0010.0098.0010.0010.0010 80010033 9ecae2ca 037f "
          "0000 00 00001f80 811c9dc5 a3c76076 00000000 0000")
REGS = "16061426 00000007 ba391f65 00400800 00401800 00401000 00400404 00400c04"

# (name, text, starts, bt img, qemu img, entries expected for the record as it is)
RECORDS = [
    ("fnsave (seed 2027, 18)", "fnsave 0x13E3(%ebx); mov $0x08, %ecx; repe cmpsd", "0,6,b",
     "00107490:0010509d/sffff037f.ffff2800.ffff03ff.0010509d.00000008.00000000.ffff0000",
     "00107490:0010509d/s0000037f.00002800.000003ff.0010509d.00000008.00152b00.00000010",
     "CPU-1+QEMU-30"),
    ("fnstsw after fninit (52377)", "fninit; fnstsw %ax; fnstenv 0x13E0(%ebx); aad $0x46",
     "0,2,4,a",
     "0011d260:0010509d/effff037f.ffff0000.ffffffff.00000000.00000000.00000000.ffff0000",
     "0011d260:0010509d/e0000037f.00000000.0000ffff.0011d262.00000008.00000000.00000000",
     "QEMU-30+QEMU-32"),
    # fxsave (8646) with bytes 288-511 as a CPU leaves them ('u'; bt writes them: README.md,
    # feature fxsave), so that QEMU-31 is what is tested.
    ("fxsave (8646)", "fxsave 0x13E0(%ebx); cmc", "0,7",
     "00128cc0:0010509d/x2800037f.000000e0.0010509d.00000008.00000000.00000000.z.u",
     "00128cc0:0010509d/x2800037f.4a4000e0.00000000.00000000.00000000.00000000.u.u",
     "QEMU-31"),
]

# (record, dot-separated image field index, value): leaks that must stay unlisted
LEAKS = [
    (0, 3, "fe101220"), (0, 4, "00000033"), (0, 5, "fe2001a0"), (0, 6, "ffff002b"),
    (0, 5, "00401234"), (0, 4, "01230008"),
    (1, 3, "fe101220"), (1, 4, "00000033"), (1, 3, "0011d263"),
    (2, 2, "fe101220"), (2, 3, "00000033"), (2, 4, "fe2001a0"), (2, 5, "0000002b"),
    (2, 2, "00128cc1"), (2, 6, "12345678"),
]


def record(text, starts, bt_img, qemu_img):
    a = f"{REGS} {PREFIX} {bt_img}".split()
    b = f"{REGS} {PREFIX} {qemu_img}".split()
    fields = [compare.FIELDS[i] for i in range(len(a)) if a[i] != b[i]]
    if "img" in fields:
        fields[fields.index("img"):fields.index("img") + 1] = compare.image_fields(a, b)
    return {"text": text, "starts": starts, "bt": " ".join(a), "qemu": " ".join(b),
            "fields": fields}


def with_field(img, index, value):
    head, image = img.split("/")
    parts = image[1:].split(".")
    parts[index] = value
    return head + "/" + image[0] + ".".join(parts)


def main(known_path):
    known = compare.read_known(known_path)
    bad = 0
    for name, text, starts, bt_img, qemu_img, want in RECORDS:
        got = compare.classify(record(text, starts, bt_img, qemu_img), known)
        print(f"{name}: {got}" + ("" if got == want else f"  (expected {want})"))
        bad += got != want
    for i, index, value in LEAKS:
        name, text, starts, bt_img, qemu_img, _ = RECORDS[i]
        rec = record(text, starts, with_field(bt_img, index, value), qemu_img)
        got = compare.classify(rec, known)
        print(f"{name}, bt field {index} = {value}: {got or 'unlisted'}")
        bad += got is not None
    print("fuzz.entries: " + ("ok" if not bad else f"{bad} wrong"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]) if len(sys.argv) == 2 else __doc__)
