#!/usr/bin/env python3
"""--stats is printed however the run ends (issue 17; core/stop_signals.hpp): SIGTERM, SIGINT
and SIGHUP while the guest spins (then prevt dies by that signal, as it would without
--stats), --timeout (status 124), a guest failure (status 3), the guest's own end, and the
monitor's quit.

Usage: stats_test.py ENGINE PREVT GUEST_DIR
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from checks import check, result  # noqa: E402 (the shared tally)


def stats_printed(err):
    return err.count("prevt statistics (engine ") == 1 and "exits by reason" in err


def run_until(args, sig=None, stdin=subprocess.DEVNULL, feed=None):
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=err)
    if feed is not None:
        time.sleep(0.5)
        p.stdin.write(feed)
        p.stdin.flush()
    if sig is not None:
        end = time.monotonic() + 10
        while time.monotonic() < end:  # the guest's first line: it runs
            out.seek(0)
            if b"running away" in out.read():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        p.send_signal(sig)
    try:
        status = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        status = None
    err.seek(0)
    out.seek(0)
    return status, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    engine, prevt, guests = sys.argv[1:]
    runaway = os.path.join(guests, "runaway.elf")
    base = [prevt, "run", "--engine", engine, "--stats"]
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        status, _, err = run_until(base + [runaway], sig)
        check(f"{sig.name}: dies by it", status == -sig, f"{status}: {err[-300:]}")
        check(f"{sig.name}: --stats printed", stats_printed(err), err[-600:])
        check(f"{sig.name}: said", f"terminating on signal {int(sig)}" in err, err[:300])
    status, _, err = run_until(base + ["--timeout", "0.5", runaway])
    check("--timeout: 124", status == 124, str(status))
    check("--timeout: --stats printed", stats_printed(err), err[-600:])
    status, _, err = run_until(base + [os.path.join(guests, "triple.elf")])
    check("a guest failure: 3", status == 3, str(status))
    check("a guest failure: --stats printed", stats_printed(err), err[-600:])
    status, _, err = run_until(base + [os.path.join(guests, "hello.elf")])
    check("the guest's end: --stats printed", status == 1 and stats_printed(err), err[-600:])
    status, out, err = run_until(base + ["-monitor", "stdio", runaway], stdin=subprocess.PIPE,
                                 feed=b"info registers\nquit\n")
    check("monitor quit: status 0", status == 0, f"{status} {err[-300:]}")
    check("monitor quit: --stats printed", stats_printed(err), err[-600:])
    check("monitor: its prompt and answer on stdout", "(prevt) " in out and "EIP=" in out, out)
    return result(f"stats {engine}")


if __name__ == "__main__":
    sys.exit(main())
