#!/usr/bin/env python3
"""The interactive console (core/console.hpp, issue 14), driven through a pseudo-terminal.

prevt runs with a pty as its controlling terminal, stdin and stdout (stderr to a file, to count
its lines): the terminal must be raw while the guest runs (no echo, no canonical mode, no
signals, OPOST kept, as QEMU's -nographic) and exactly as before afterwards, however the run
ends; Ctrl-A x ends a run with status 0, Ctrl-A h prints the escapes, ^C is a byte for the
guest.

Usage: console_test.py multiboot PREVT GUEST_DIR
       console_test.py linux PREVT SOURCE_DIR   (exit 77 when the Linux guest cannot be had)
"""
import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time

from checks import check, result  # noqa: E402 (the shared tally)


class Run:
    """prevt on a fresh pty (the session's controlling terminal)."""

    def __init__(self, args):
        self.master, self.slave = pty.openpty()
        self.before = termios.tcgetattr(self.slave)
        self.err = tempfile.TemporaryFile()
        self.out = b""

        def ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(args, stdin=self.slave, stdout=self.slave,
                                     stderr=self.err, start_new_session=True,
                                     preexec_fn=ctty)

    def modes(self):
        return termios.tcgetattr(self.slave)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                return
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.out += data

    def expect(self, text, seconds, since=0):
        end = time.monotonic() + seconds
        while (text not in self.out[since:] and time.monotonic() < end and
               self.proc.poll() is None):
            self.pump(min(0.2, end - time.monotonic()))
        self.pump(0.05)
        return text in self.out[since:]

    def command(self, line, seconds=5):
        """A monitor command typed; its output up to the next prompt."""
        start = len(self.out)
        self.type(line + b"\r")
        self.expect(b"(prevt) ", seconds, start)
        return self.out[start:]

    def wait_raw(self, seconds=20):
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.proc.poll() is None:
            if not self.modes()[3] & termios.ICANON:
                return True
            self.pump(0.05)
        return False

    def type(self, data):
        os.write(self.master, data)

    def finish(self, seconds=30):
        end = time.monotonic() + seconds
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.pump(0.1)
        self.err.seek(0)
        self.stderr = self.err.read().decode(errors="replace")
        after = self.modes()
        os.close(self.master)
        os.close(self.slave)
        return self.proc.returncode, after

    def tail(self):
        return self.out[-600:].decode(errors="replace")


def raw_as_qemu(name, m):
    iflag, oflag, cflag, lflag = m[0], m[1], m[2], m[3]
    check(f"{name}: no echo, canonical mode, signals, IEXTEN",
          not lflag & (termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN), hex(lflag))
    check(f"{name}: no input translation",
          not iflag & (termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON |
                       termios.ISTRIP | termios.BRKINT), hex(iflag))
    check(f"{name}: OPOST kept", oflag & termios.OPOST, hex(oflag))
    check(f"{name}: 8 bits", cflag & termios.CSIZE == termios.CS8, hex(cflag))
    check(f"{name}: VMIN 1 VTIME 0",
          m[6][termios.VMIN] in (1, b"\x01") and m[6][termios.VTIME] in (0, b"\x00"))


def multiboot(prevt, guests):
    runaway = os.path.join(guests, "runaway.elf")  # prints a line, spins with IF=0 forever
    triple = os.path.join(guests, "triple.elf")

    # --timeout: status 124, the modes as before; raw while it ran.
    r = Run([prevt, "run", "--timeout", "2", runaway])
    check("timeout: raw while running", r.wait_raw())
    raw_as_qemu("timeout", r.modes())
    check("timeout: guest output", r.expect(b"running away", 10), r.tail())
    status, after = r.finish()
    check("timeout: status 124", status == 124, f"{status} {r.stderr}")
    check("timeout: modes restored", after == r.before)

    # Ctrl-A x: status 0, one line on stderr. ^C before it is a byte for the guest.
    r = Run([prevt, "run", runaway])
    check("ctrl-a x: raw", r.wait_raw())
    r.expect(b"running away", 10)
    r.type(b"\x03\x1a\x1c")  # ^C ^Z ^\: no signal (prevt would die or stop)
    r.pump(0.5)
    check("^C ^Z ^\\: prevt runs on", r.proc.poll() is None)
    r.type(b"\x01x")
    status, after = r.finish(10)
    check("ctrl-a x: status 0", status == 0, f"{status} {r.stderr!r}")
    check("ctrl-a x: one stderr line", r.stderr == "prevt: terminated by Ctrl-A X\n",
          repr(r.stderr))
    check("ctrl-a x: modes restored", after == r.before)

    # Ctrl-A h: the escape list on the console; Ctrl-A c: the monitor (core/debug/monitor.hpp)
    # and back; its stop and cont, typed bytes echoed, the guest's own input untouched.
    r = Run([prevt, "run", runaway])
    r.wait_raw()
    r.expect(b"running away", 10)
    r.type(b"\x01h")
    check("ctrl-a h: the help", r.expect(b"C-a x    exit emulator", 5), r.tail())
    r.type(b"\x01c")
    check("ctrl-a c: the monitor's prompt", r.expect(b"(prevt) ", 5), r.tail())
    out = r.command(b"info registers")
    check("monitor: echoed", b"info registers\r\n" in out, repr(out))
    check("monitor: info registers", b"EIP=" in out, repr(out))

    def eip(out):
        lines = [l for l in out.split(b"\n") if l.startswith(b"EIP=")]
        return lines[0][:12] if lines else None

    r.command(b"stop")
    first = eip(r.command(b"info registers"))
    r.pump(0.3)
    second = eip(r.command(b"info registers"))
    check("monitor: stop holds the guest", first is not None and first == second,
          f"{first} {second}")
    out = r.command(b"x/2x 0x100000")
    check("monitor: x/2x", b"00100000: 0x" in out, repr(out))
    out = r.command(b"info tc")
    check("monitor: info tc", b"blocks in the cache" in out, repr(out))
    out = r.command(b"info stats")
    check("monitor: info stats", b"exits" in out, repr(out))
    r.command(b"cont")
    r.pump(0.3)
    moved = eip(r.command(b"info registers"))
    check("monitor: cont lets it run", moved is not None, repr(moved))
    r.type(b"\x01c")  # back to the guest's console
    r.pump(0.3)
    check("ctrl-a c: back, prevt runs on", r.proc.poll() is None)
    r.type(b"\x01X")
    status, after = r.finish(10)
    check("ctrl-a X: status 0", status == 0, str(status))
    check("ctrl-a h: modes restored", after == r.before)

    # Signals from outside: the terminal back, then the signal's own death.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        r = Run([prevt, "run", runaway])
        check(f"{sig.name}: raw", r.wait_raw())
        r.expect(b"running away", 10)
        r.proc.send_signal(sig)
        status, after = r.finish(10)
        check(f"{sig.name}: killed by it", status == -sig, str(status))
        check(f"{sig.name}: modes restored", after == r.before)

    # With --stats the signal ends the run through its end (core/stop_signals.hpp): the report,
    # the terminal back, then the same death.
    r = Run([prevt, "run", "--stats", runaway])
    check("--stats SIGTERM: raw", r.wait_raw())
    r.expect(b"running away", 10)
    r.proc.send_signal(signal.SIGTERM)
    status, after = r.finish(10)
    check("--stats SIGTERM: killed by it", status == -signal.SIGTERM, str(status))
    check("--stats SIGTERM: the report", "prevt statistics" in r.stderr, r.stderr[-300:])
    check("--stats SIGTERM: modes restored", after == r.before)

    # A guest failure (status 3, a register dump) and bad input (status 2).
    r = Run([prevt, "run", triple])
    status, after = r.finish(30)
    check("guest failure: status 3", status == 3, f"{status} {r.stderr}")
    check("guest failure: modes restored", after == r.before)
    r = Run([prevt, "run", "/nonexistent/guest.elf"])
    status, after = r.finish(10)
    check("bad input: status 2", status == 2, str(status))
    check("bad input: modes untouched", after == r.before)

    usage = subprocess.run([prevt, "--help"], stdout=subprocess.PIPE).stdout
    check("--help names Ctrl-A X", b"Ctrl-A X" in usage)

    # The raw modes are QEMU's own (-nographic), when QEMU is here to ask.
    qemu = shutil.which(os.environ.get("QEMU_I386", "qemu-system-i386"))
    if qemu:
        modes = []
        for args in ([qemu, "-nographic", "-no-reboot", "-kernel", runaway],
                     [prevt, "run", runaway]):
            r = Run(args)
            r.wait_raw()
            r.expect(b"running away", 30)
            modes.append(r.modes())
            r.type(b"\x01x")
            status, after = r.finish(10)
            check(f"{os.path.basename(args[0])}: Ctrl-A x, status 0, restored",
                  status == 0 and after == r.before, str(status))
        check("the raw modes are QEMU's", modes[0] == modes[1], f"{modes[0]} vs {modes[1]}")
    else:
        print("note: no qemu-system-i386: the modes are not compared with QEMU's")


def linux(prevt, src):
    get = subprocess.run([os.path.join(src, "scripts/get-linux-guest.sh")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if get.returncode != 0:
        last = get.stdout.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        print(f"SKIP: the Linux guest cannot be had: {last[0]}")
        sys.exit(77)
    cache = os.environ.get("PREVT_GUEST_CACHE", os.path.expanduser("~/.cache/prevt/linux"))
    r = Run([prevt, "run", "--engine", "bt", "--timeout", "240", "-m", "128",
             "-kernel", os.path.join(cache, "vmlinuz-686"),
             "-initrd", os.path.join(cache, "initrd-shell.cpio.gz"),
             "-append", "console=ttyS0 panic=-1"])
    check("linux: raw", r.wait_raw())
    ready = r.expect(b"shell ready", 200)
    check("linux: the shell starts", ready, r.tail())
    if ready:
        # The prompt ("~ # " or "/ # "), then a line typed as a user would, with "\r".
        check("linux: the prompt", r.expect(b"# ", 30), r.tail())
        r.type(b"echo hello-$((6*7))\r")
        check("linux: the shell's answer", r.expect(b"hello-42", 30), r.tail())
        r.type(b"poweroff -f\r")
    status, after = r.finish(60)
    check("linux: poweroff -f, status 0", status == 0, f"{status} {r.stderr[-500:]}")
    check("linux: modes restored", after == r.before)


def main():
    mode, prevt, where = sys.argv[1:4]
    {"multiboot": multiboot, "linux": linux}[mode](prevt, where)
    return result(f"console {mode}")


if __name__ == "__main__":
    sys.exit(main())
