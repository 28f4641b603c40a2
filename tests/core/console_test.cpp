// The console's escapes (QEMU's mux) and its input flow into the UART (core/console.hpp), a
// pipe standing for the terminal; the fatal path's restore on a pty. The rest of the terminal's
// modes (every other way prevt ends) is tests/cli/console_test.py's, through a pty.
#include "core/console.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/native/seccomp.hpp"
#include "core/native/signals.hpp"

namespace prevt {
namespace {

using Action = ConsoleEscapes::Action;

TEST(ConsoleEscapes, OrdinaryBytesGoToTheGuest) {
    ConsoleEscapes e;
    for (int b : {int('a'), int('\r'), 0x03, 0x1a, 0x1c, 0x7f, 0xff})
        EXPECT_EQ(e.feed(b), Action::kGuestByte);
}

TEST(ConsoleEscapes, QemuSequences) {
    ConsoleEscapes e;
    EXPECT_EQ(e.feed(0x01), Action::kNone);
    EXPECT_EQ(e.feed('x'), Action::kQuit);
    EXPECT_EQ(e.feed(0x01), Action::kNone);
    EXPECT_EQ(e.feed('h'), Action::kHelp);
    EXPECT_EQ(e.feed(0x01), Action::kNone);
    EXPECT_EQ(e.feed('?'), Action::kHelp);
    EXPECT_EQ(e.feed(0x01), Action::kNone);
    EXPECT_EQ(e.feed(0x01), Action::kGuestByte);  // C-a C-a: one C-a
    EXPECT_EQ(e.feed('x'), Action::kGuestByte);   // the escape was used up
    EXPECT_EQ(e.feed(0x01), Action::kNone);
    EXPECT_EQ(e.feed('c'), Action::kMonitor);
    for (char b : {'s', 't', 'b', 'q', '\r'}) {  // dropped, as QEMU drops them
        EXPECT_EQ(e.feed(0x01), Action::kNone);
        EXPECT_EQ(e.feed(b), Action::kNone);
    }
    EXPECT_EQ(e.feed('q'), Action::kGuestByte);
    EXPECT_NE(std::string(ConsoleEscapes::help_text()).find("C-a x"), std::string::npos);
}

struct PipeRig {
    int fds[2];
    devices::Uart16550 uart{[](uint8_t) {}, nullptr};
    std::string user;
    Console console{(pipe(fds), fds[0]), uart, [this](const char* t) { user += t; }};
    ~PipeRig() {
        close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
    }
    void type(const std::string& s) {
        ASSERT_EQ(write(fds[1], s.data(), s.size()), ssize_t(s.size()));
    }
    std::string drain() {  // what the guest reads from RBR while LSR.DR is set
        std::string got;
        while (uart.rx_ready()) got += char(uart.read(0, 1));
        return got;
    }
};

TEST(Console, BytesReachTheUartAndWaitForRoom) {
    PipeRig r;
    std::string text;
    for (int i = 0; i < 40; ++i) text += char('a' + i % 26);
    r.type(text);
    EXPECT_EQ(r.console.poll(), Console::Poll::kRunning);
    std::string got = r.drain();
    EXPECT_EQ(got.size(), devices::Uart16550::kFifoSize);  // the rest waits, none is lost
    while (got.size() < text.size()) {
        EXPECT_EQ(r.console.poll(), Console::Poll::kRunning);
        got += r.drain();
    }
    EXPECT_EQ(got, text);
}

TEST(Console, EscapesInTheStream) {
    PipeRig r;
    r.type(
        "ab\x01\x01"
        "c\x01hd\x01z");
    EXPECT_EQ(r.console.poll(), Console::Poll::kRunning);
    EXPECT_EQ(r.drain(),
              "ab\x01"
              "cd");
    EXPECT_NE(r.user.find("C-a h"), std::string::npos);
    r.type("e\x01xf");
    EXPECT_EQ(r.console.poll(), Console::Poll::kQuit);
}

TEST(Console, ClosedInputEndsAfterThePendingBytes) {
    PipeRig r;
    r.type(std::string(20, 'q'));
    close(r.fds[1]);
    r.fds[1] = -1;
    EXPECT_EQ(r.console.poll(), Console::Poll::kRunning);  // 4 bytes still pending
    EXPECT_EQ(r.drain().size(), 16u);
    EXPECT_EQ(r.console.poll(), Console::Poll::kClosed);
    EXPECT_EQ(r.drain(), "qqqq");
}

// prevt's own fatal path (monitor_fault: here a system call the seccomp filter forbids, status
// 4) puts the terminal back before it _exits. In a forked child, the pty shared with it.
TEST(Console, MonitorFaultRestoresTheTerminal) {
    int master, slave;
    ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
    termios before{}, after{};
    ASSERT_EQ(tcgetattr(slave, &before), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        devices::Uart16550 uart{[](uint8_t) {}, nullptr};
        Console console(slave, uart, [](const char*) {});
        console.enter_raw();
        termios raw{};
        if (tcgetattr(slave, &raw) != 0 || (raw.c_lflag & (ICANON | ECHO | ISIG))) _exit(10);
        native::install_signal_handlers();
        native::install_guest_syscall_filter();
        syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);  // forbidden: monitor_fault
        _exit(11);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);  // 10: not raw; 11: the filter let it through
    ASSERT_EQ(tcgetattr(slave, &after), 0);
    EXPECT_EQ(memcmp(&before, &after, sizeof before), 0);
    close(master);
    close(slave);
}

}  // namespace
}  // namespace prevt
