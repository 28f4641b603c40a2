// Conditional branches on the virtual CPU (core/emulate/branches.cpp), as bt calls them out
// when their target lies beyond CS's limit: the condition from EFLAGS, loop's counter, the
// #GP(0) of a taken branch beyond the limit with nothing changed (ECX included).
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/linear_memory.hpp"
#include "core/guest_memory.hpp"
#include "devices/bus.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kCode = 0x10000;

class BranchTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    BranchTest() : VirtualCpuRig(1 << 20) {
        s.cr0 = cr0::PE | cr0::ET;
        Segment& cs = s.sreg(SegReg::cs);
        cs.selector = 0x08;
        cs.type = 0xb;
        cs.db = true;
        cs.limit = kCode + 0xff;  // a non-flat code segment: 0x100 bytes from kCode
        for (SegReg r : {SegReg::ds, SegReg::es, SegReg::ss}) {
            s.sreg(r).type = 3;
            s.sreg(r).db = true;
            s.sreg(r).limit = 0xffffffff;
        }
        s.eip = kCode;
    }
    Outcome run(std::vector<uint8_t> bytes) {
        ram.write_bytes(s.eip, bytes.data(), bytes.size());
        return execute(cpu, decode_at(cpu, s.eip));
    }
};

TEST_F(BranchTest, JccFollowsTheFlags) {
    s.eflags = eflags::kFixed1 | eflags::ZF;
    EXPECT_EQ(run({0x74, 0x10}), Outcome::kDone);  // jz +0x10: taken
    EXPECT_EQ(s.eip, kCode + 0x12);
    s.eip = kCode;
    EXPECT_EQ(run({0x7c, 0x10}), Outcome::kDone);  // jl: SF == OF, not taken
    EXPECT_EQ(s.eip, kCode + 2);
    s.eip = kCode;
    s.eflags = eflags::kFixed1 | eflags::SF;
    EXPECT_EQ(run({0x7e, 0x10}), Outcome::kDone);  // jle: SF != OF, taken
    EXPECT_EQ(s.eip, kCode + 0x12);
}

TEST_F(BranchTest, ATakenBranchBeyondTheLimitIsGpAndChangesNothing) {
    s.eflags = eflags::kFixed1 | eflags::ZF;
    s.gpr[ecx] = 5;
    try {
        run({0x0f, 0x84, 0x00, 0x01, 0x00, 0x00});  // jz +0x100: beyond the limit
        FAIL() << "no #GP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
        EXPECT_EQ(f.error, 0u);
    }
    EXPECT_EQ(s.eip, kCode);
    try {
        run({0xe2, 0x7f});  // loop +0x7f: taken (ecx 5 -> 4), target kCode + 0x81 ... fits
    } catch (const GuestFault&) {
        FAIL() << "within the limit";
    }
    EXPECT_EQ(s.gpr[ecx], 4u);
    s.eip = kCode + 0x80;
    try {
        run({0xe2, 0x7f});  // target kCode + 0x101: beyond
        FAIL() << "no #GP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
    }
    EXPECT_EQ(s.gpr[ecx], 4u);   // a fault changes nothing
    s.eflags = eflags::kFixed1;  // not taken: no check
    EXPECT_EQ(run({0x74, 0x7f}), Outcome::kDone);
    EXPECT_EQ(s.eip, kCode + 0x82);
}

TEST_F(BranchTest, LoopCountsDownAndJcxzTests) {
    s.gpr[ecx] = 1;
    EXPECT_EQ(run({0xe2, 0x10}), Outcome::kDone);  // loop: ecx 1 -> 0, not taken
    EXPECT_EQ(s.gpr[ecx], 0u);
    EXPECT_EQ(s.eip, kCode + 2);
    s.eip = kCode;
    EXPECT_EQ(run({0xe3, 0x10}), Outcome::kDone);  // jecxz: taken
    EXPECT_EQ(s.eip, kCode + 0x12);
    s.eip = kCode;
    s.gpr[ecx] = 0x10002;
    EXPECT_EQ(run({0x67, 0xe2, 0x10}), Outcome::kDone);  // loop with cx: 2 -> 1, taken
    EXPECT_EQ(s.gpr[ecx], 0x10001u);
    EXPECT_EQ(s.eip, kCode + 0x13);
}

}  // namespace
}  // namespace prevt
