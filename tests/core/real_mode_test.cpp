// Real mode on the virtual CPU (docs/real-mode.md): CR0.PE cleared only for an engine that
// runs real mode (the others stop the guest with one line), segment loads that set only the
// selector and base (the hidden limit stays: unreal mode), int n through the IVT and iret,
// far transfers, and CR0.PE set again with lmsw.
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "core/errors.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

struct RealModeHooks : CpuHooks {
    bool supports_real_mode() const override { return true; }
};

constexpr uint32_t kGdt = 0x1000, kCode = 0x8000, kStack = 0x9000;

class RealModeTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    RealModeTest() : VirtualCpuRig(2 << 20) {
        const uint32_t gdt[] = {0,          0,            // null
                                0x0000ffff, 0x00009b00,   // 0x08 16-bit code, base 0, 64 KiB
                                0x0000ffff, 0x00cf9300};  // 0x10 flat 32-bit data
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, kStack);
        s.sreg(SegReg::cs).db = false;
        s.eip = kCode;
    }
    Outcome run(Cpu& on, std::vector<uint8_t> bytes) {
        ram.write_bytes(on.s.sreg(SegReg::cs).base + on.s.eip, bytes.data(), bytes.size());
        return execute(on, decode_at(on, on.s.eip));
    }
    // mov %cr0,%eax; and $~1,%eax (done here); mov %eax,%cr0 — 16-bit code, 0x66 forms.
    void leave_protected_mode(Cpu& on) {
        s.gpr[eax] = s.cr0 & ~cr0::PE;
        run(on, {0x0f, 0x22, 0xc0});
    }
    RealModeHooks real_hooks;
    Cpu real_cpu{s, mem, ports, real_hooks};
};

TEST_F(RealModeTest, AnEngineWithoutRealModeStopsTheGuestAtTheCr0Write) {
    s.gpr[eax] = s.cr0 & ~cr0::PE;
    EXPECT_THROW(run(cpu, {0x0f, 0x22, 0xc0}), GuestError);
    EXPECT_TRUE(s.protected_mode());
}

TEST_F(RealModeTest, SegmentLoadsSetSelectorAndBaseOnly) {
    leave_protected_mode(real_cpu);
    ASSERT_FALSE(s.protected_mode());
    EXPECT_EQ(s.cpl(), 0u);
    EXPECT_EQ(s.sreg(SegReg::ds).base, 0u);  // stale until loaded again
    s.gpr[eax] = 0x1234;
    run(real_cpu, {0x8e, 0xd8});  // mov %ax,%ds
    EXPECT_EQ(s.sreg(SegReg::ds).selector, 0x1234);
    EXPECT_EQ(s.sreg(SegReg::ds).base, 0x12340u);
    EXPECT_EQ(s.sreg(SegReg::ds).limit, 0xffffffffu);  // unreal: the flat limit stays
    s.gpr[eax] = 0;
    run(real_cpu, {0x8e, 0xc0});  // mov %ax,%es: selector 0 is a segment, not null
    EXPECT_TRUE(s.sreg(SegReg::es).present);
    EXPECT_EQ(s.sreg(SegReg::es).base, 0u);
}

TEST_F(RealModeTest, IntThroughTheIvtAndIret) {
    leave_protected_mode(real_cpu);
    s.idtr = {0, 0x3ff};
    s.gpr[eax] = 0;
    run(real_cpu, {0x8e, 0xd0});  // mov %ax,%ss (base 0; its B bit stays: 32-bit stack)
    s.sreg(SegReg::ss).db = false;
    s.gpr[esp] = 0x7000;
    ram.write(0x21 * 4, 4, 0x0700'0020);  // vector 0x21 -> 0700:0020
    s.eflags |= eflags::IF;
    const uint32_t at = s.eip;
    run(real_cpu, {0xcd, 0x21});  // int $0x21
    EXPECT_EQ(s.sreg(SegReg::cs).base, 0x7000u);
    EXPECT_EQ(s.eip, 0x20u);
    EXPECT_FALSE(s.eflags & eflags::IF);
    EXPECT_EQ(s.gpr[esp], 0x7000u - 6);
    EXPECT_EQ(ram.read(0x7000 - 6, 2), (at + 2) & 0xffff);  // IP, CS, FLAGS
    EXPECT_EQ(ram.read(0x7000 - 4, 2), 0x08u);  // CS: the protected-mode selector it still holds
    EXPECT_TRUE(ram.read(0x7000 - 2, 2) & eflags::IF);
    run(real_cpu, {0xcf});  // iret
    EXPECT_EQ(s.eip, (at + 2) & 0xffff);
    EXPECT_TRUE(s.eflags & eflags::IF);
    EXPECT_EQ(s.gpr[esp], 0x7000u);
}

// kvm-unit-tests' realmode.flat irets with 0xffc18028 ORed into the frame's flags: the
// reserved bits must not load (its later sahf and DAS tests read bits 3 and 5 back).
TEST_F(RealModeTest, IretLoadsNoReservedFlag) {
    leave_protected_mode(real_cpu);
    s.gpr[eax] = 0;
    run(real_cpu, {0x8e, 0xd0});  // mov %ax,%ss
    s.sreg(SegReg::ss).db = false;
    for (unsigned operand_size : {4u, 2u}) {
        s.gpr[esp] = 0x7000 - 3 * operand_size;
        ram.write(0x7000 - 3 * operand_size, operand_size, 0x0100);        // IP
        ram.write(0x7000 - 2 * operand_size, operand_size, 0);             // CS
        ram.write(0x7000 - operand_size, operand_size, 0xffc18028 | 0x1);  // FLAGS
        s.eip = kCode;
        if (operand_size == 4)
            run(real_cpu, {0x66, 0xcf});  // iretl
        else
            run(real_cpu, {0xcf});  // iret
        EXPECT_EQ(s.eip, 0x100u);
        EXPECT_EQ(s.eflags & 0xffc0802a, 0x2u) << "reserved bits, operand size " << operand_size;
        EXPECT_TRUE(s.eflags & eflags::CF);
    }
}

TEST_F(RealModeTest, FarJumpThenLmswEntersProtectedModeWithTheRealModeCache) {
    leave_protected_mode(real_cpu);
    run(real_cpu, {0xea, 0x00, 0x01, 0x00, 0x20});  // ljmp $0x2000,$0x0100
    EXPECT_EQ(s.sreg(SegReg::cs).selector, 0x2000);
    EXPECT_EQ(s.sreg(SegReg::cs).base, 0x20000u);
    EXPECT_EQ(s.eip, 0x100u);
    s.gpr[eax] = 1;
    run(real_cpu, {0x0f, 0x01, 0xf0});  // lmsw %ax: sets PE
    EXPECT_TRUE(s.protected_mode());
    EXPECT_EQ(s.sreg(SegReg::cs).base, 0x20000u);  // until the far jump reloads CS
    EXPECT_EQ(s.cpl(), 0u);
    s.gpr[eax] = 0;
    run(real_cpu, {0x0f, 0x01, 0xf0});  // lmsw cannot clear PE
    EXPECT_TRUE(s.protected_mode());
}

}  // namespace
}  // namespace prevt
