// The state a BIOS leaves for a Multiboot kernel (core/loaders/bios_left_state.hpp): the 8259A
// pair and PIT channel 0 as SeaBIOS programs them, read back through their ports; the IVT and
// the BDA; and the IRQ 0 handler run on the virtual CPU in real mode (the tick counted, the
// master EOId, the midnight rollover).
#include "core/loaders/bios_left_state.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/decoded.hpp"
#include "core/emulate/execute.hpp"
#include "devices/clock.hpp"
#include "devices/i8254.hpp"
#include "devices/mc146818.hpp"
#include "devices/pic_pair.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

using namespace loaders;

struct RealModeHooks : CpuHooks {
    bool supports_real_mode() const override { return true; }
};

constexpr int64_t kTenTwentyThirty = (10 * 60 + 20) * 60 + 30;  // 1970-01-01 10:20:30 UTC

class BiosLeftStateTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    BiosLeftStateTest() : VirtualCpuRig(2 << 20) {
        pic.attach(ports);
        ports.attach(devices::I8254::kIoBase, devices::I8254::kPortCount, pit);
        ports.attach(devices::Mc146818::kIoBase, devices::Mc146818::kPortCount, rtc);
        leave_bios_state(ports, ram);
    }
    // Real mode at 0000:8000 with the stack at 0000:7000, as a kernel in real mode runs.
    void enter_real_mode() {
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00009b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(0x1000, gdt, sizeof gdt, 0x7000);
        s.sreg(SegReg::cs).db = false;
        s.eip = 0x8000;
        s.gpr[eax] = s.cr0 & ~cr0::PE;
        run({0x0f, 0x22, 0xc0});              // mov %eax,%cr0
        run({0xea, 0x00, 0x80, 0x00, 0x00});  // ljmp $0,$0x8000
        s.gpr[eax] = 0;
        run({0x8e, 0xd0});  // mov %ax,%ss
        s.sreg(SegReg::ss).db = false;
        s.gpr[esp] = 0x7000;
    }
    void run(std::vector<uint8_t> bytes) {
        ram.write_bytes(s.sreg(SegReg::cs).base + s.eip, bytes.data(), bytes.size());
        execute(real_cpu, decode_at(real_cpu, s.eip));
    }
    // IRQ 0 raised, acknowledged (vector 0x08) and delivered through the IVT as an `int $8`
    // here would deliver it; then the handler runs on the virtual CPU to its iret.
    void take_irq0() {
        pic.set_irq(0, true);
        ASSERT_EQ(pic.acknowledge(), 0x08);
        pic.set_irq(0, false);
        ASSERT_EQ(pic.master().isr(), 0x01);
        const uint32_t back = s.eip + 2;
        run({0xcd, 0x08});  // int $8
        ASSERT_EQ(s.sreg(SegReg::cs).base, 0xf0000u);
        ASSERT_EQ(s.eip, kTimerHandler);
        for (int steps = 0; steps < 100 && s.sreg(SegReg::cs).base != 0; ++steps)
            execute(real_cpu, decode_at(real_cpu, s.eip));
        ASSERT_EQ(s.sreg(SegReg::cs).selector, 0);
        ASSERT_EQ(s.eip, back) << "the handler returned";
    }
    devices::HostClock clock;
    devices::PicPair pic;
    devices::I8254 pit{clock, pic.line(0)};
    devices::Mc146818 rtc{clock, pic.line(8), kTenTwentyThirty};
    RealModeHooks real_hooks;
    Cpu real_cpu{s, mem, ports, real_hooks};
};

TEST_F(BiosLeftStateTest, PicsHaveSeaBiosBasesAndMasks) {
    EXPECT_EQ(pic.master().vector_base(), 0x08);
    EXPECT_EQ(pic.slave().vector_base(), 0x70);
    EXPECT_EQ(ports.read(0x21, 1), 0xb8u) << "IRQ 0, 1, 2, 6 open";
    EXPECT_EQ(ports.read(0xa1, 1), 0x8eu) << "IRQ 8, 12, 13, 14 open";
    EXPECT_FALSE(pic.master().level_triggered());
    ports.write(0x21, 1, 0xb9);  // (IRQ 0 closed: the PIT's first edge may be waiting)
    pic.set_irq(8, true);        // the RTC's line, through the cascade
    EXPECT_EQ(pic.acknowledge(), 0x70);
    pic.set_irq(11, true);  // masked, as SeaBIOS leaves it
    EXPECT_FALSE(pic.interrupt_pending());
}

TEST_F(BiosLeftStateTest, PitChannel0InMode2WithCount65536) {
    ports.write(0x43, 1, 0xe2);  // read-back: counter 0's status
    EXPECT_EQ(ports.read(0x40, 1) & 0x3f, 0x34u) << "lobyte/hibyte, mode 2, binary";
}

TEST_F(BiosLeftStateTest, IvtPointsIntoTheF000Segment) {
    EXPECT_EQ(ram.read(0x08 * 4, 4), 0xf000fea5u);
    EXPECT_EQ(ram.read(0x20 * 4, 4), 0xf000ff53u);
    EXPECT_EQ(ram.read(0x1c * 4, 4), 0xf000ff53u);
    EXPECT_NE(ram.read(0x09 * 4, 4), 0xf000ff53u);
    EXPECT_NE(ram.read(0x73 * 4, 4), 0xf000ff53u);
    EXPECT_NE(ram.read(0x73 * 4, 4), ram.read(0x09 * 4, 4)) << "the slave's EOIs both";
    EXPECT_EQ(ram.read(0x60 * 4, 4), 0u);
    EXPECT_EQ(ram.read(0x79 * 4, 4), 0u);
    EXPECT_EQ(ram.read(0xfff53, 1), 0xcfu) << "iret";
}

TEST_F(BiosLeftStateTest, BdaAsSeaBiosFillsIt) {
    EXPECT_EQ(ram.read(0x400, 2), 0x3f8u);
    EXPECT_EQ(ram.read(0x40e, 2), 0x9fc0u);
    EXPECT_EQ(ram.read(0x413, 2), 639u);
    EXPECT_EQ(ram.read(0x9fc00, 1), 1u) << "the EBDA's size in KiB";
    // The RTC says 10:20:30 (perhaps 10:20:31 by now).
    const uint32_t ticks = ram.read(kBdaTicks, 4);
    EXPECT_GE(ticks, ticks_since_midnight(10, 20, 30));
    EXPECT_LE(ticks, ticks_since_midnight(10, 20, 31));
}

TEST_F(BiosLeftStateTest, TicksFromTheTimeOfDayAsSeaBiosRoundsThem) {
    EXPECT_EQ(ticks_since_midnight(0, 0, 0), 0u);
    EXPECT_EQ(ticks_since_midnight(0, 0, 1), 19u);  // 18.2 a second, rounded up
    EXPECT_EQ(ticks_since_midnight(10, 20, 30), 677829u);
    EXPECT_EQ(ticks_since_midnight(23, 59, 59), 1573025u);
}

TEST_F(BiosLeftStateTest, Irq0HandlerCountsTheTickAndEoisTheMaster) {
    enter_real_mode();
    ram.write(kBdaTicks, 4, 1000);
    s.gpr[eax] = 0x1234;
    const uint16_t ds = s.sreg(SegReg::ds).selector;
    take_irq0();
    EXPECT_EQ(ram.read(kBdaTicks, 4), 1001u);
    EXPECT_EQ(pic.master().isr(), 0x00) << "EOI";
    EXPECT_EQ(s.gpr[esp], 0x7000u);
    EXPECT_EQ(s.gpr[eax], 0x1234u) << "AX kept";
    EXPECT_EQ(s.sreg(SegReg::ds).selector, ds);
}

TEST_F(BiosLeftStateTest, Irq0HandlerRollsOverAtMidnight) {
    enter_real_mode();
    ram.write(kBdaTicks, 4, kTicksPerDay - 1);
    ram.write(kBdaTickRollover, 1, 0);
    take_irq0();
    EXPECT_EQ(ram.read(kBdaTicks, 4), 0u);
    EXPECT_EQ(ram.read(kBdaTickRollover, 1), 1u);
}

}  // namespace
}  // namespace prevt
