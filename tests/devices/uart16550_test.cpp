// The 16550 UART driven through the port bus at COM1, as a guest driver would.
#include <gtest/gtest.h>

#include <string>

#include "devices/bus.hpp"
#include "devices/uart16550.hpp"

namespace prevt::devices {
namespace {

class Line : public IrqLine {
public:
    void set_level(bool high) override { level = high; }
    bool level = false;
};

class UartTest : public ::testing::Test {
protected:
    UartTest() : uart([this](uint8_t b) { out.push_back(static_cast<char>(b)); }, &irq) {
        bus.attach(0x3f8, 8, uart);
    }
    uint8_t in(unsigned reg) { return static_cast<uint8_t>(bus.read(0x3f8 + reg, 1)); }
    void outb(unsigned reg, uint8_t v) { bus.write(0x3f8 + reg, 1, v); }
    Bus bus{"port"};
    Line irq;
    std::string out;
    Uart16550 uart;
};

TEST_F(UartTest, ResetState) {
    EXPECT_EQ(in(5), 0x60);  // THRE | TEMT
    EXPECT_EQ(in(2) & 0x0f, 0x01);
    EXPECT_EQ(in(1), 0);
}

TEST_F(UartTest, ScratchRegisterRoundTrip) {
    outb(7, 0xa5);
    EXPECT_EQ(in(7), 0xa5);
}

TEST_F(UartTest, DivisorLatchIsBehindDlab) {
    outb(3, 0x80);
    outb(0, 0x01);
    outb(1, 0x02);
    EXPECT_EQ(in(0), 0x01);
    EXPECT_EQ(in(1), 0x02);
    outb(3, 0x03);
    EXPECT_EQ(in(1), 0);  // IER again
    EXPECT_TRUE(out.empty()) << "divisor writes must not transmit";
}

TEST_F(UartTest, TransmitReachesTheSink) {
    for (char c : std::string("hi\n")) outb(0, static_cast<uint8_t>(c));
    EXPECT_EQ(out, "hi\n");
    EXPECT_EQ(in(5) & 0x60, 0x60);
}

TEST_F(UartTest, ReceiveFifoInOrderAndOverrun) {
    EXPECT_FALSE(in(5) & 1);
    uart.receive('a');
    uart.receive('b');
    EXPECT_TRUE(in(5) & 1);
    EXPECT_EQ(in(0), 'a');
    EXPECT_EQ(in(0), 'b');
    EXPECT_FALSE(in(5) & 1);
    for (unsigned i = 0; i < Uart16550::kFifoSize + 1; ++i) uart.receive(static_cast<uint8_t>(i));
    EXPECT_EQ(in(5) & 0x02, 0x02) << "overrun";
    EXPECT_EQ(in(5) & 0x02, 0) << "reading LSR clears OE";
    EXPECT_EQ(in(0), 0);  // the first byte survived, the 17th was lost
}

TEST_F(UartTest, InterruptsNeedOut2AndFollowPriorities) {
    outb(1, 0x03);  // RDA + THRE
    EXPECT_FALSE(irq.level) << "OUT2 clear: the PC's IRQ line stays low";
    outb(4, 0x08);  // OUT2
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(2) & 0x0f, 0x02);  // THR empty; reading IIR clears it
    EXPECT_FALSE(irq.level);
    uart.receive('x');
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(2) & 0x0f, 0x04);  // received data
    in(0);
    EXPECT_FALSE(irq.level);
    outb(0, 'y');  // transmit: THR empty again
    EXPECT_TRUE(irq.level);
    uart.receive('z');
    EXPECT_EQ(in(2) & 0x0f, 0x04) << "received data outranks THR empty";
}

TEST_F(UartTest, LoopbackRoutesTransmitToReceive) {
    outb(4, 0x10 | 0x03);  // loop, RTS, DTR
    outb(0, 'L');
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(in(0), 'L');
    EXPECT_EQ(in(6) & 0x30, 0x30);  // CTS, DSR mirror RTS, DTR
}

TEST_F(UartTest, FifoControlClearsReceive) {
    uart.receive('q');
    outb(2, 0x07);
    EXPECT_FALSE(in(5) & 1);
    EXPECT_EQ(in(2) & 0xc0, 0xc0);
}

}  // namespace
}  // namespace prevt::devices
