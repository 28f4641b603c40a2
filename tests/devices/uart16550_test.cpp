// The 16550 UART driven through the port bus at COM1, as a guest driver would.
#include <gtest/gtest.h>

#include <string>

#include "devices/bus.hpp"
#include "devices/uart16550.hpp"

namespace prevt::devices {
namespace {

// Register offsets from the base, as a driver names them.
enum : unsigned { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3 };
enum : unsigned { MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

class FakeIrqLine : public IrqLine {
public:
    void set_level(bool high) override {
        level = high;
        ++changes;
    }
    bool level = false;
    int changes = 0;
};

class UartTest : public ::testing::Test {
protected:
    static constexpr uint16_t kCom1 = 0x3f8;
    UartTest() { bus.attach(kCom1, Uart16550::kRegisterCount, uart); }
    uint8_t inb(unsigned reg) { return static_cast<uint8_t>(bus.read(kCom1 + reg, 1)); }
    void outb(unsigned reg, uint8_t value) { bus.write(kCom1 + reg, 1, value); }
    uint8_t interrupt_id() { return inb(IIR) & 0x0f; }

    FakeIrqLine irq;
    std::string sent;
    Uart16550 uart{[this](uint8_t b) { sent.push_back(static_cast<char>(b)); }, &irq};
    Bus bus{"port"};
};

TEST_F(UartTest, ResetState) {
    EXPECT_EQ(inb(LSR), 0x60);  // THRE | TEMT
    EXPECT_EQ(inb(IIR), 0x01);  // no interrupt, FIFOs off
    EXPECT_EQ(inb(IER), 0);
    EXPECT_EQ(inb(LCR), 0);
    EXPECT_EQ(inb(MCR), 0);
    EXPECT_EQ(inb(MSR), 0xb0);  // DCD, DSR, CTS; no deltas
    EXPECT_FALSE(uart.rx_ready());
    EXPECT_FALSE(irq.level);
}

TEST_F(UartTest, ScratchRegisterRoundTrip) {
    for (uint8_t v : {uint8_t{0xa5}, uint8_t{0x5a}, uint8_t{0x00}, uint8_t{0xff}}) {
        outb(SCR, v);
        EXPECT_EQ(inb(SCR), v);
    }
}

TEST_F(UartTest, DivisorLatchIsBehindDlab) {
    outb(IER, 0x05);
    outb(LCR, 0x83);  // DLAB, 8N1
    outb(DLL, 0x01);
    outb(DLM, 0x02);
    EXPECT_EQ(inb(DLL), 0x01);
    EXPECT_EQ(inb(DLM), 0x02);
    outb(LCR, 0x03);
    EXPECT_EQ(inb(IER), 0x05) << "IER is untouched by divisor writes";
    EXPECT_EQ(inb(LCR), 0x03);
    EXPECT_TRUE(sent.empty()) << "divisor writes must not transmit";
    outb(LCR, 0x80);
    EXPECT_EQ(inb(DLL), 0x01) << "the divisor is kept while DLAB is clear";
}

TEST_F(UartTest, TransmitReachesTheSink) {
    for (char c : std::string("hi\n")) outb(THR, static_cast<uint8_t>(c));
    EXPECT_EQ(sent, "hi\n");
    EXPECT_EQ(inb(LSR), 0x60) << "THR and the shift register are empty again at once";
}

TEST_F(UartTest, ReceivedBytesSetDataReadyAndComeOutOfRbrInOrder) {
    EXPECT_FALSE(inb(LSR) & 0x01);
    uart.receive('a');
    uart.receive('b');
    EXPECT_TRUE(uart.rx_ready());
    EXPECT_EQ(inb(LSR), 0x61);
    EXPECT_EQ(inb(RBR), 'a');
    EXPECT_EQ(inb(LSR) & 0x01, 0x01);
    EXPECT_EQ(inb(RBR), 'b');
    EXPECT_EQ(inb(LSR) & 0x01, 0);
    EXPECT_FALSE(uart.rx_ready());
}

TEST_F(UartTest, FifoKeepsSixteenBytesAcrossWrapAround) {
    outb(FCR, 0x01);
    for (int round = 0; round < 3; ++round) {
        for (unsigned i = 0; i < Uart16550::kFifoSize; ++i) uart.receive(static_cast<uint8_t>(i));
        EXPECT_FALSE(uart.can_receive());
        for (unsigned i = 0; i < Uart16550::kFifoSize; ++i) EXPECT_EQ(inb(RBR), i);
        EXPECT_TRUE(uart.can_receive());
        uart.receive(0x99);  // shift the ring's head
        EXPECT_EQ(inb(RBR), 0x99);
    }
    EXPECT_EQ(inb(LSR) & 0x02, 0) << "no overrun";
}

TEST_F(UartTest, OverrunDropsTheNewByteAndReadingLsrClearsOe) {
    for (unsigned i = 0; i <= Uart16550::kFifoSize; ++i)
        uart.receive(static_cast<uint8_t>('A' + i));
    EXPECT_EQ(inb(LSR), 0x63);  // DR | OE | THRE | TEMT
    EXPECT_EQ(inb(LSR), 0x61) << "reading LSR clears OE";
    for (unsigned i = 0; i < Uart16550::kFifoSize; ++i) EXPECT_EQ(inb(RBR), 'A' + i);
    EXPECT_FALSE(uart.rx_ready()) << "the 17th byte was lost";
}

TEST_F(UartTest, IrqNeedsOut2AndFollowsIer) {
    outb(IER, 0x01);  // received data
    uart.receive('x');
    EXPECT_EQ(interrupt_id(), 0x04) << "IIR reports it regardless of OUT2";
    EXPECT_FALSE(irq.level) << "OUT2 clear: the PC's IRQ line stays low";
    outb(MCR, 0x08);  // OUT2
    EXPECT_TRUE(irq.level);
    outb(IER, 0x00);
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(interrupt_id(), 0x01);
    outb(IER, 0x01);
    EXPECT_TRUE(irq.level);
    inb(RBR);
    EXPECT_FALSE(irq.level) << "reading the last byte clears received data";
    EXPECT_EQ(irq.changes, 4) << "only level changes are driven";
}

TEST_F(UartTest, ThrEmptyIsRaisedByEnablingAndClearedByReadingIir) {
    outb(MCR, 0x08);
    outb(IER, 0x02);
    EXPECT_TRUE(irq.level) << "enabling ETBEI with THR empty interrupts at once";
    EXPECT_EQ(interrupt_id(), 0x02);
    EXPECT_FALSE(irq.level) << "reading IIR acknowledged THR empty";
    EXPECT_EQ(interrupt_id(), 0x01);
    outb(THR, 'y');
    EXPECT_TRUE(irq.level) << "the byte left at once: THR empty again";
    EXPECT_EQ(sent, "y");
}

TEST_F(UartTest, IirPriorities) {
    outb(MCR, 0x08);
    outb(IER, 0x0f);         // all four sources
    outb(MCR, 0x08 | 0x10);  // entering loopback changes CTS and DSR: modem status delta
    outb(MCR, 0x08);
    for (unsigned i = 0; i <= Uart16550::kFifoSize; ++i) uart.receive('r');  // data + overrun
    EXPECT_EQ(interrupt_id(), 0x06) << "line status first";
    inb(LSR);
    EXPECT_EQ(interrupt_id(), 0x04) << "then received data";
    EXPECT_EQ(interrupt_id(), 0x04) << "reading IIR does not clear received data";
    for (unsigned i = 0; i < Uart16550::kFifoSize; ++i) inb(RBR);
    EXPECT_EQ(interrupt_id(), 0x02) << "then THR empty (cleared by this read)";
    EXPECT_EQ(interrupt_id(), 0x00) << "then modem status";
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(inb(MSR) & 0x0f, 0x03) << "delta CTS, DSR (DCD follows OUT2: unchanged)";
    EXPECT_EQ(interrupt_id(), 0x01) << "reading MSR cleared the deltas";
    EXPECT_FALSE(irq.level);
}

TEST_F(UartTest, LoopbackRoutesTransmitToReceiveAndMirrorsMcrInMsr) {
    outb(MCR, 0x10 | 0x02);  // loop, RTS
    EXPECT_EQ(inb(MSR), 0x10 | 0x0a) << "CTS mirrors RTS; DSR and DCD fell";
    outb(MCR, 0x10 | 0x0f);  // loop, DTR, RTS, OUT1, OUT2
    EXPECT_EQ(inb(MSR), 0xf0 | 0x02 | 0x08) << "all four mirrored; delta DSR, DCD";
    outb(MCR, 0x10 | 0x0b);  // OUT1 (RI) falls
    EXPECT_EQ(inb(MSR), 0xb4) << "trailing edge of RI";
    outb(THR, 'L');
    EXPECT_TRUE(sent.empty());
    EXPECT_EQ(inb(LSR) & 0x01, 0x01);
    EXPECT_EQ(inb(RBR), 'L');
    uart.receive('h');
    EXPECT_FALSE(uart.rx_ready()) << "the serial input is disconnected in loopback";
    outb(MCR, 0x03);
    outb(THR, 'T');
    EXPECT_EQ(sent, "T");
}

TEST_F(UartTest, LoopbackGatesTheIrqAsOnAPc) {
    outb(IER, 0x01);
    outb(MCR, 0x10 | 0x08);  // loop, OUT2
    outb(THR, 'L');
    EXPECT_EQ(interrupt_id(), 0x04);
    EXPECT_FALSE(irq.level) << "the OUT2 pin is forced inactive in loopback";
    outb(MCR, 0x08);
    EXPECT_TRUE(irq.level);
}

TEST_F(UartTest, FifoControl) {
    uart.receive('q');
    outb(FCR, 0x06);  // clear bits without FCR.0: not programmed
    EXPECT_EQ(inb(LSR) & 0x01, 0x01);
    EXPECT_EQ(inb(IIR) & 0xc0, 0);
    outb(FCR, 0xc1);  // enabling the FIFOs clears them
    EXPECT_EQ(inb(LSR) & 0x01, 0);
    EXPECT_EQ(inb(IIR) & 0xc0, 0xc0);
    uart.receive('r');
    outb(FCR, 0xc1);  // no change of FCR.0: kept
    EXPECT_EQ(inb(LSR) & 0x01, 0x01);
    outb(FCR, 0xc3);  // receive FIFO reset
    EXPECT_EQ(inb(LSR) & 0x01, 0);
    EXPECT_EQ(inb(IIR) & 0xc0, 0xc0) << "reset bits are self-clearing";
    uart.receive('s');
    outb(FCR, 0x00);  // disabling clears too
    EXPECT_EQ(inb(LSR) & 0x01, 0);
    EXPECT_EQ(inb(IIR), 0x01);
}

TEST_F(UartTest, WideAccessesAreSplitIntoRegisterBytes) {
    outb(SCR, 0x5a);
    outb(LCR, 0x03);
    EXPECT_EQ(bus.read(kCom1 + LCR, 2), 0x0003u);      // LCR, MCR
    EXPECT_EQ(bus.read(kCom1 + MSR, 2), 0x5ab0u);      // MSR, SCR
    EXPECT_EQ(bus.read(kCom1 + SCR, 4), 0xffffff5au);  // past the last register
    bus.write(kCom1 + LCR, 2, 0x0883);                 // LCR = DLAB, MCR = OUT2
    EXPECT_EQ(inb(MCR), 0x08);
    bus.write(kCom1 + DLL, 2, 0x0180);  // divisor 0x0180
    EXPECT_EQ(bus.read(kCom1 + DLL, 2), 0x0180u);
    bus.write(kCom1 + SCR, 4, 0xeeeeee11);  // only SCR is in range
    EXPECT_EQ(inb(SCR), 0x11);
    EXPECT_TRUE(sent.empty());
}

TEST(Uart16550, WorksWithoutAnIrqLine) {
    std::string sent;
    Uart16550 uart([&](uint8_t b) { sent.push_back(static_cast<char>(b)); }, nullptr);
    Bus bus("port");
    bus.attach(0x3f8, 8, uart);
    bus.write(0x3f9, 1, 0x0f);
    bus.write(0x3fc, 1, 0x08);
    uart.receive('z');
    EXPECT_TRUE(uart.irq_level());
    EXPECT_EQ(bus.read(0x3f8, 1), 'z');
    bus.write(0x3f8, 1, 'k');
    EXPECT_EQ(sent, "k");
}

}  // namespace
}  // namespace prevt::devices
