// The deadline queue (devices/deadline_queue.hpp) with a fake clock: devices are advanced only
// when a deadline came, one was touched, or the vCPU waits; the earliest deadline is reported;
// the 8254 through it raises IRQ 0 at its deadline.
#include <gtest/gtest.h>

#include "devices/deadline_queue.hpp"
#include "devices/i8254.hpp"
#include "tests/devices/fakes.hpp"

namespace prevt::devices {
namespace {

class FakeTimed final : public TimedDevice {
public:
    void advance() override { ++advanced; }
    std::optional<uint64_t> next_deadline_ns() const override { return deadline; }
    void poke() { touch(); }
    int advanced = 0;
    std::optional<uint64_t> deadline;
};

TEST(DeadlineQueue, AdvancesOnlyWhenItMust) {
    DeadlineQueue q;
    FakeTimed a, b;
    q.add(a);
    q.add(b);
    a.deadline = 5000;
    b.deadline = 3000;
    EXPECT_TRUE(q.serve(false, false).advanced);   // new devices: brought up to date once
    EXPECT_FALSE(q.serve(false, false).advanced);  // nothing happened: no clock read
    EXPECT_EQ(a.advanced, 1);
    const DeadlineQueue::Served fired = q.serve(true, false);  // the host timer fired
    EXPECT_TRUE(fired.advanced);
    EXPECT_EQ(fired.next_ns, 3000u);  // the earliest of the two
    EXPECT_EQ(a.advanced, 2);
    EXPECT_EQ(b.advanced, 2);
    EXPECT_FALSE(q.serve(false, false).advanced);
    b.poke();  // the guest touched one: all are brought up to date
    b.deadline.reset();
    const DeadlineQueue::Served touched = q.serve(false, false);
    EXPECT_TRUE(touched.advanced);
    EXPECT_EQ(touched.next_ns, 5000u);
    EXPECT_TRUE(q.serve(false, true).advanced);  // hlt: always
    a.deadline.reset();
    EXPECT_EQ(q.advance_all(), 0u);  // no deadline at all
}

TEST(DeadlineQueue, ThePitRaisesIrq0AtItsDeadline) {
    FakeClock clock;
    RecordingIrqLine irq0;
    I8254 pit(clock, &irq0);
    DeadlineQueue q;
    q.add(pit);
    pit.write(3, 1, 0x34);  // counter 0, lobyte/hibyte, mode 2 (rate generator)
    pit.write(0, 1, 0xa9);  // 1193 input ticks: ~1 ms
    pit.write(0, 1, 0x04);
    const DeadlineQueue::Served s = q.serve(false, false);  // touched: advanced
    ASSERT_TRUE(s.advanced);
    ASSERT_NE(s.next_ns, 0u);
    EXPECT_GT(s.next_ns, 900'000u);
    EXPECT_LT(s.next_ns, 1'100'000u);
    const int edges = irq0.rising_edges;
    clock.ns = s.next_ns;  // the host timer fires at the deadline
    const DeadlineQueue::Served t = q.serve(true, false);
    EXPECT_TRUE(t.advanced);
    EXPECT_GT(irq0.rising_edges + irq0.calls, edges);  // OUT changed at the deadline
    EXPECT_GT(t.next_ns, s.next_ns);                   // and the next one is later
}

}  // namespace
}  // namespace prevt::devices
