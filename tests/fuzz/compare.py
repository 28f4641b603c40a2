#!/usr/bin/env python3
"""The differential fuzzer's comparison and report (driven by bench/fuzz.sh).

  compare.py batch LIST BT_OUT QEMU_OUT RESULTS   compares one batch: appends a JSON record per
                                                  divergence to RESULTS, prints the index of the
                                                  first sequence either run did not reach (or
                                                  "done"); a run that stopped early is one
                                                  divergence ("stopped") at that sequence, and
                                                  the batch resumes after it; a QEMU guest that
                                                  found reserved EFLAGS bits before a sequence
                                                  is one "restart" record (QEMU-7r) and the
                                                  batch resumes at that sequence
  compare.py report RESULTS KNOWN.md TOTAL        prints the summary: sequences, divergences, per
                                                  million, known (KNOWN.md) and unknown ones grouped;
                                                  exit status 1 if any divergence is not known

A differing `img` field (the x87 images, README.md) becomes the env.ATTR / fx.ATTR fields that
differ (image_fields). A divergence is known only if an entry of KNOWN.md matches it: its `match` regex finds the
sequence's disassembly, every digest field that differs is in its `fields` (or `any`), and
its optional `when` condition over the two digests holds -- or several entries, each matching
with its condition holding, cover the differing fields between them (`bt.vector == '0d'`; `insn(bt.offset)`
is the text of the instruction at a digest's fault offset, `re` the regex module, `notes` the
generator's notes on the sequence, e.g. "x87-stack", `text` its disassembly, `fields` the
digest fields that differ, `at` the {offset: text} of its instructions; `bt.images` and
`qemu.images` the x87 images' pointer fields, `bt.start` the sequence's address, `bt.fip0`
the FIP a sequence without x87 instructions starts from).
"""
import json
import os
import re
import sys

FIELDS = ("eax ecx edx ebx esp ebp esi edi eflags vector error offset cr2 sel cr0 mem "
          "fcw fsw ftw mxcsr st xmm fdp fop img").split()


# Digest fields left out of the comparison (FUZZ_IGNORE_FIELDS, comma-separated: bench/fuzz.sh
# leaves out fdp and fop on an AMD host, whose x87 records them where the Xeon does not).
IGNORED = set(os.environ.get("FUZZ_IGNORE_FIELDS", "").split(",")) - {""}


def read_list(path):
    seqs = {}
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            idx, hexbytes, classes, undef, text = cols[:5]
            seqs[int(idx)] = {"bytes": hexbytes, "classes": classes, "undef": undef, "text": text}
            if len(cols) > 5 and cols[5] != "-":  # each instruction's offset in the sequence
                seqs[int(idx)]["starts"] = cols[5]
            if len(cols) > 6 and cols[6] != "-":  # the generator's notes (x87-stack)
                seqs[int(idx)]["notes"] = cols[6]
    return seqs


def read_out(path):
    lines = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"seq (\d+): (.*)$", line.rstrip("\n"))
            if m:
                lines[int(m.group(1))] = m.group(2).split()
    return lines


RESERVED_EFLAGS = re.compile(r"fuzz: EFLAGS (\w+) before sequence (\d+): reserved bits set")


def restart_at(path):
    """The sequence a guest stopped before because its EFLAGS had reserved bits set (QEMU-7r:
    QEMU's state, left by an earlier sequence), else None."""
    with open(path, errors="replace") as f:
        for line in f:
            m = RESERVED_EFLAGS.match(line)
            if m:
                return int(m.group(2)), m.group(1)
    return None


def batch(list_path, bt_path, qemu_path, results_path):
    seqs = read_list(list_path)
    bt, qemu = read_out(bt_path), read_out(qemu_path)
    restart = restart_at(qemu_path)
    with open(results_path, "a") as res:
        for idx in sorted(seqs):
            a, b = bt.get(idx), qemu.get(idx)
            if b is None and restart and restart[0] == idx and idx > min(seqs):
                # Not this sequence's divergence: one record of the restart, then this
                # sequence again in a fresh QEMU.
                res.write(json.dumps(dict(seqs[idx], index=idx, fields=["restart"],
                                          bt=" ".join(a) if a else "(no line)",
                                          qemu=f"(EFLAGS {restart[1]} before this sequence)")) + "\n")
                print(idx)
                return
            if a is None or b is None:
                rec = dict(seqs[idx], index=idx, fields=["stopped"],
                           bt=" ".join(a) if a else "(no line: bt stopped)",
                           qemu=" ".join(b) if b else "(no line: qemu stopped)")
                res.write(json.dumps(rec) + "\n")
                print(idx + 1 if idx + 1 <= max(seqs) else "done")
                return
            if a != b:
                diff = [FIELDS[i] for i in range(min(len(a), len(b)))
                        if a[i] != b[i] and FIELDS[i] not in IGNORED]
                if not diff:
                    continue
                if "img" in diff:
                    diff[diff.index("img"):diff.index("img") + 1] = image_fields(a, b)
                res.write(json.dumps(dict(seqs[idx], index=idx, fields=diff, bt=" ".join(a),
                                          qemu=" ".join(b))) + "\n")
    print("done")


def read_known(path):
    entries, cur = [], None
    with open(path) as f:
        for line in f:
            m = re.match(r"^## (\S+?):\s*(.*)$", line)
            if m:
                cur = {"id": m.group(1), "title": m.group(2), "match": None, "fields": set()}
                entries.append(cur)
                continue
            m = re.match(r"^- (match|fields|when): `(.*)`\s*$", line)
            if m and cur is not None:
                if m.group(1) == "match":
                    cur["match"] = re.compile(m.group(2))
                elif m.group(1) == "when":
                    cur["when"] = m.group(2)
                else:
                    cur["fields"] = set(m.group(2).split())
    return [e for e in entries if e["match"] is not None]


class Image:
    """One x87 image's header from a digest's `img` (fuzz_guest.c): kind 'e' fnstenv, 's'
    fnsave, 'x' fxsave; fcw fsw (C0/C2/C3 masked as in the digest) ftw fip fcs fop fdp fds as
    numbers (ftw: fxsave's abridged byte, else the 16-bit tag word); res the reserved bits
    stored next to the pointers (FOP's upper 5 bits, the upper halves of the FCS and FDS
    dwords); hi the upper halves of the FCW, FSW and FTW dwords (fnstenv, fnsave) or the
    reserved byte after fxsave's FTW; pad and high (fxsave) the
    register slots' reserved bytes 10-15 and bytes 288-511: 'u' as the guest filled them
    before the sequence, 'z' zeros, else a hash."""

    def __init__(self, text):
        self.kind = text[0]
        parts = text[1:].split(".")
        if self.kind == "x":  # PAD and HIGH: 'u' untouched, 'z' zeros, else a hash
            self.pad, self.high = parts[6:8]
            d0, d4, self.fip, cs, self.fdp, ds = (int(x, 16) for x in parts[:6])
            self.fcw, self.fsw, self.ftw = d0 & 0xffff, d0 >> 16, d4 & 0xff
            self.fop, self.fcs, self.fds = (d4 >> 16) & 0x7ff, cs & 0xffff, ds & 0xffff
            self.res = (d4 >> 27, cs >> 16, ds >> 16)
            self.hi = ((d4 >> 8) & 0xff,)  # the reserved byte after the abridged FTW
        else:
            self.pad = self.high = None
            d0, d4, d8, self.fip, csop, self.fdp, ds = (int(x, 16) for x in parts)
            self.fcw, self.fsw, self.ftw = d0 & 0xffff, d4 & 0xffff, d8 & 0xffff
            self.fcs, self.fop, self.fds = csop & 0xffff, (csop >> 16) & 0x7ff, ds & 0xffff
            self.res = (csop >> 27, 0, ds >> 16)
            self.hi = (d0 >> 16, d4 >> 16, d8 >> 16)  # FCW/FSW/FTW's upper halves


IMAGE_ATTRS = "fcw fsw ftw fip fcs fop fdp fds res hi pad high".split()


def image_fields(a, b):
    """The x87 image fields that differ between two digests (word lists), as env.ATTR
    (fnstenv/fnsave) and fx.ATTR (fxsave) in IMAGE_ATTRS order; `img` if the layout differs."""
    da, db = Digest(" ".join(a)), Digest(" ".join(b))
    if (da.start, da.fip0, [i.kind for i in da.images]) != (db.start, db.fip0, [i.kind for i in db.images]):
        return ["img"]
    out = []
    for kind in ("env", "fx"):
        for attr in IMAGE_ATTRS:
            if any(getattr(x, attr) != getattr(y, attr) for x, y in zip(da.images, db.images)
                   if (x.kind == "x") == (kind == "fx")):
                out.append(f"{kind}.{attr}")
    return out or ["img"]


class Digest:
    def __init__(self, line):
        for name, value in zip(FIELDS, line.split()):
            setattr(self, name, value)
        # img: START:FIP0/IMAGE/... -> start, fip0 (numbers), images (Image list; [] for '-').
        self.images, self.start, self.fip0 = [], 0, 0
        if getattr(self, "img", "-") != "-":
            head, *imgs = self.img.split("/")
            self.start, self.fip0 = (int(x, 16) for x in head.split(":"))
            self.images = [Image(t) for t in imgs]


def instructions(rec):
    """{offset: AT&T text} of the sequence's instructions ({} for a list without offsets)."""
    if "starts" not in rec:
        return {}
    return dict(zip((int(x, 16) for x in rec["starts"].split(",")), rec["text"].split("; ")))


def classify(rec, known):
    """The entry that explains the divergence ("QEMU-n"), else the entries that together cover
    every differing field, each with its match and when holding ("QEMU-a+QEMU-b": two QEMU
    deviations in one sequence), else None."""
    at = instructions(rec)
    # insn(bt.offset): the instruction a digest's fault offset points at ('' if none).
    insn = lambda off: at.get(int(off, 16) if isinstance(off, str) else off, "")
    applicable = []
    for e in known:
        if not e["match"].search(rec["text"]):
            continue
        if "when" in e:
            try:
                # One namespace (globals): generator expressions in a condition see the names.
                if not eval(e["when"], {"__builtins__": {"int": int, "any": any, "all": all,
                                                         "len": len, "zip": zip},
                                        "bt": Digest(rec["bt"]), "qemu": Digest(rec["qemu"]),
                                        "insn": insn, "at": at, "re": re,
                                        "notes": rec.get("notes", ""), "text": rec["text"],
                                        "fields": rec["fields"]}):
                    continue
            except AttributeError:  # a stopped run has no digest
                continue
        if "any" in e["fields"] or set(rec["fields"]) <= e["fields"]:
            return e["id"]
        applicable.append(e)
    left, used = set(rec["fields"]), []
    for e in applicable:
        if left & e["fields"]:
            used.append(e["id"])
            left -= e["fields"]
    return "+".join(used) if not left and len(used) > 1 else None


def show(rec):
    print(f"  seq {rec['index']}: {rec['bytes']}  [{rec['classes']}]  undefined flags {rec['undef']}")
    print(f"    {rec['text']}")
    print(f"    differs: {' '.join(rec['fields'])}")
    print(f"    bt:   {rec['bt']}")
    print(f"    qemu: {rec['qemu']}")


def report(results_path, known_path, total):
    known = read_known(known_path)
    recs = []
    try:
        with open(results_path) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        pass
    total = int(total)
    by_known, unknown = {}, {}
    for r in recs:
        k = classify(r, known)
        if k:
            by_known.setdefault(k, []).append(r)
        else:
            unknown.setdefault(" ".join(r["fields"]), []).append(r)
    n_unknown = sum(len(v) for v in unknown.values())
    per_m = lambda n: n * 1e6 / total if total else 0.0
    print(f"fuzz: {total} sequences, {len(recs)} divergences ({per_m(len(recs)):.0f} per million): "
          f"{n_unknown} unknown ({per_m(n_unknown):.0f} per million), "
          f"{len(recs) - n_unknown} known (QEMU deviations and CPU-model differences)")
    for key, rs in sorted(by_known.items()):
        title = " + ".join(next(e["title"] for e in known if e["id"] == k) for k in key.split("+"))
        print(f"known {key} ({title}): {len(rs)} ({per_m(len(rs)):.0f} per million), e.g.")
        show(rs[0])
    limit = 5
    for key, rs in sorted(unknown.items(), key=lambda kv: -len(kv[1])):
        print(f"DIVERGENCE in [{key}]: {len(rs)} ({per_m(len(rs)):.0f} per million); first {min(limit, len(rs))}:")
        for r in rs[:limit]:
            show(r)
    return 1 if n_unknown else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "batch":
        batch(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "report":
        sys.exit(report(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
