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

// Real mode (core/native/real_mode_segment.hpp): selector 0 is the IVT's segment, not null;
// every selector is writable data at selector * 16 with the hidden limit it keeps.
Segment real_mode(uint16_t selector, uint32_t limit = 0xffff) {
    Segment s;
    s.selector = selector;
    s.base = uint32_t(selector) << 4;
    s.limit = limit;
    s.type = 0;  // read-only data in the hidden part: real mode writes through it anyway
    return s;
}

TEST(ShadowLdtRealMode, SelectorZeroIsASegment) {
    ShadowLdt ldt(kPageZeroOffset);
    EXPECT_EQ(ldt.shadow(real_mode(0)), 0);  // protected mode: the null selector
    const uint16_t host = ldt.shadow_real_mode(real_mode(0));
    ASSERT_NE(host & ~3u, 0u);
    Segment seg;
    ASSERT_TRUE(ldt.guest_segment(host, 0, &seg));
    EXPECT_EQ(seg.base, 0u);
    EXPECT_EQ(seg.limit, 0xffffu);
    EXPECT_EQ(seg.type & 2, 2);  // writable
    EXPECT_EQ(ldt.host_limit(host), 0xffffu);
}

TEST(ShadowLdtRealMode, EachParagraphIsItsOwnContentAndUnrealKeepsItsLimit) {
    ShadowLdt ldt(kPageZeroOffset);
    const uint16_t a = ldt.shadow_real_mode(real_mode(0x1000));
    const uint16_t b = ldt.shadow_real_mode(real_mode(0x1001));
    const uint16_t unreal = ldt.shadow_real_mode(real_mode(0x1000, 0xffffffff));
    EXPECT_NE(a, b);
    EXPECT_NE(a, unreal);
    Segment seg;
    ASSERT_TRUE(ldt.guest_segment(b, 0, &seg));
    EXPECT_EQ(seg.base, 0x10010u);
    EXPECT_GT(ldt.host_limit(unreal), 0xffffu);
    EXPECT_EQ(ldt.shadow_real_mode(real_mode(0x1000)), a);
    EXPECT_EQ(ldt.ldt_writes(), 3u);
}

}  // namespace
}  // namespace prevt::native
