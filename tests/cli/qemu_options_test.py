#!/usr/bin/env python3
"""QEMU's command line and the traces (issue 17; docs/qemu-options.md): every option prevt
takes in QEMU's spelling does what the table says, bad values get one line on stderr and
status 2, each -d item prints on the engines that can produce it (the same instructions, at
their own addresses, on trap, bt and kvm) and is refused on the others, --perf-map writes
perf's map. The kvm checks are skipped on a host without a usable /dev/kvm.

Usage: qemu_options_test.py PREVT GUEST_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from checks import check, result  # noqa: E402 (the shared tally)

prevt, guests = sys.argv[1], sys.argv[2]
hello = os.path.join(guests, "hello.elf")
portio = os.path.join(guests, "portio.elf")
runaway = os.path.join(guests, "runaway.elf")
tmp = tempfile.mkdtemp(prefix="prevt-qemu-options.")
GREETING = "hello from a prevt test guest"


def kvm_usable():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


ENGINES = ["trap", "bt"] + (["kvm"] if kvm_usable() else [])


def run(*args, timeout=60):
    p = subprocess.run([prevt, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def refused(name, *args, says=None):
    """Bad input: status 2, one line on stderr (containing `says`)."""
    status, out, err = run(*args)
    lines = err.splitlines()
    ok = status == 2 and len(lines) == 1 and (says is None or says in err)
    check(name, ok, f"status {status}, stderr {err!r}")


def runs(name, *args, status=1, out_has=GREETING, err_has=None):
    got, out, err = run(*args)
    ok = got == status and (out_has is None or out_has in out) and (
        err_has is None or err_has in err)
    check(name, ok, f"status {got}, stdout {out[:200]!r}, stderr {err[:300]!r}")
    return out, err


def engine_of(*args):
    """The engine a command line chose, from --stats' heading."""
    _, _, err = run("--stats", *args)
    m = re.search(r"prevt statistics \(engine (\w+)", err)
    return m.group(1) if m else None


# prevt GUEST and prevt -kernel GUEST without `run`; `--` ends the options.
runs("guest-first", hello)
runs("kernel-first", "-kernel", hello)
runs("double-dash", "run", "--", hello)
runs("double-dash-after-options", "-m", "64", "--", hello)
refused("double-dash-option-is-guest", "run", "--", "-m", says="-m")
refused("unknown-option", hello, "-frobnicate", says="unknown option '-frobnicate' (see prevt --help)")
refused("unknown-command", "fly", says="see prevt --help")
# QEMU's own command line of run_guest.sh, qemu-system-i386 replaced by prevt.
runs("qemu-guest-line", "-nodefaults", "-no-reboot", "-m", "128", "-kernel", hello, "-serial",
     "stdio", "-display", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
runs("qemu-m-size", "-m", "size=64M", hello)

# -smp, -accel, -machine, -enable-kvm.
runs("smp-1", "-smp", "1", hello)
runs("smp-cpus-1", "-smp", "cpus=1,cores=1,threads=1", hello)
runs("smp-2-bt", "-smp", "2", hello)
runs("smp-cores-2-bt", "-smp", "cores=2,threads=2", hello)
runs("smp-8-bt", "-smp", "8", hello)
runs("smp-2-trap-one-cpu", "--engine", "trap", "-smp", "2", hello,
     err_has="the trap engine runs one vCPU: -smp 2 runs on one CPU")
refused("smp-9", "-smp", "9", hello, says="at most 8")
refused("smp-0", "-smp", "0", hello, says="1 to 8")
refused("smp-topology-mismatch", "-smp", "2,cores=3", hello, says="topology gives 3")
refused("smp-topology-too-many", "-smp", "cores=4,threads=4", hello, says="16 vCPUs: at most 8")
refused("smp-maxcpus", "-smp", "2,maxcpus=4", hello, says="no CPU hotplug")
runs("machine-pit-off", "-machine", "pit=off", hello)
runs("machine-pc-pit-on", "-machine", "pc,pit=on", hello)
refused("machine-pit-bad", "-machine", "pit=maybe", hello, says="on, off or auto")
check("accel-tcg-is-bt", engine_of("-accel", "tcg", hello) == "bt")
check("machine-accel-tcg-is-bt", engine_of("-machine", "pc,accel=tcg", hello) == "bt")
check("machine-i440fx", engine_of("-M", "pc-i440fx-8.2", hello) == "bt")
if "kvm" in ENGINES:
    check("accel-kvm", engine_of("-accel", "kvm", hello) == "kvm")
    check("enable-kvm", engine_of("-enable-kvm", hello) == "kvm")
    check("accel-fallback-kvm-first", engine_of("-machine", "accel=kvm:tcg", hello) == "kvm")
refused("accel-unknown", "-accel", "hvf", hello, says="'hvf' is not offered")
refused("accel-conflict", "--engine", "trap", "-accel", "tcg", hello, says="chose trap")
refused("enable-kvm-conflict", "-enable-kvm", "-accel", "tcg", hello, says="chose kvm")
refused("machine-q35", "-machine", "q35", hello, says="pc (i440fx, PIIX3)")
refused("machine-property", "-machine", "pc,usb=on", hello, says="'usb'")

# -serial: stdio (and mon:stdio), none (and null), file:, pty; bad values refused.
runs("serial-stdio", "-serial", "stdio", hello)
runs("serial-mon-stdio", "-serial", "mon:stdio", hello)
out, _ = runs("serial-null", "-serial", "null", hello, out_has=None)
check("serial-null-silent", out == "")
com1 = os.path.join(tmp, "com1.txt")
runs("serial-file", "-serial", "file:" + com1, hello, out_has=None)
check("serial-file-output", GREETING in open(com1).read())
refused("serial-tcp", "-serial", "tcp::4444", hello, says="pty")
refused("serial-empty-file", "-serial", "file:", hello)
refused("serial-twice", "-serial", "stdio", "-serial", "null", hello, says="one serial port")

# -serial pty: the path printed as QEMU prints it; COM1's bytes come out of it.
p = subprocess.Popen([prevt, "-serial", "pty", "--timeout", "5", runaway], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
first = p.stderr.readline()
m = re.fullmatch(r"char device redirected to (/dev/pts/\d+) \(label serial0\)\n", first)
check("serial-pty-line", m is not None, repr(first))
seen = b""
if m:
    fd = os.open(m.group(1), os.O_RDONLY | os.O_NOCTTY)
    end = time.monotonic() + 5
    while b"running away" not in seen and time.monotonic() < end:
        seen += os.read(fd, 4096)
    os.close(fd)
check("serial-pty-output", b"running away" in seen, repr(seen[:100]))
p.wait(timeout=30)
check("serial-pty-timeout-status", p.returncode == 124, str(p.returncode))

refused("serial-pty-bad-guest", "-serial", "pty", os.path.join(tmp, "none.elf"), says="none.elf")

# -nodefaults: COM1 unconnected unless -serial; no VGA unless -vga std.
out, _ = runs("nodefaults-no-serial", "-nodefaults", hello, out_has=None)
check("nodefaults-silent", out == "")
refused("nodefaults-no-vga-screen", "-nodefaults", "--screen-dump", os.path.join(tmp, "s"), hello,
        says="needs the VGA")
runs("nodefaults-vga-std", "-nodefaults", "-vga", "std", "-serial", "stdio", "--screen-dump",
     os.path.join(tmp, "s"), hello)
refused("vga-unknown", "-vga", "cirrus", hello)
# (the storage guest with a blank disk and no floppy: its VGA part still runs. Without the
# disk its ATA waits spin a million times each on an unassigned port, every read a line of
# guest_errors: a minute or more on a slow host.)
blank = os.path.join(tmp, "blank.img")
with open(blank, "wb") as f:
    f.truncate(4 << 20)
_, _, err = run("-vga", "none", "-d", "guest_errors", "-hda", blank,
                os.path.join(guests, "storage.elf"))
check("vga-none-3d4-unassigned", re.search(r"guest_errors: port \w+ 03d[45] .*\(unassigned\)",
                                           err) is not None)
refused("device-other", "-device", "e1000", hello, says="'e1000' is not offered")
refused("device-debug-exit-default-port", "-device", "isa-debug-exit", hello, says="iobase=0xf4")
runs("device-pc-testdev", "-device", "pc-testdev", hello)
refused("device-pc-testdev-property", "-device", "pc-testdev,iobase=0x100", hello,
        says="property 'iobase=0x100'")
runs("monitor-none", "-monitor", "none", hello)

# -name: the process's name.
p = subprocess.Popen([prevt, "-name", "guest=myvm,debug-threads=on", "--timeout", "3", runaway],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
end, comm = time.monotonic() + 10, ""
while comm != "myvm" and time.monotonic() < end and p.poll() is None:
    time.sleep(0.1)
    try:
        comm = open(f"/proc/{p.pid}/comm").read().strip()
    except OSError:  # (it ended meanwhile: the check fails with what was seen)
        break
p.wait(timeout=30)
check("name-process", comm == "myvm", comm)
refused("name-empty", "-name", "", hello)

# -no-reboot: a reset ends the run (status 0) with or without it; the line says which.
reset = os.path.join(guests, "reset.elf")
out, _ = runs("reset-no-reboot", "-no-reboot", reset, status=0, out_has="port 0x92",
              err_has="the run ends (-no-reboot)")
check("reset-stops-the-guest", "still running" not in out)
runs("reset-default", reset, status=0, out_has="port 0x92", err_has="prevt does not reboot")
refused("no-reboot-value", "--no-reboot=yes", hello)

# -append: Multiboot gets QEMU's "path args" (tests/core/multiboot_test.cpp reads it back).

# -d help, unknown items, QEMU's items prevt does not produce.
status, out, _ = run("-d", "help")
check("d-help", status == 0 and all(i in out for i in
      ["int", "exec", "cpu", "trap", "io", "guest_errors", "in_asm", "out_asm"]), out)
refused("d-unimp", "-d", "unimp", hello, says="QEMU's item 'unimp' is not one prevt produces")
refused("d-nochain", "-d", "nochain", hello, says="prevt's: int, exec")
refused("d-unknown", "-d", "everything", hello, says="unknown item 'everything'")
refused("d-in-asm-trap", "--engine", "trap", "-d", "in_asm", hello, says="only bt prints in_asm")
if "kvm" in ENGINES:
    refused("d-out-asm-kvm", "--engine", "kvm", "-d", "out_asm", hello, says="only bt")
    refused("d-trap-kvm", "--engine", "kvm", "-d", "trap", hello, says="only trap and bt")
    refused("d-int-kvm", "--engine", "kvm", "-d", "int", hello, says="only trap and bt print int")
for e in ("trap", "bt"):
    _, err = runs(f"d-int-{e}", "--engine", e, "-d", "int", os.path.join(guests, "exceptions.elf"),
                  out_has=None)
    check(f"d-int-{e}-gp", re.search(r"^int: v=0d ", err, re.M) is not None)

# -d exec on every engine: the first instruction at the entry point, the emulated ones
# marked (trap, bt), the same instructions in the same order on each (a rep string
# instruction is stepped per iteration under trap: repeated lines are folded).
def exec_trace(engine, items="exec"):
    path = os.path.join(tmp, f"exec-{engine}-{items}.txt")
    runs(f"d-{items}-{engine}", "--engine", engine, "-d", items, "-D", path, hello)
    return open(path).read()


def instructions(text):
    lines = [re.sub(r"\s+\(.*\)$", "", l).rstrip() for l in text.splitlines()
             if l.startswith("exec: ")]
    return [l for i, l in enumerate(lines) if i == 0 or l != lines[i - 1]]


traces = {e: exec_trace(e) for e in ENGINES}
for e, text in traces.items():
    check(f"exec-{e}-first", text.startswith("exec: 0010:00103000  mov %eax, %ebp\n"), text[:80])
for e in ("trap", "bt"):
    check(f"exec-{e}-emulated", re.search(r"^exec: 0010:00103003  lgdt .*\(emulated\)$",
                                          traces[e], re.M) is not None)
reference = instructions(traces["bt"])
check("exec-bt-long", len(reference) > 1000, str(len(reference)))
for e in ENGINES:
    if e != "bt":
        same = instructions(traces[e]) == reference
        check(f"exec-{e}-same-as-bt", same, f"{len(instructions(traces[e]))} vs {len(reference)}")
cpu = exec_trace("bt", "cpu")
check("d-cpu-registers", cpu.count("EAX=") > 1000 and "exec:" not in cpu)

# -d io on every engine: each port access with its device; guest_errors only the unassigned.
for e in ENGINES:
    path = os.path.join(tmp, f"io-{e}.txt")
    runs(f"d-io-{e}", "--engine", e, "-d", "io", "-D", path, portio, out_has=None)
    text = open(path).read()
    check(f"d-io-{e}-uart", re.search(r"^io: port outb 03f8 <- [0-9a-f]{2} \(uart16550\)$",
                                      text, re.M) is not None, text[:200])
    check(f"d-io-{e}-unassigned", "(unassigned)" in text)
_, err = runs("d-guest-errors", "-d", "guest_errors", portio, out_has=None)
lines = [l for l in err.splitlines() if l.startswith(("io:", "guest_errors:"))]
check("d-guest-errors-only-unassigned",
      lines and all(l.startswith("guest_errors: ") and l.endswith("(unassigned)") for l in lines),
      repr(lines[:3]))

# --perf-map (bt): /tmp/perf-PID.map, "START SIZE guest CS:EIP" per translation.
p = subprocess.Popen([prevt, "--perf-map", hello], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
p.wait(timeout=60)
map_path = f"/tmp/perf-{p.pid}.map"
lines = open(map_path).read().splitlines() if os.path.exists(map_path) else []
check("perf-map-written", len(lines) > 10, map_path)
check("perf-map-format", all(re.fullmatch(r"[0-9a-f]+ [0-9a-f]+ guest [0-9a-f]{4}:[0-9a-f]{8}", l)
                             for l in lines), repr(lines[:2]))
check("perf-map-entry-block", any(l.endswith(" guest 0010:00103000") for l in lines))
if os.path.exists(map_path):
    os.unlink(map_path)
refused("perf-map-trap", "--engine", "trap", "--perf-map", hello, says="only bt")

# The doc's table (docs/qemu-options.md): each QEMU option it maps is in --help, and prevt
# takes it (a bad value for it is refused by that option's own line, not as unknown).
doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                   "qemu-options.md")
_, help_text, _ = run("--help")
names = set()
for row in open(doc).read().split("## The mapping")[1].split("## Traces")[0].splitlines():
    if row.startswith("| `-"):
        for code in re.findall(r"`(-[^`]*)`", row.split("|")[1]):
            names.add(code.split()[0].split(",")[0] if not code.startswith("-smp") else "-smp")
check("doc-table-read", len(names) > 20, str(sorted(names)))
for name in sorted(names):
    check(f"doc-option-{name}-in-help", re.search(r"(^|[\s,(])" + re.escape(name) + r"\b",
                                                   help_text, re.M) is not None)
    if name not in ("-s", "-S", "-nographic", "-snapshot", "-no-reboot", "-nodefaults",
                    "-enable-kvm"):  # (flags: no value to get wrong)
        _, _, err = run(name)  # no value
        check(f"doc-option-{name}-known", "unknown option" not in err, err)

sys.exit(result("qemu options"))
