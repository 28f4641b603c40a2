// The virtual CPU's ordinary instructions (core/emulate/ordinary.cpp) on byte strings: memory
// operands read and written through the flat guest memory, and every arithmetic flag as the
// SDM defines it for the operation, including the ones that stay (inc keeps CF).
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "devices/bus.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000, kData = 0x5000;
constexpr uint32_t CF = eflags::CF, PF = eflags::PF, AF = eflags::AF, ZF = eflags::ZF,
                   SF = eflags::SF, OF = eflags::OF;
constexpr uint32_t kArith = CF | PF | AF | ZF | SF | OF;

class OrdinaryTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    OrdinaryTest() : VirtualCpuRig(1 << 20) {
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, 0x9000);
        s.eflags = eflags::kFixed1;
    }
    // Runs the bytes at kCode with `flags` as the arithmetic flags; returns them afterwards.
    uint32_t run(std::vector<uint8_t> bytes, uint32_t flags = 0) {
        s.eip = kCode;
        s.eflags = eflags::kFixed1 | flags;
        ram.write_bytes(kCode, bytes.data(), bytes.size());
        EXPECT_EQ(execute(cpu, decode_at(cpu, kCode)), Outcome::kDone);
        EXPECT_EQ(s.eip, kCode + bytes.size());
        return s.eflags & kArith;
    }
    uint32_t data(unsigned len = 4) { return ram.read(kData, len); }
    void set_data(uint32_t v, unsigned len = 4) { ram.write(kData, len, v); }
};

TEST_F(OrdinaryTest, AddSetsOverflowSignAuxiliaryParity) {
    set_data(0x7fffffff);
    s.gpr[eax] = 1;
    EXPECT_EQ(run({0x01, 0x05, 0x00, 0x50, 0x00, 0x00}), OF | SF | AF | PF);  // add %eax,mem
    EXPECT_EQ(data(), 0x80000000u);
}

TEST_F(OrdinaryTest, ByteSubtractBorrows) {
    set_data(0x12345600);
    EXPECT_EQ(run({0x80, 0x2d, 0x00, 0x50, 0x00, 0x00, 0x01}), CF | SF | AF | PF);  // subb $1
    EXPECT_EQ(data(), 0x123456ffu);  // only the byte changed
}

TEST_F(OrdinaryTest, CompareWritesNothing) {
    set_data(0xabcd1234);
    s.gpr[eax] = 0x1234;
    EXPECT_EQ(run({0x66, 0x39, 0x05, 0x00, 0x50, 0x00, 0x00}), ZF | PF);  // cmp %ax,mem
    EXPECT_EQ(data(), 0xabcd1234u);
}

TEST_F(OrdinaryTest, IncKeepsCarryAdcUsesIt) {
    set_data(0xffffffff);
    EXPECT_EQ(run({0xff, 0x05, 0x00, 0x50, 0x00, 0x00}, CF), CF | ZF | AF | PF);  // incl
    EXPECT_EQ(data(), 0u);
    s.gpr[eax] = 1;
    EXPECT_EQ(run({0x11, 0x05, 0x00, 0x50, 0x00, 0x00}, CF), 0u);  // adc %eax,mem: 0+1+1
    EXPECT_EQ(data(), 2u);
}

TEST_F(OrdinaryTest, ShiftsByClAndByOne) {
    set_data(0x80000001);
    s.gpr[ecx] = 1;
    EXPECT_EQ(run({0xd3, 0x25, 0x00, 0x50, 0x00, 0x00}) & (CF | OF | ZF | SF), CF | OF);
    EXPECT_EQ(data(), 2u);
    EXPECT_EQ(run({0xd1, 0x2d, 0x00, 0x50, 0x00, 0x00}) & (CF | ZF), 0u);  // shrl $1
    EXPECT_EQ(data(), 1u);
    s.gpr[ecx] = 0;  // a zero count changes no flag
    EXPECT_EQ(run({0xd3, 0x25, 0x00, 0x50, 0x00, 0x00}, CF | ZF), CF | ZF);
}

TEST_F(OrdinaryTest, MovesExtendAndExchange) {
    set_data(0x80);
    run({0x0f, 0xb6, 0x05, 0x00, 0x50, 0x00, 0x00});  // movzbl mem,%eax
    EXPECT_EQ(s.gpr[eax], 0x80u);
    run({0x0f, 0xbe, 0x05, 0x00, 0x50, 0x00, 0x00});  // movsbl mem,%eax
    EXPECT_EQ(s.gpr[eax], 0xffffff80u);
    run({0xc7, 0x05, 0x00, 0x50, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12});  // movl $imm,mem
    EXPECT_EQ(data(), 0x12345678u);
    s.gpr[ebx] = 7;
    run({0x87, 0x1d, 0x00, 0x50, 0x00, 0x00});  // xchg %ebx,mem
    EXPECT_EQ(s.gpr[ebx], 0x12345678u);
    EXPECT_EQ(data(), 7u);
}

TEST_F(OrdinaryTest, SegmentLimitsStillApply) {
    s.sreg(SegReg::ds).limit = 0x4fff;  // the operand lies beyond DS
    s.eip = kCode;
    const std::vector<uint8_t> b = {0xff, 0x05, 0x00, 0x50, 0x00, 0x00};
    ram.write_bytes(kCode, b.data(), b.size());
    try {
        execute(cpu, decode_at(cpu, kCode));
        FAIL() << "no #GP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
    }
}

// A read-modify-write whose store faults leaves the flags as they were (SDM vol. 3 6.6): the
// read through cs: succeeds, the store through the code segment is #GP(0).
TEST_F(OrdinaryTest, FaultingStoreChangesNoFlag) {
    set_data(0x7fffffff);
    s.gpr[eax] = 1;
    s.eip = kCode;
    s.eflags = eflags::kFixed1 | CF | ZF;
    const std::vector<uint8_t> b = {0x2e, 0x01, 0x05, 0x00, 0x50, 0x00, 0x00};  // add %eax,%cs:m
    ram.write_bytes(kCode, b.data(), b.size());
    try {
        execute(cpu, decode_at(cpu, kCode));
        FAIL() << "no #GP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
    }
    EXPECT_EQ(s.eflags & kArith, CF | ZF);
    EXPECT_EQ(s.eip, kCode);
    EXPECT_EQ(data(), 0x7fffffffu);
}

}  // namespace
}  // namespace prevt
