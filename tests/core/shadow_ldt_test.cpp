// The descriptor cache per segment register (core/native/shadow_ldt.hpp): slots by content,
// never rewritten while valid, the teaching view's preferred slots, and the generation flush
// when every slot is taken. These write real host LDT entries (modify_ldt is unprivileged).
#include <gtest/gtest.h>

#include "core/native/layout.hpp"
#include "core/native/shadow_ldt.hpp"

namespace prevt::native {
namespace {

Segment data(uint16_t selector, uint32_t base, uint32_t limit = 0xffffffff) {
    Segment s;
    s.selector = selector;
    s.base = base;
    s.limit = limit;
    s.type = 3;
    s.db = true;
    s.g = true;
    return s;
}

TEST(ShadowLdt, AnEditedEntryGetsANewSlotAndTheOldOneStays) {
    ShadowLdt ldt(kPageZeroOffset);
    const uint16_t a = ldt.shadow(data(0x10, 0x200000));
    EXPECT_EQ(a, (2 << 3) | 7);  // guest GDT index 2 prefers host entry 2
    const uint16_t b = ldt.shadow(data(0x10, 0x300000));
    EXPECT_NE(a, b);
    Segment seg;
    ASSERT_TRUE(ldt.guest_segment(a, 0, &seg));  // DS still holds the old descriptor
    EXPECT_EQ(seg.base, 0x200000u);
    ASSERT_TRUE(ldt.guest_segment(b, 0, &seg));
    EXPECT_EQ(seg.base, 0x300000u);
    EXPECT_EQ(ldt.guest_selector(b >> 3), 0x10);
    EXPECT_EQ(ldt.shadow(data(0x10, 0x200000)), a);  // the same content: the same slot
    EXPECT_EQ(ldt.ldt_writes(), 2u);                 // and no system call
}

TEST(ShadowLdt, TheAccessedBitAndGranularityAreNotContent) {
    ShadowLdt ldt(0);
    Segment s = data(0x18, 0);
    const uint16_t a = ldt.shadow(s);
    s.type |= 1;  // accessed
    s.g = false;  // the same byte-granular limit
    EXPECT_EQ(ldt.shadow(s), a);
}

TEST(ShadowLdt, KernelAndUserVariantsAreTwoContents) {
    ShadowLdt ldt(kPageZeroOffset);
    const Segment s = data(0x2b, 0);
    EXPECT_NE(ldt.shadow(s), ldt.shadow(s, 0xc0000000));
    EXPECT_EQ(ldt.host_limit(ldt.shadow(s, 0xc0000000)), 0xbfffffffu);
}

TEST(ShadowLdt, AllSlotsTakenDropsThemAllAtOnce) {
    ShadowLdt ldt(0);
    const uint64_t gen = ldt.generation();
    for (uint32_t i = 0; i < kMonitorLdtFirst - 1; ++i) ldt.shadow(data(0x10, i << 12, 0xfff));
    EXPECT_EQ(ldt.generation(), gen);  // 8063 contents fit
    const uint16_t sel = ldt.shadow(data(0x10, 0xfff00000, 0xfff));
    EXPECT_EQ(ldt.generation(), gen + 1);
    Segment seg;
    EXPECT_TRUE(ldt.guest_segment(sel, 0, &seg));
    EXPECT_EQ(seg.base, 0xfff00000u);
}

}  // namespace
}  // namespace prevt::native
