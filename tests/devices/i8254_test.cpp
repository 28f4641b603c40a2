// The 8254 PIT's counting modes driven through ports 0x40-0x43 over fake time: counts and OUT
// as a real 8254 shows them after a number of 1.193182 MHz input clock ticks, IRQ0 through an
// IrqLine, and next_event_ns() for an engine's host timer.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "devices/pic_pair.hpp"
#include "i8254_fixture.hpp"

namespace prevt::devices {
namespace {

TEST(I8254Clock, TicksAndNanosecondsConvertExactly) {
    EXPECT_EQ(I8254::tick_at(1'000'000'000), I8254::kInputHz);
    EXPECT_EQ(I8254::first_ns_of_tick(I8254::kInputHz), 1'000'000'000u);
    for (uint64_t tick : {uint64_t{1}, uint64_t{65536}, uint64_t{123'456'789'012}}) {
        EXPECT_EQ(I8254::tick_at(I8254::first_ns_of_tick(tick)), tick);
        EXPECT_EQ(I8254::tick_at(I8254::first_ns_of_tick(tick) - 1), tick - 1);
    }
}

TEST_F(I8254Test, Mode0InterruptsOnceAtTerminalCount) {
    program(0, 0, 100);
    EXPECT_FALSE(irq_at(0)) << "mode 0 drives OUT low";
    EXPECT_EQ(pit.next_event_ns(), ns_of(100));
    EXPECT_EQ(count_at(40), 60);
    EXPECT_FALSE(irq_at(99));
    EXPECT_TRUE(irq_at(100));
    EXPECT_EQ(irq0.rising_edges, 1);
    EXPECT_EQ(pit.next_event_ns(), std::nullopt) << "OUT stays high until reprogrammed";
    EXPECT_EQ(count_at(105), 0xfffb) << "the count wraps and keeps going";
    EXPECT_TRUE(irq_at(70'000));
    EXPECT_EQ(irq0.rising_edges, 1);
}

TEST_F(I8254Test, Mode0FirstByteOfANewCountStopsCountingAndDropsOut) {
    program(0, 0, 10);
    EXPECT_TRUE(irq_at(20));
    outb(0x40, 50);
    EXPECT_FALSE(irq0.level) << "OUT falls at the first byte";
    EXPECT_EQ(count_at(30), 0xfff6) << "counting is stopped at 10 - 20";
    outb(0x40, 0);
    EXPECT_EQ(count_at(40), 40);
    EXPECT_TRUE(irq_at(80));
}

TEST_F(I8254Test, Mode2RateGeneratorCountsDownToOne) {
    program(0, 2, 1000);
    EXPECT_TRUE(irq_at(0)) << "OUT is high in mode 2";
    EXPECT_EQ(count_at(0), 1000);
    EXPECT_EQ(count_at(1), 999);
    EXPECT_EQ(count_at(999), 1) << "the count never reads 0";
    EXPECT_FALSE(pit.out(0)) << "OUT is low for the tick at count 1";
    EXPECT_EQ(count_at(1000), 1000);
    EXPECT_TRUE(pit.out(0));
    EXPECT_EQ(count_at(2500), 500);
}

TEST_F(I8254Test, Mode2RaisesIrq0OncePerPeriodWhenUpdatedAtEachEvent) {
    program(0, 2, 1000);
    const int edges_before = irq0.rising_edges;
    for (uint64_t period = 1; period <= 5; ++period) {
        SCOPED_TRACE(period);
        ASSERT_EQ(pit.next_event_ns(), ns_of(period * 1000 - 1));
        clock.ns = *pit.next_event_ns();
        pit.update();
        EXPECT_FALSE(irq0.level);
        ASSERT_EQ(pit.next_event_ns(), ns_of(period * 1000));
        clock.ns = *pit.next_event_ns();
        pit.update();
        EXPECT_TRUE(irq0.level);
    }
    EXPECT_EQ(irq0.rising_edges, edges_before + 5);
}

TEST_F(I8254Test, Irq0ReachesThePicAsVector0x08) {
    PicPair pics;
    I8254 timer(clock, pics.line(0));
    pics.attach(bus);
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    timer.write(3, 1, control_word(0, kLsbThenMsb, 2));
    timer.write(0, 1, 100);
    timer.write(0, 1, 0);
    // OUT rose from its power-on low when mode 2 was programmed: that is a first request.
    EXPECT_EQ(pics.acknowledge(), 0x08);
    outb(0x20, 0x20);
    EXPECT_EQ(timer.next_event_ns(), ns_of(99));
    at(99);
    timer.update();
    EXPECT_FALSE(pics.interrupt_pending());
    at(100);
    timer.update();
    ASSERT_TRUE(pics.interrupt_pending());
    EXPECT_EQ(pics.acknowledge(), 0x08);
}

TEST_F(I8254Test, LateUpdateStillDeliversAMissedPulse) {
    program(0, 2, 1000);
    irq_at(10);
    const int before = irq0.rising_edges;
    EXPECT_TRUE(irq_at(3500)) << "three low ticks were missed; OUT is high again";
    EXPECT_EQ(irq0.rising_edges, before + 1) << "a low-high pulse stands for them";
    EXPECT_EQ(pit.next_event_ns(), ns_of(3999));
}

TEST_F(I8254Test, Mode3SquareWaveWithEvenCount) {
    program(0, 3, 1000);
    EXPECT_TRUE(irq_at(0));
    EXPECT_EQ(count_at(0), 1000);
    EXPECT_EQ(count_at(1), 998) << "mode 3 counts down by two";
    EXPECT_EQ(count_at(499), 2);
    EXPECT_EQ(pit.next_event_ns(), ns_of(500));
    EXPECT_FALSE(irq_at(500));
    EXPECT_EQ(count_at(500), 1000) << "reloaded for the low half";
    EXPECT_EQ(pit.next_event_ns(), ns_of(1000));
    EXPECT_FALSE(irq_at(999));
    EXPECT_TRUE(irq_at(1000));
    EXPECT_EQ(irq0.rising_edges, 2) << "the first from programming, the second a period on";
}

TEST_F(I8254Test, Mode3OddCountIsHighOneTickLonger) {
    program(0, 3, 5);
    const uint16_t counts[] = {4, 2, 0, 4, 2, 4};
    const bool outs[] = {true, true, true, false, false, true};
    for (uint64_t tick = 0; tick < 6; ++tick) {
        SCOPED_TRACE(tick);
        EXPECT_EQ(count_at(tick), counts[tick]);
        EXPECT_EQ(pit.out(0), outs[tick]);
    }
}

TEST_F(I8254Test, CountZeroMeans65536) {
    program(0, 3, 0);
    EXPECT_EQ(count_at(0), 0);
    EXPECT_EQ(pit.next_event_ns(), ns_of(32768));
    EXPECT_EQ(count_at(1), 65534);
    program(0, 2, 0);  // at tick 1
    EXPECT_EQ(count_at(2), 65535);
    EXPECT_EQ(count_at(1 + 65536), 0) << "reloaded with 65536";
}

TEST_F(I8254Test, Mode2NewCountWaitsForTheEndOfThePeriod) {
    program(0, 2, 1000);
    at(300);
    outb(0x40, 100);
    outb(0x40, 0);
    EXPECT_EQ(count_at(301), 699) << "the current period runs out with the old count";
    EXPECT_EQ(count_at(1000), 100);
    EXPECT_EQ(count_at(1050), 50);
    EXPECT_EQ(pit.next_event_ns(), ns_of(1099));
}

TEST_F(I8254Test, Mode3NewCountWaitsForTheEndOfTheHalfCycle) {
    program(0, 3, 1000);
    at(200);
    outb(0x40, 100);
    outb(0x40, 0);
    EXPECT_EQ(count_at(499), 2) << "the high half runs out with the old count";
    EXPECT_TRUE(irq_at(499));
    EXPECT_FALSE(irq_at(500)) << "the new count starts with its low half";
    EXPECT_EQ(count_at(500), 100);
    EXPECT_EQ(pit.next_event_ns(), ns_of(550));
    EXPECT_TRUE(irq_at(550));
    EXPECT_EQ(count_at(551), 98);
}

TEST_F(I8254Test, Mode5StrobesOneTickAfterEachTrigger) {
    program(2, 5, 10);
    at(100);
    EXPECT_TRUE(pit.out(2)) << "nothing happens until the gate rises";
    pit.set_gate(2, false);
    pit.set_gate(2, true);
    at(110);
    EXPECT_FALSE(pit.out(2));
    at(111);
    EXPECT_TRUE(pit.out(2));
    pit.set_gate(2, false);
    pit.set_gate(2, true);  // retriggered
    at(121);
    EXPECT_FALSE(pit.out(2));
}

TEST_F(I8254Test, Mode4StrobesOneTickLow) {
    program(0, 4, 20);
    EXPECT_TRUE(irq_at(19));
    EXPECT_EQ(pit.next_event_ns(), ns_of(20));
    EXPECT_FALSE(irq_at(20));
    EXPECT_EQ(pit.next_event_ns(), ns_of(21));
    EXPECT_TRUE(irq_at(21));
    EXPECT_EQ(pit.next_event_ns(), std::nullopt);
}

TEST_F(I8254Test, UnprogrammedTimerHasNoEvents) {
    EXPECT_EQ(pit.next_event_ns(), std::nullopt);
    EXPECT_FALSE(irq_at(1'000'000));
    EXPECT_EQ(inb(kControl), 0xff) << "the control word register is write-only";
    EXPECT_THROW(pit.set_gate(3, true), std::out_of_range);
}

}  // namespace
}  // namespace prevt::devices
