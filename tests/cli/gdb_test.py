#!/usr/bin/env python3
"""The gdb stub (core/gdb/, docs/debugging.md) on one engine, driven by gdb itself and by hand.

1. `gdb -batch` against tests/guests/gdb_target.elf started with -S: break at gdb_loop_body,
   continue, registers, x/4x of gdb_data, stepi, a watchpoint, a hardware breakpoint, delete,
   continue to the end: gdb's output must show each, and the guest's run end as gdb's
   "exited with code 01" (the guest's status 1).
2. The protocol by hand against the runaway guest started with -gdb and without -S (gdb
   connects while it runs, after the seccomp filter): the guest is stopped at the connection,
   `g` is the i386 register file, memory that is not RAM reads as E14, Ctrl-C (0x03) after `c`
   stops it (T02), `k` ends prevt with status 0.
3. Memory through the paging guest's page tables, gdb's `monitor` commands (qRcmd); code
   written by gdb after the guest ran it (bt: the translation dropped) runs as written.
4. A port in use and a port that does not parse: one line, status 2.

Usage: gdb_test.py ENGINE PREVT GUEST_DIR   (exit 77 without gdb, or kvm without KVM)
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from checks import check, result  # noqa: E402 (the shared tally)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args):
    err = tempfile.TemporaryFile()
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    return proc, out, err


def read(f):
    f.seek(0)
    return f.read().decode(errors="replace")


def wait_for(f, text, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if text in read(f):
            return True
        time.sleep(0.05)
    return False


def gdb_session(engine, prevt, guests):
    elf = os.path.join(guests, "gdb_target.elf")
    port = free_port()
    proc, out, err = start([prevt, "run", "--engine", engine, "-gdb", f"tcp::{port}", "-S",
                            "--timeout", "60", elf])
    check("-S says it waits", wait_for(err, f"waits for gdb on port {port}", 10), read(err))
    cmds = ["target remote :%d" % port, "break gdb_loop_body", "continue",
            "info registers eax ecx ebx eip", "continue", "info registers eax ecx",
            "x/4x &gdb_data", "stepi", "info registers eax eip", "delete",
            "watch *(int*)&gdb_counter", "continue", "delete", "hbreak gdb_loop_body",
            "continue", "info registers ecx", "delete", "continue"]
    args = ["gdb", "-batch", "-nx", elf]
    for c in cmds:
        args += ["-ex", c]
    g = subprocess.run(args, capture_output=True, text=True, timeout=60)
    text = g.stdout + g.stderr
    try:
        status = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
    expect = [
        ("breakpoint hit", r"Breakpoint 1, 0x00104748 in gdb_loop_body"),
        ("first pass: eax 0", r"eax\s+0x0\s+0\n"),
        ("first pass: ecx 5", r"ecx\s+0x5\s+5\n"),
        ("ebx the marker", r"ebx\s+0x1234abcd"),
        ("eip at the breakpoint", r"eip\s+0x104748\s+0x104748 <gdb_loop_body>"),
        ("second pass: eax 5", r"eax\s+0x5\s+5\necx\s+0x4\s+4"),
        ("x/4x", r"0x104890:\s+0xdeadbeef\s+0x01234567\s+0x89abcdef\s+0xcafef00d"),
        ("stepi: one instruction", r"eax\s+0x9\s+9\neip\s+0x10474a\s+0x10474a <gdb_loop_body\+2>"),
        # stepi left the first incl to run: the watch sees 1 -> 2, stopped just after the store
        ("watchpoint: old and new", r"Old value = 1\nNew value = 2\n0x00104750 in gdb_loop_body"),
        ("hardware breakpoint", r"Breakpoint 3, 0x00104748 in gdb_loop_body"),
        ("hbreak: ecx 3", r"ecx\s+0x3\s+3\n"),
        ("the run's end", r"exited with code 01"),
    ]
    for name, pattern in expect:
        check(f"{engine}: gdb: {name}", re.search(pattern, text) is not None, text)
    check(f"{engine}: the guest's output", "gdb_loop(5) = 15, gdb_counter = 5" in read(out),
          read(out))
    check(f"{engine}: prevt's status is the guest's", status == 1, f"{status}: {read(err)}")


def paging_session(engine, prevt, guests):
    """Memory through the guest's page tables (tests/guests/paging.c maps 0..8 MiB) and gdb's
    `monitor` commands, stopped after the guest turned paging on."""
    elf = os.path.join(guests, "paging.elf")
    alone = subprocess.run([prevt, "run", "--engine", engine, "--timeout", "20", elf],
                           capture_output=True, text=True, timeout=60)
    if alone.returncode != 1:  # (kvm without VMX/SVM cannot run 32-bit paging)
        print(f"note: {engine}: the paging guest does not run here (status "
              f"{alone.returncode}): its part is skipped")
        return
    port = free_port()
    proc, out, err = start([prevt, "run", "--engine", engine, "-gdb", f"tcp::{port}", "-S",
                            "--timeout", "60", elf])
    wait_for(err, "waits for gdb", 10)
    cmds = [f"target remote :{port}", "break print", "continue", "continue",
            "monitor info registers", "x/2x 0x100000", "x/2x 0x800000", "monitor info tlb",
            "monitor x/1x 0x100000", "delete", "continue"]
    args = ["gdb", "-batch", "-nx", elf]
    for c in cmds:
        args += ["-ex", c]
    text = subprocess.run(args, capture_output=True, text=True, timeout=60)
    text = text.stdout + text.stderr
    proc.wait(30)
    expect = [
        ("paging on when stopped", r"CR0=8001"),
        ("x through the guest's tables", r"0x100000:\s+0x1badb002\s+0x00000003"),
        ("an unmapped address is an error", r"Cannot access memory at address 0x800000"),
        ("monitor info tlb", r"pages mapped by the %s engine's shadow MMU" % engine),
        ("monitor x", r"00100000: 0x1badb002"),
        ("the run's end", r"exited with code 01"),
    ]
    for name, pattern in expect:
        check(f"{engine}: paging: {name}", re.search(pattern, text) is not None, text)
    check(f"{engine}: paging: the guest's own output unchanged",
          "paging on" in read(out) and "paging off" in read(out), read(out))


def code_write_session(engine, prevt, guests):
    """gdb writes guest code the guest has run (bt: translated): the guest runs the new code.
    add %ecx,%eax (01 c8) becomes sub %ecx,%eax (29 c8) after the first pass: 5 - 4 - 3 - 2 - 1."""
    elf = os.path.join(guests, "gdb_target.elf")
    port = free_port()
    proc, out, err = start([prevt, "run", "--engine", engine, "-gdb", f"tcp::{port}", "-S",
                            "--timeout", "60", elf])
    wait_for(err, "waits for gdb", 10)
    cmds = [f"target remote :{port}", "break gdb_loop_body", "continue", "continue",
            "set *(unsigned char*)gdb_loop_body = 0x29", "delete", "continue"]
    args = ["gdb", "-batch", "-nx", elf]
    for c in cmds:
        args += ["-ex", c]
    subprocess.run(args, capture_output=True, text=True, timeout=60)
    proc.wait(30)
    check(f"{engine}: code written by gdb runs", "gdb_loop(5) = 4294967291" in read(out),
          read(out) + read(err))


class Rsp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, payload):
        sum_ = sum(payload.encode()) % 256
        self.s.sendall(b"$" + payload.encode() + b"#%02x" % sum_)

    def reply(self):
        while True:
            m = re.search(rb"\$([^#]*)#([0-9a-f]{2})", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return m.group(1).decode()
            chunk = self.s.recv(4096)
            if not chunk:
                return None
            self.buf += chunk

    def ask(self, payload):
        self.send(payload)
        return self.reply()


def by_hand(engine, prevt, guests):
    elf = os.path.join(guests, "runaway.elf")
    port = free_port()
    proc, out, err = start([prevt, "run", "--engine", engine, "-gdb", f"tcp::{port}",
                            "--timeout", "60", elf])
    check(f"{engine}: runs without -S", wait_for(out, "running away", 10), read(err))
    r = Rsp(port)
    check(f"{engine}: stopped at the connection", r.ask("?") in ("T02thread:01;", "S02"))
    check(f"{engine}: qSupported", "PacketSize" in r.ask("qSupported:multiprocess+"))
    xml = r.ask("qXfer:features:read:target.xml:0,fff")
    check(f"{engine}: target.xml says i386", "<architecture>i386</architecture>" in xml, xml)
    regs = r.ask("g")
    check(f"{engine}: g is the i386 file (308 bytes)", len(regs) == 616, str(len(regs)))
    eip = int.from_bytes(bytes.fromhex(regs[64:72]), "little")
    check(f"{engine}: EIP in the guest's code", 0x100000 <= eip < 0x110000, hex(eip))
    cs = int.from_bytes(bytes.fromhex(regs[80:88]), "little")
    check(f"{engine}: CS the guest's selector", cs == 0x08, hex(cs))
    check(f"{engine}: unassigned memory reads as E14", r.ask("mf0000000,4") == "E14")
    check(f"{engine}: a register by p", r.ask("p8") == regs[64:72])
    check(f"{engine}: vCont? unsupported", r.ask("vCont?") == "")
    check(f"{engine}: M writes guest memory", r.ask("M200000,4:78563412") == "OK")
    check(f"{engine}: ... m reads it back", r.ask("m200000,4") == "78563412")
    second = socket.create_connection(("127.0.0.1", port), timeout=10)
    r.send("c")
    time.sleep(0.3)
    check(f"{engine}: a second gdb is turned away", second.recv(16) == b"")
    r.s.sendall(b"\x03")
    check(f"{engine}: Ctrl-C stops it", r.reply() == "T02thread:01;")
    r.send("k")
    try:
        status = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
    check(f"{engine}: k ends prevt with status 0", status == 0, f"{status}: {read(err)}")


def lines(stderr):
    """prevt's lines but its warnings (kvm's cpuid note is not the error being tested)."""
    return [l for l in stderr.splitlines() if not l.startswith("prevt: warning:")]


def bad_ports(engine, prevt, guests):
    elf = os.path.join(guests, "gdb_target.elf")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = subprocess.run([prevt, "run", "--engine", engine, "-gdb", f"tcp::{port}", elf],
                           capture_output=True, text=True, timeout=30)
        check(f"{engine}: a port in use: status 2", p.returncode == 2, p.stderr)
        check(f"{engine}: ... one line", len(lines(p.stderr)) == 1 and "in use" in p.stderr,
              p.stderr)
    p = subprocess.run([prevt, "run", "--engine", engine, "-gdb", "tcp::12x", elf],
                       capture_output=True, text=True, timeout=30)
    check(f"{engine}: a port that does not parse: status 2, one line",
          p.returncode == 2 and len(lines(p.stderr)) == 1, p.stderr)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    engine, prevt, guests = sys.argv[1:]
    if not shutil.which("gdb"):
        print("SKIP: gdb is not installed")
        return 77
    host = subprocess.run([prevt, "host"], capture_output=True, text=True).stdout
    if engine == "kvm" and "kvm: yes" not in host:
        print("SKIP: this host has no usable KVM")
        return 77
    gdb_session(engine, prevt, guests)
    paging_session(engine, prevt, guests)
    code_write_session(engine, prevt, guests)
    by_hand(engine, prevt, guests)
    bad_ports(engine, prevt, guests)
    return result("gdb")


if __name__ == "__main__":
    sys.exit(main())
