#include "core/console.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/native/signals.hpp"

namespace prevt {

namespace {

// The kernel's struct termios (asm-generic/termbits.h: what TCGETS/TCSETS carry). glibc's
// struct termios is larger (speeds); the signal path needs the kernel's, set by a raw ioctl.
struct KernelTermios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

// What the signal path reads: set before the terminal is changed, cleared once it is back.
volatile sig_atomic_t g_raw = 0;
int g_fd = -1;
KernelTermios g_saved{};

// A system call without errno (TLS): the signal path may run with guest code's FS base.
inline long raw_syscall(long nr, long a, long b, long c, long d = 0) {
    long ret;
    register long r10 asm("r10") = d;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                 : "rcx", "r11", "memory");
    return ret;
}

constexpr int kFatalSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT};

// SA_RESETHAND: the action is the default again on entry, so the signal raised again (and
// unblocked) ends the process as it would have without prevt.
extern "C" __attribute__((no_stack_protector)) void prevt_console_fatal_signal(int sig) {
    console_restore_from_signal();
    const long pid = raw_syscall(SYS_getpid, 0, 0, 0);
    const long tid = raw_syscall(SYS_gettid, 0, 0, 0);
    raw_syscall(SYS_tgkill, pid, tid, sig);
    const uint64_t mask = uint64_t(1) << (sig - 1);
    raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, reinterpret_cast<long>(&mask), 0, 8);
    raw_syscall(SYS_exit_group, 128 + sig, 0, 0);  // not reached
}

void install_fatal_handlers() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    for (int s : kFatalSignals) {
        struct sigaction old {};
        if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup
        struct sigaction sa {};
        sa.sa_handler = prevt_console_fatal_signal;
        sa.sa_flags = SA_RESETHAND | SA_ONSTACK;  // guest code's stack is not the monitor's
        sigfillset(&sa.sa_mask);
        sigaction(s, &sa, nullptr);
    }
    native::set_monitor_fault_hook(console_restore_from_signal);
}

}  // namespace

__attribute__((no_stack_protector)) void console_restore_from_signal() noexcept {
    if (!g_raw) return;
    raw_syscall(SYS_ioctl, g_fd, TCSETS, reinterpret_cast<long>(&g_saved));
    g_raw = 0;
}

ConsoleEscapes::Action ConsoleEscapes::feed(uint8_t byte) {
    if (!escaped_) {
        if (byte != kEscape) return Action::kGuestByte;
        escaped_ = true;
        return Action::kNone;
    }
    escaped_ = false;
    switch (byte) {
        case kEscape: return Action::kGuestByte;
        case 'x':
        case 'X': return Action::kQuit;
        case 'h':
        case 'H':
        case '?': return Action::kHelp;
        case 'c':
        case 'C': return Action::kMonitor;
        default: return Action::kNone;  // QEMU's s, t, b and the unknown: dropped
    }
}

const char* ConsoleEscapes::help_text() {
    return "\r\n"
           "C-a h    print this help\r\n"
           "C-a x    exit emulator\r\n"
           "C-a c    switch between console and monitor\r\n"
           "C-a C-a  sends C-a\r\n";
}

Console::Console(int in_fd, devices::Uart16550& uart, std::function<void(const char*)> user)
    : Console(
          in_fd,
          [&uart](uint8_t b) {
              if (!uart.can_receive()) return false;
              uart.receive(b);
              return true;
          },
          std::move(user)) {}

Console::Console(int in_fd, Deliver deliver, std::function<void(const char*)> user)
    : fd_(in_fd), deliver_(std::move(deliver)), user_(std::move(user)) {}

Console::~Console() {
    restore();
}

void Console::enter_raw() {
    KernelTermios t{};
    if (ioctl(fd_, TCGETS, &t) != 0) {
        fprintf(stderr, "prevt: note: the terminal's modes cannot be read (%s): left as they are\n",
                strerror(errno));
        return;
    }
    g_saved = t;
    g_fd = fd_;
    install_fatal_handlers();
    // QEMU's qemu_chr_set_echo_stdio(false), with ISIG cleared (its default, signal=off).
    KernelTermios raw = t;
    raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag |= OPOST;
    raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    raw.c_cflag &= ~(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    g_raw = 1;  // before the change: a signal in between restores what may have been changed
    if (ioctl(fd_, TCSETS, &raw) != 0) {
        g_raw = 0;
        fprintf(stderr, "prevt: note: the terminal cannot be made raw (%s): left as it is\n",
                strerror(errno));
    }
}

void Console::restore() {
    if (!g_raw || g_fd != fd_) return;
    ioctl(fd_, TCSETS, &g_saved);  // QEMU: tcsetattr(0, TCSANOW, &oldtty)
    g_raw = 0;
}

Console::Poll Console::poll() {
    while (!closed_ && pending_.size() < kPendingLimit) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) != 1) break;
        if (!(p.revents & POLLIN)) {
            if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) closed_ = true;
            break;
        }
        uint8_t buf[64];
        const size_t room = std::min(sizeof buf, kPendingLimit - pending_.size());
        const ssize_t n = read(fd_, buf, room);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) break;
        if (n <= 0) {  // hung up, or gone
            closed_ = true;
            break;
        }
        for (ssize_t i = 0; i < n; ++i) {
            switch (escapes_.feed(buf[i])) {
                case ConsoleEscapes::Action::kGuestByte:
                    if (in_monitor_)
                        monitor_byte_(buf[i]);
                    else
                        pending_.push_back(buf[i]);
                    break;
                case ConsoleEscapes::Action::kHelp: user_(ConsoleEscapes::help_text()); break;
                case ConsoleEscapes::Action::kMonitor:
                    if (!monitor_byte_) {
                        user_("\r\nprevt: C-a c: no monitor\r\n");
                        break;
                    }
                    in_monitor_ = !in_monitor_;
                    user_("\r\n");
                    if (in_monitor_ && monitor_entered_) monitor_entered_();
                    break;
                case ConsoleEscapes::Action::kQuit: return Poll::kQuit;
                case ConsoleEscapes::Action::kNone: break;
            }
        }
    }
    while (!pending_.empty() && deliver_(pending_.front())) pending_.pop_front();
    return closed_ && pending_.empty() ? Poll::kClosed : Poll::kRunning;
}

}  // namespace prevt
