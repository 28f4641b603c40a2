// The containment rule for shadow descriptors (core/native/host_descriptor.hpp), swept over
// every kind of segment a guest can build - code/data, expand-up/down, conforming, 16/32-bit,
// byte/page granular, readable/writable - with bases and limits at their boundary values, for
// both engines' guest offsets and with and without a user ceiling. For each: the host range
// lies in [offset, kMonitorBase) (and below the ceiling), it is a subset of what the guest
// segment reaches, and nothing is truncated when the guest segment already fits.
#include <gtest/gtest.h>

#include <vector>

#include "core/native/host_descriptor.hpp"
#include "core/native/layout.hpp"

namespace prevt::native {
namespace {

constexpr uint64_t kMod = 1ull << 32;

std::vector<uint64_t> boundary_values(const std::vector<uint64_t>& points) {
    std::vector<uint64_t> v;
    for (uint64_t p : points)
        for (int64_t d : {-4097, -4096, -2, -1, 0, 1, 2, 4095, 4096})
            v.push_back((p + kMod + d) % kMod);
    return v;
}

// Whether guest offset `o` of `s` is valid for the guest (SDM 5.3: limit checking).
bool guest_valid(const Segment& s, uint64_t o) {
    const bool expand_down = !(s.type & 8) && (s.type & 4);
    const uint64_t top = s.db ? 0xffffffffull : 0xffffull;
    if (o > top && expand_down) return false;
    return expand_down ? o > s.limit : o <= s.limit;
}

struct Case {
    uint64_t offset, ceiling;
};

void check(const Segment& s, const Case& c) {
    const HostDescriptor h = make_host_descriptor(7, s, c.offset, c.ceiling);
    const uint64_t window = std::min<uint64_t>(c.ceiling, kMonitorBase - c.offset);
    HostRange r;
    const bool any = host_range(h.desc, &r);
    SCOPED_TRACE(testing::Message()
                 << std::hex << "type " << int(s.type) << " db " << s.db << " base " << s.base
                 << " limit " << s.limit << " offset " << c.offset << " ceiling " << c.ceiling);
    ASSERT_EQ(any, !h.empty);
    if (!any) return;
    // Containment: one interval inside [offset, offset + window).
    ASSERT_FALSE(r.wraps);
    ASSERT_LE(r.first, r.last);
    ASSERT_GE(r.first, c.offset);
    ASSERT_LT(r.last, c.offset + window);
    ASSERT_LE(c.offset + window, kMonitorBase);
    // Subset of the guest segment: the host's first and last offsets are valid guest offsets
    // at the same linear addresses (host = guest linear + offset).
    const uint64_t host_base = h.desc.base_addr;
    ASSERT_EQ(host_base, (uint64_t(s.base) + c.offset) % kMod);
    const uint64_t o_first = (r.first - host_base + kMod) % kMod;
    const uint64_t o_last = (r.last - host_base + kMod) % kMod;
    ASSERT_TRUE(guest_valid(s, o_first));
    ASSERT_TRUE(guest_valid(s, o_last));
    // Same kind and size: the CPU applies the same checks.
    ASSERT_EQ(h.desc.seg_32bit, unsigned(s.db));
    ASSERT_EQ(h.desc.read_exec_only, unsigned(!(s.type & 2)));
    ASSERT_NE(h.desc.contents, 3u);  // conforming code: Linux refuses it in the LDT
}

void check_not_truncated(const Segment& s, const Case& c) {
    const HostDescriptor h = make_host_descriptor(7, s, c.offset, c.ceiling);
    HostRange r;
    ASSERT_TRUE(host_range(h.desc, &r));
    const bool expand_down = !(s.type & 8) && (s.type & 4);
    const uint64_t lo = expand_down ? s.limit + 1 : 0;
    const uint64_t hi = expand_down ? (s.db ? 0xffffffffull : 0xffff) : s.limit;
    EXPECT_EQ(r.first, s.base + c.offset + lo);
    EXPECT_EQ(r.last, s.base + c.offset + hi);
}

TEST(HostDescriptor, NoKindOfSegmentReachesTheMonitorArea) {
    const std::vector<Case> cases = {
        {0, kMonitorBase}, {kPageZeroOffset, kMonitorBase}, {kPageZeroOffset, 0xc0000000}};
    const std::vector<uint64_t> bases =
        boundary_values({0, kMonitorBase - kPageZeroOffset, kMonitorBase, 0xc0000000, 0xfffff000,
                         0x10000, 0x100000});
    std::vector<uint64_t> limits =
        boundary_values({0, 0xffff, 0xfffff, 0x100000, 0xc0000000, kMonitorBase, 0xffffffff});
    unsigned n = 0;
    for (uint8_t type = 0; type < 16; ++type)
        for (bool db : {false, true})
            for (uint64_t base : bases)
                for (uint64_t limit : limits)
                    for (const Case& c : cases) {
                        Segment s;
                        s.type = type;
                        s.db = db;
                        s.base = static_cast<uint32_t>(base);
                        s.limit = static_cast<uint32_t>(limit);
                        s.g = limit > 0xfffff;
                        check(s, c);
                        ++n;
                        if (testing::Test::HasFatalFailure()) return;
                    }
    EXPECT_GT(n, 100000u);
}

TEST(HostDescriptor, SegmentsInsideTheWindowAreNotTruncated) {
    Segment flat;  // a flat 32-bit data segment that ends below the window: reached whole
    flat.type = 3;
    flat.db = true;
    flat.base = 0x1000;
    flat.limit = 0x7fffffff;
    check_not_truncated(flat, {kPageZeroOffset, kMonitorBase});
    Segment stack = flat;  // an expand-down 16-bit stack at 1 MiB
    stack.type = 7;
    stack.db = false;
    stack.base = 0x100000;
    stack.limit = 0x0fff;
    check_not_truncated(stack, {kPageZeroOffset, kMonitorBase});
}

TEST(HostDescriptor, TheFoundAttacksGetNothing) {
    // An expand-down data segment with limit 0: all of 4 GiB but offset 0 in the guest.
    Segment down;
    down.type = 7;
    down.db = true;
    down.base = 0;
    down.limit = 0;
    HostDescriptor h = make_host_descriptor(1, down, kPageZeroOffset, kMonitorBase);
    EXPECT_TRUE(h.empty);
    // A one-byte expand-up segment based on the far pointer's page.
    Segment byte;
    byte.type = 3;
    byte.db = true;
    byte.base = static_cast<uint32_t>(kMonitorBase - kPageZeroOffset + 0x100c);
    byte.limit = 0;
    h = make_host_descriptor(1, byte, kPageZeroOffset, kMonitorBase);
    EXPECT_TRUE(h.empty);
    // A conforming code segment based in the monitor area: not entered at all.
    Segment code = byte;
    code.type = 0xe;
    code.base = static_cast<uint32_t>(kMonitorBase + 0x100c);
    h = make_host_descriptor(1, code, 0, kMonitorBase);
    EXPECT_TRUE(h.empty);
    HostRange r;
    EXPECT_FALSE(host_range(h.desc, &r));
}

}  // namespace
}  // namespace prevt::native
