// The console's escapes (QEMU's mux) and its input flow into the UART (core/console.hpp): a
// pipe stands for the terminal (enter_raw is not called: the pty test, tests/cli/console_test.py,
// covers the terminal's modes).
#include "core/console.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace prevt {
namespace {

using Action = ConsoleEscapes::Action;

TEST(ConsoleEscapes, OrdinaryBytesGoToTheGuest) {
    ConsoleEscapes e;
    for (int b : {int('a'), int('\r'), 0x03, 0x1a, 0x1c, 0x7f, 0xff}) EXPECT_EQ(e.feed(b), Action::kGuestByte);
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
    void type(const std::string& s) { ASSERT_EQ(write(fds[1], s.data(), s.size()), ssize_t(s.size())); }
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
    r.type("ab\x01\x01" "c\x01hd\x01z");
    EXPECT_EQ(r.console.poll(), Console::Poll::kRunning);
    EXPECT_EQ(r.drain(), "ab\x01" "cd");
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

}  // namespace
}  // namespace prevt
