// The guest's serial console on the host's terminal: --serial stdio with stdin a terminal, as
// QEMU's -nographic (its stdio chardev behind the mux, chardev/char-stdio.c, char-mux.c).
//
// The terminal: raw as QEMU makes it (qemu_chr_set_echo_stdio): no echo, no canonical mode,
// no IEXTEN, no ISIG (^C, ^Z, ^\ reach the guest as bytes), no input translation (ICRNL,
// INLCR, IGNCR, ISTRIP, IXON, BRKINT, PARMRK, IGNBRK cleared), 8 bits, VMIN 1 / VTIME 0;
// OPOST stays on (QEMU sets it): the guest's "\r\n" shows as it does there (ONLCR makes it
// "\r\r\n", invisible), and prevt's own lines on stderr ("\n") still start at column 0.
// Guest output is not this file's: COM1's bytes go to stdout unbuffered (core/host_output).
//
// The escapes, QEMU's (char-mux.c mux_proc_byte), Ctrl-A then:
//   x  quit: the run ends, status 0 (prevt: one line on stderr)
//   h, ?  the escape list, on the console's output (stdout), as QEMU writes it to the chardev
//   Ctrl-A  one Ctrl-A to the guest
//   c  QEMU's monitor switch: typed bytes go to the monitor (core/debug/monitor.hpp, its
//      `(prevt)` prompt) until Ctrl-A c again gives the console back to the guest; the
//      guest runs on meanwhile, and its output still shows, as under QEMU's mux
//   anything else (QEMU's s, t, b too): swallowed, neither byte reaches the guest, as QEMU
//   drops what it does not know. Unlike QEMU, X, H and C are taken in upper case too.
//
// Input flow: bytes are read from stdin whenever they wait, decoded at once (so Ctrl-A x works
// while the guest reads nothing), and the guest's bytes queue here until the UART's receive
// FIFO has room (no overrun from a paste); at most kPendingLimit bytes queue, then stdin is
// left to the terminal's own buffer.
//
// Invariants: the terminal's modes are saved before the first change and put back whatever
// way prevt ends: the destructor (normal return, status 2/3/4/124, exceptions), the fatal
// signals from outside (SIGTERM, SIGINT, SIGHUP, SIGQUIT, and SIGABRT: restored, then the
// signal's default action, so the parent sees the death by signal it would without prevt), and
// prevt's own fatal-signal path (core/native/signals.cpp monitor_fault calls the restore hook
// before it _exits). The signal-time restore is one raw ioctl(TCSETS) with the saved kernel
// termios: async-signal-safe, no errno, no TLS (guest code may hold the FS base), and allowed
// by the seccomp filter (core/native/seccomp.cpp's terminal ioctls; the re-raise uses getpid,
// gettid, tgkill, rt_sigprocmask, all on its list: strace-checked, nothing added).
//
// Missing: QEMU's Ctrl-A s (no disks), t (timestamps) and b (a break:
// the UART models no break condition). A stop from outside (SIGSTOP, SIGTSTP sent by kill)
// leaves the terminal raw while stopped, as under QEMU; started in the background, prevt stops
// at its first TCSETS (SIGTTOU), as QEMU does.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "devices/uart16550.hpp"

namespace prevt {

// The escape decoder alone (pure: unit-tested in tests/core/console_test.cpp).
class ConsoleEscapes {
public:
    static constexpr uint8_t kEscape = 0x01;  // Ctrl-A
    enum class Action { kNone, kGuestByte, kQuit, kHelp, kMonitor };
    // What `byte`, typed now, does; kGuestByte: `byte` goes to the guest.
    Action feed(uint8_t byte);
    static const char* help_text();

private:
    bool escaped_ = false;
};

class Console {
public:
    static constexpr size_t kPendingLimit = 4096;
    enum class Poll { kRunning, kClosed, kQuit };

    // Where the guest's bytes go: false when there is no room now (the byte stays queued).
    using Deliver = std::function<bool(uint8_t)>;
    // Reads `in_fd` (a terminal) for `uart`; help and notes go to `user`. The terminal is
    // made raw by enter_raw(), not here.
    Console(int in_fd, devices::Uart16550& uart, std::function<void(const char*)> user);
    // The same for another receiver of the typed bytes (--display text: the keyboard).
    Console(int in_fd, Deliver deliver, std::function<void(const char*)> user);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Saves the modes, installs the restoring signal handlers, makes the terminal raw. A
    // terminal that cannot be read or set (not ours, hung up) is left alone, with a note.
    void enter_raw();
    // Puts the saved modes back (idempotent); the handlers stay harmless.
    void restore();
    // Takes what waits on the terminal, feeds the UART what it has room for.
    Poll poll();
    // Ctrl-A c: where typed bytes go in monitor mode, and what entering it shows.
    void set_monitor(std::function<void(uint8_t)> byte, std::function<void()> entered) {
        monitor_byte_ = std::move(byte);
        monitor_entered_ = std::move(entered);
    }

private:
    int fd_;
    Deliver deliver_;
    std::function<void(const char*)> user_;
    ConsoleEscapes escapes_;
    std::deque<uint8_t> pending_;
    bool closed_ = false;
    std::function<void(uint8_t)> monitor_byte_;
    std::function<void()> monitor_entered_;
    bool in_monitor_ = false;
};

// For core/native/signals.cpp's fatal path: restores the terminal if a Console made it raw.
// Async-signal-safe.
void console_restore_from_signal() noexcept;

}  // namespace prevt
