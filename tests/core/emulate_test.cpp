// The virtual CPU's emulation on byte strings: instructions placed in guest memory, decoded
// with Zydis, executed on a VcpuState; interrupt delivery and segment checks per the SDM.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/interrupts.hpp"
#include "devices/bus.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

class Latch : public devices::IoDevice {
public:
    std::string_view name() const override { return "latch"; }
    uint32_t read(uint64_t, unsigned) override { return 0x5a; }
    void write(uint64_t, unsigned, uint32_t v) override { written.push_back(v); }
    std::vector<uint32_t> written;
};

constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kCode = 0x10000, kStack = 0x9000;

class EmulateTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    EmulateTest() : VirtualCpuRig(4 << 20) {
        ports.attach(0x80, 1, latch);
        const uint32_t gdt[] = {0,          0,          0x0000ffff, 0x00cf9b00,  // 0x08 code
                                0x0000ffff, 0x00cf9300,                          // 0x10 data
                                0x0000ffff, 0x00cf1300,                          // 0x18 not present
                                0x0000ffff, 0x00cffb00,                          // 0x20 code DPL3
                                0x0000ffff, 0x00cff300};                         // 0x28 data DPL3
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, kStack);
        s.idtr = {kIdt, 0x7ff};
        s.eip = kCode;
    }
    void set_gate(uint8_t v, uint32_t offset, uint8_t type, unsigned dpl = 0, bool p = true) {
        const uint32_t lo = (0x08u << 16) | (offset & 0xffff);
        const uint32_t hi = (offset & 0xffff0000) | (p ? 0x8000u : 0) | (dpl << 13) | (type << 8);
        ram.write(kIdt + v * 8, 4, lo);
        ram.write(kIdt + v * 8 + 4, 4, hi);
    }
    Outcome run(std::vector<uint8_t> bytes) {
        ram.write_bytes(s.eip, bytes.data(), bytes.size());
        return execute(cpu, decode_at(cpu, s.eip));
    }
    uint32_t stack(unsigned i) { return ram.read(s.gpr[esp] + 4 * i, 4); }

    Latch latch;
};

TEST_F(EmulateTest, CliStiChangeOnlyTheVirtualIf) {
    s.eflags = eflags::kFixed1 | eflags::IF | eflags::CF;
    EXPECT_EQ(run({0xfa}), Outcome::kDone);
    EXPECT_EQ(s.eflags, eflags::kFixed1 | eflags::CF);
    EXPECT_EQ(s.eip, kCode + 1);
    EXPECT_EQ(run({0xfb}), Outcome::kDone);
    EXPECT_TRUE(s.eflags & eflags::IF);
}

TEST_F(EmulateTest, OutAndInReachTheBus) {
    s.gpr[eax] = 0x1234;
    run({0xe6, 0x80});  // out %al,$0x80
    ASSERT_EQ(latch.written.size(), 1u);
    EXPECT_EQ(latch.written[0], 0x34u);
    s.gpr[edx] = 0x80;
    run({0xec});  // in (%dx),%al
    EXPECT_EQ(s.gpr[eax], 0x125au);
    s.gpr[edx] = 0x2f0;
    run({0xed});  // in (%dx),%eax from an unassigned port
    EXPECT_EQ(s.gpr[eax], 0xffffffffu);
}

TEST_F(EmulateTest, RepOutsbWritesEveryByteAndCountsDown) {
    ram.write_bytes(0x5000, "abc", 3);
    s.gpr[esi] = 0x5000;
    s.gpr[ecx] = 3;
    s.gpr[edx] = 0x80;
    run({0xf3, 0x6e});  // rep outsb
    EXPECT_EQ(latch.written, (std::vector<uint32_t>{'a', 'b', 'c'}));
    EXPECT_EQ(s.gpr[ecx], 0u);
    EXPECT_EQ(s.gpr[esi], 0x5003u);
}

TEST_F(EmulateTest, MovToSegmentChecksTheDescriptor) {
    s.gpr[eax] = 0x18;  // not present
    try {
        run({0x8e, 0xd8});  // mov %eax,%ds
        FAIL() << "expected #NP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::NP);
        EXPECT_EQ(f.error, 0x18u);
    }
    s.gpr[eax] = 0x80;  // beyond the GDT limit
    EXPECT_THROW(run({0x8e, 0xd8}), GuestFault);
    s.gpr[eax] = 0x10;
    run({0x8e, 0xd8});
    EXPECT_EQ(s.sreg(SegReg::ds).selector, 0x10);
    s.gpr[eax] = 0;
    try {
        run({0x8e, 0xd0});  // mov %eax,%ss with null
        FAIL() << "expected #GP(0)";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
        EXPECT_EQ(f.error, 0u);
    }
}

TEST_F(EmulateTest, IntThroughInterruptGatePushesFrameAndClearsIf) {
    set_gate(0x40, 0x30000, 0xe);
    s.eflags = eflags::kFixed1 | eflags::IF;
    run({0xcd, 0x40});
    EXPECT_EQ(s.eip, 0x30000u);
    EXPECT_EQ(s.gpr[esp], kStack - 12);
    EXPECT_EQ(stack(0), kCode + 2);  // return EIP
    EXPECT_EQ(stack(1), 0x08u);      // CS
    EXPECT_TRUE(stack(2) & eflags::IF);
    EXPECT_FALSE(s.eflags & eflags::IF);
    // iret restores it
    s.eip = 0x30000;
    run({0xcf});
    EXPECT_EQ(s.eip, kCode + 2);
    EXPECT_TRUE(s.eflags & eflags::IF);
    EXPECT_EQ(s.gpr[esp], kStack);
}

TEST_F(EmulateTest, TrapGateKeepsIf) {
    set_gate(0x41, 0x30000, 0xf);
    s.eflags = eflags::kFixed1 | eflags::IF;
    run({0xcd, 0x41});
    EXPECT_TRUE(s.eflags & eflags::IF);
}

TEST_F(EmulateTest, NotPresentGateIsNpWithIdtErrorCode) {
    set_gate(0x42, 0x30000, 0xe, 0, false);
    try {
        deliver_event(cpu, Event{0x42, EventSource::kException, false, 0, kCode});
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::NP);
        EXPECT_EQ(f.error, 0x42u * 8 + 2 + 1);  // IDT bit and EXT
    }
}

TEST_F(EmulateTest, ErrorCodeIsPushedForGp) {
    set_gate(13, 0x31000, 0xe);
    deliver_event(cpu, Event{13, EventSource::kException, true, 0x18, kCode});
    EXPECT_EQ(stack(0), 0x18u);
    EXPECT_EQ(stack(1), kCode);
}

TEST_F(EmulateTest, IntFromRing3ToDpl0GateIsGp) {
    set_gate(0x30, 0x30000, 0xe, 0);
    Descriptor d;
    d.lo = 0x0000ffff, d.hi = 0x00cffb00;
    s.sreg(SegReg::cs) = d.to_segment(0x23);
    s.set_cpl(3);  // (as the far transfer that loaded it would)
    try {
        run({0xcd, 0x30});
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
        EXPECT_EQ(f.error, 0x30u * 8 + 2);
    }
}

// CPL is what the last CS load set, not CS.RPL: right after CR0.PE is set, CS still holds a
// real-mode selector (here one with low bits 3) and CPL is 0 until the far jump.
TEST_F(EmulateTest, CplIsStateNotTheSelectorsLowBits) {
    s.sreg(SegReg::cs).selector = 0x000b;
    EXPECT_EQ(s.cpl(), 0u);
    run({0x0f, 0x20, 0xc0});  // mov %cr0,%eax: privileged, allowed at CPL 0
    EXPECT_EQ(s.gpr[eax], s.cr0);
    s.eflags |= eflags::VM;  // virtual-8086 mode is CPL 3 whatever CS holds
    EXPECT_EQ(s.cpl(), 3u);
    s.eflags &= ~eflags::VM;
    s.set_cpl(3);
    s.cr0 &= ~cr0::PE;  // real mode is CPL 0
    EXPECT_EQ(s.cpl(), 0u);
    s.cr0 |= cr0::PE;
    s.sreg(SegReg::cs).selector = 0x08;
    s.set_cpl(0);
    run({0x9a, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00});  // lcall $0x08,$0x40000: CPL 0 again
    EXPECT_EQ(s.cpl(), 0u);
}

TEST_F(EmulateTest, DoubleFaultTable) {
    EXPECT_TRUE(makes_double_fault(vec::GP, vec::NP));
    EXPECT_TRUE(makes_double_fault(vec::PF, vec::PF));
    EXPECT_FALSE(makes_double_fault(vec::UD, vec::GP));
    EXPECT_FALSE(makes_double_fault(vec::BP, vec::GP));
}

TEST_F(EmulateTest, FarCallAndReturn) {
    run({0x9a, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00});  // lcall $0x08,$0x40000
    EXPECT_EQ(s.eip, 0x40000u);
    EXPECT_EQ(stack(0), kCode + 7);
    EXPECT_EQ(stack(1), 0x08u);
    run({0xcb});  // lret
    EXPECT_EQ(s.eip, kCode + 7);
    EXPECT_EQ(s.gpr[esp], kStack);
}

TEST_F(EmulateTest, ControlRegistersAndMsrs) {
    s.gpr[eax] = cr0::PE | cr0::TS;
    run({0x0f, 0x22, 0xc0});  // mov %eax,%cr0
    EXPECT_EQ(s.cr0, cr0::PE | cr0::TS | cr0::ET);
    run({0x0f, 0x06});  // clts
    EXPECT_FALSE(s.cr0 & cr0::TS);
    s.gpr[ecx] = 0x174;
    s.gpr[eax] = 0x10;
    s.gpr[edx] = 0;
    run({0x0f, 0x30});  // wrmsr
    EXPECT_EQ(s.msr.sysenter_cs, 0x10u);
    s.gpr[ecx] = 0x12345678;
    EXPECT_THROW(run({0x0f, 0x32}), GuestFault);  // rdmsr of an unknown MSR
    s.gpr[eax] = 0x200;                           // CR4.OSFXSR is fine, PAE is not
    run({0x0f, 0x22, 0xe0});
    EXPECT_EQ(s.cr4, 0x200u);
    s.gpr[eax] = cr4::PAE;
    EXPECT_THROW(run({0x0f, 0x22, 0xe0}), GuestFault);
}

TEST_F(EmulateTest, PrivilegedInstructionsAtRing3AreGp) {
    Descriptor d;
    d.lo = 0x0000ffff, d.hi = 0x00cffb00;
    s.sreg(SegReg::cs) = d.to_segment(0x23);
    s.set_cpl(3);  // (as the far transfer that loaded it would)
    for (auto bytes : std::vector<std::vector<uint8_t>>{
             {0xf4}, {0x0f, 0x22, 0xc0}, {0x0f, 0x30}, {0xfa}, {0xe4, 0x80}}) {
        s.eip = kCode;
        EXPECT_THROW(run(bytes), GuestFault);
    }
}

TEST_F(EmulateTest, CpuidReportsTheDefaultProfile) {
    s.gpr[eax] = 0;
    run({0x0f, 0xa2});
    char vendor[13] = {};
    memcpy(vendor, &s.gpr[ebx], 4);
    memcpy(vendor + 4, &s.gpr[edx], 4);
    memcpy(vendor + 8, &s.gpr[ecx], 4);
    EXPECT_STREQ(vendor, "GenuineIntel");
    s.gpr[eax] = 1;
    run({0x0f, 0xa2});
    EXPECT_EQ(s.gpr[edx], default_profile().edx);
    EXPECT_FALSE(s.gpr[edx] & (1u << 6)) << "PAE must not be advertised";
}

}  // namespace
}  // namespace prevt
