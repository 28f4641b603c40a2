// The virtual CPU's data breakpoints (DR7 kinds 01 and 11, core/emulate/debug_registers.hpp,
// Cpu::note_data_access): which accesses hit which DRn, one rep iteration per hit, what the
// fetch and faulting accesses do not hit; DR7.GD; the watched pages an engine keeps from
// native accesses; pusha/popa/leave, which a watched stack sends to the virtual CPU.
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/debug_registers.hpp"
#include "core/emulate/execute.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000, kStack = 0x9000, kData = 0x20000;
constexpr uint32_t kWrite = 1, kReadWrite = 3, kLen1 = 0, kLen2 = 1, kLen8 = 2, kLen4 = 3;

// DR7 bits for breakpoint n: G n, its kind and length.
constexpr uint32_t bp(unsigned n, uint32_t kind, uint32_t len) {
    return (2u << (2 * n)) | (((len << 2) | kind) << (16 + 4 * n));
}

class DataBreakpointTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    DataBreakpointTest() : VirtualCpuRig(4 << 20) {
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, kStack);
        s.eip = kCode;
    }
    Outcome run(std::vector<uint8_t> bytes) {
        ram.write_bytes(s.eip, bytes.data(), bytes.size());
        return execute(cpu, decode_at(cpu, s.eip));
    }
    uint8_t hits(uint32_t linear, unsigned len, bool write) const {
        return dr7::data_hits(s.dr, s.dr7, linear, len, write);
    }
};

TEST_F(DataBreakpointTest, KindsLengthsAndOverlap) {
    s.dr = {kData, kData + 0x21, kData + 0x43, kData + 0x85};  // (low bits ignored by length)
    s.dr7 = 0x400 | bp(0, kWrite, kLen1) | bp(1, kWrite, kLen2) | bp(2, kReadWrite, kLen4) |
            bp(3, kWrite, kLen8);
    EXPECT_EQ(hits(kData, 1, true), 1);
    EXPECT_EQ(hits(kData, 1, false), 0);  // a read: not a write breakpoint's
    EXPECT_EQ(hits(kData + 1, 1, true), 0);
    EXPECT_EQ(hits(kData - 3, 4, true), 1);  // straddles into it
    EXPECT_EQ(hits(kData + 0x20, 1, true), 2);
    EXPECT_EQ(hits(kData + 0x22, 2, true), 0);
    EXPECT_EQ(hits(kData + 0x40, 1, false), 4);  // kind 11: reads too, 0x40-0x43
    EXPECT_EQ(hits(kData + 0x44, 4, false), 0);
    EXPECT_EQ(hits(kData + 0x87, 1, true), 8);  // LEN 10: 8 bytes, 0x80-0x87
    EXPECT_EQ(hits(kData + 0x88, 1, true), 0);
    EXPECT_EQ(hits(kData - 2, 0x30, true), 1 | 2);  // (a long access: all it covers)
    s.dr7 = 0x400 | (bp(0, kWrite, kLen1) & ~3u);   // disabled: no B bit (as QEMU)
    EXPECT_EQ(hits(kData, 1, true), 0);
    s.dr = {0xfffffffc, 0, 0, 0};
    s.dr7 = 0x400 | bp(0, kReadWrite, kLen4);
    EXPECT_EQ(hits(0xfffffffe, 4, false), 1);  // wraps at 4 GiB
}

TEST_F(DataBreakpointTest, EmulatedAccessesRecordTheirHitsNotTheFetch) {
    s.dr = {kData, kCode, 0, 0};
    s.dr7 = 0x400 | bp(0, kWrite, kLen4) | bp(1, kReadWrite, kLen4);
    s.gpr[ebx] = kData;
    run({0x8b, 0x03});           // mov (%ebx),%eax: a read of a write breakpoint's bytes
    EXPECT_EQ(s.debug_trap, 0);  // (nor is the fetch at kCode a data access)
    s.eip = kCode;
    run({0x89, 0x43, 0x02});  // mov %eax,2(%ebx)
    EXPECT_EQ(s.debug_trap, 1);
    s.debug_trap = 0;
    s.eip = kCode;
    s.gpr[esp] = kData + 4;
    run({0x6a, 0x07});  // push $7: onto the watched word
    EXPECT_EQ(s.debug_trap, 1);
    EXPECT_EQ(ram.read(kData, 4), 7u);
}

TEST_F(DataBreakpointTest, RepStopsAfterTheIterationThatHit) {
    s.dr = {kData + 8, 0, 0, 0};
    s.dr7 = 0x400 | bp(0, kWrite, kLen4);
    s.gpr[edi] = kData;
    s.gpr[ecx] = 6;
    s.gpr[eax] = 0x11;
    EXPECT_EQ(run({0xf3, 0xab}), Outcome::kDone);  // rep stosl
    EXPECT_EQ(s.debug_trap, 1);
    EXPECT_EQ(s.gpr[ecx], 3u);  // three iterations: the third wrote kData + 8
    EXPECT_EQ(s.eip, kCode);    // still on the instruction: the #DB trap comes first
    s.debug_trap = 0;
    EXPECT_EQ(run({0xf3, 0xab}), Outcome::kDone);
    EXPECT_EQ(s.debug_trap, 0);
    EXPECT_EQ(s.gpr[ecx], 0u);
    EXPECT_EQ(s.eip, kCode + 2);
}

TEST_F(DataBreakpointTest, GeneralDetectFaultsTheNextMovDr) {
    s.dr7 = 0x400 | dr7::kGeneralDetect;
    s.dr6 = 0xffff0ff0;
    try {
        run({0x0f, 0x21, 0xc0});  // mov %dr0,%eax
        FAIL() << "no #DB";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::DB);
    }
    EXPECT_EQ(s.eip, kCode);  // a fault: before it
    EXPECT_TRUE(s.dr6 & dr7::kDr6Bd);
    EXPECT_FALSE(s.dr7 & dr7::kGeneralDetect);
    s.dr[0] = 0x1234;
    EXPECT_EQ(run({0x0f, 0x21, 0xc0}), Outcome::kDone);  // GD clear: the mov runs
    EXPECT_EQ(s.gpr[eax], 0x1234u);
    s.set_cpl(3);  // the CPL's #GP comes before GD
    s.dr7 |= dr7::kGeneralDetect;
    s.eip = kCode;
    try {
        run({0x0f, 0x21, 0xc0});
        FAIL() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
    }
}

TEST_F(DataBreakpointTest, WatchedPagesFollowTheEnabledDataBreakpoints) {
    s.dr = {kData + 0x10, kData + 0x20, kCode, kData + 0x1ffc};
    s.dr7 = bp(0, kWrite, kLen1) | bp(1, kReadWrite, kLen2) | bp(2, 0, kLen1) |
            (bp(3, kReadWrite, kLen4) & ~0xc0u);  // execute and disabled ones: no page
    const auto pages = dr7::watched_pages(s.dr, s.dr7);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_TRUE(pages.at(kData));  // kind 11 on it: reads too
}

TEST_F(DataBreakpointTest, PushaPopaAndLeave) {
    for (unsigned r = 0; r < 8; ++r) s.gpr[r] = 0x100 * (r + 1);
    s.gpr[esp] = kStack;
    EXPECT_EQ(run({0x60}), Outcome::kDone);  // pushad
    EXPECT_EQ(s.gpr[esp], kStack - 32);
    EXPECT_EQ(ram.read(kStack - 4, 4), 0x100u);   // eax first
    EXPECT_EQ(ram.read(kStack - 20, 4), kStack);  // the ESP before it
    EXPECT_EQ(ram.read(kStack - 32, 4), 0x800u);  // edi last
    for (unsigned r = 0; r < 8; ++r)
        if (r != esp) s.gpr[r] = 0;
    EXPECT_EQ(run({0x61}), Outcome::kDone);  // popad
    EXPECT_EQ(s.gpr[eax], 0x100u);
    EXPECT_EQ(s.gpr[edi], 0x800u);
    EXPECT_EQ(s.gpr[esp], kStack);
    ram.write(kStack - 8, 4, 0xabcd);
    s.gpr[ebp] = kStack - 8;
    s.gpr[esp] = kStack - 64;
    EXPECT_EQ(run({0xc9}), Outcome::kDone);  // leave
    EXPECT_EQ(s.gpr[ebp], 0xabcdu);
    EXPECT_EQ(s.gpr[esp], kStack - 4);
}

}  // namespace
}  // namespace prevt
