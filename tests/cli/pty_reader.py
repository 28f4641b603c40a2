"""What a program writes to a pseudo-terminal, read as it comes (the tests that drive prevt's
--display text or serial console through a pty: tests/cli/display_test.py,
tests/bios/freedos_ver.py)."""
import os
import select
import time


class PtyReader:
    def __init__(self, master):
        self.master = master
        self.out = b""

    def pump(self, seconds):
        """Reads into self.out for up to `seconds`, or until the writer is gone."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], max(0, end - time.monotonic()))
            if not r:
                return
            try:
                self.out += os.read(self.master, 4096)
            except OSError:
                return

    def wait_for(self, text, seconds, step=0.1):
        """Pumps until `text` has been written or `seconds` have passed; True if it was."""
        end = time.monotonic() + seconds
        while text not in self.out and time.monotonic() < end:
            self.pump(step)
        return text in self.out
