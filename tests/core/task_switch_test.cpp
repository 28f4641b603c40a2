// Hardware task switching on the virtual CPU (core/emulate/task_switch.cpp, SDM vol. 3A 7.3):
// a far call to a TSS and the iret (NT) back, a far jmp through a task gate, an exception
// through an IDT task gate with its error code, and the faults of busy and bad TSSs.
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/interrupts.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTssA = 0x3000, kTssB = 0x3100;
constexpr uint32_t kCode = 0x10000, kTaskCode = 0x20000, kStack = 0x9000, kTaskStack = 0xa000;
constexpr uint16_t kSelA = 0x18, kSelB = 0x20, kGateB = 0x28, kCr3 = 0x5000;

// A 32-bit TSS descriptor (type 9 available, 11 busy), limit 0x67.
void tss_descriptor(uint32_t base, uint8_t type, uint32_t out[2]) {
    out[0] = (base << 16) | 0x67;
    out[1] = (base & 0xff000000) | ((base >> 16) & 0xff) | 0x8000u | (uint32_t(type) << 8);
}

class TaskSwitchTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    TaskSwitchTest() : VirtualCpuRig(4 << 20) {
        uint32_t gdt[12] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        tss_descriptor(kTssA, 0xb, &gdt[6]);  // 0x18: the current task (busy)
        tss_descriptor(kTssB, 0x9, &gdt[8]);  // 0x20: another task, available
        gdt[10] = uint32_t(kSelB) << 16;      // 0x28: a task gate to 0x20
        gdt[11] = 0x8500;
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, kStack);
        s.idtr = {kIdt, 0x7ff};
        s.eip = kCode;
        Descriptor a;
        a.lo = gdt[6], a.hi = gdt[7];
        s.tr = a.to_segment(kSelA);
        s.tr.type = 0xb;
        // Task B's TSS: CR3, EIP, EFLAGS (IF), registers, flat segments.
        ram.write(kTssB + 0x1c, 4, kCr3);
        ram.write(kTssB + 0x20, 4, kTaskCode);
        ram.write(kTssB + 0x24, 4, eflags::kFixed1 | eflags::IF);
        for (int i = 0; i < 8; ++i) ram.write(kTssB + 0x28 + 4 * i, 4, 0xb0 + i);
        ram.write(kTssB + 0x38, 4, kTaskStack);  // ESP
        for (int i = 0; i < 6; ++i) ram.write(kTssB + 0x48 + 4 * i, 2, i == 1 ? 0x08 : 0x10);
        for (int i = 0; i < 8; ++i) s.gpr[i] = i == esp ? kStack : 0xa0 + i;
    }
    Outcome run(std::vector<uint8_t> bytes) {
        ram.write_bytes(s.eip, bytes.data(), bytes.size());
        return execute(cpu, decode_at(cpu, s.eip));
    }
    // call/jmp far ptr16:32 (opcode 0x9a / 0xea) to `selector`.
    std::vector<uint8_t> far(uint8_t opcode, uint16_t selector) {
        return {opcode, 0, 0, 0, 0, uint8_t(selector), uint8_t(selector >> 8)};
    }
    bool busy(uint16_t selector) { return ram.read(kGdt + selector + 4, 4) & (2u << 8); }
};

TEST_F(TaskSwitchTest, FarCallToTssNestsAndIretReturns) {
    ASSERT_EQ(run(far(0x9a, kSelB)), Outcome::kDone);
    // The new task: its state loaded, TR and the busy bits, the link, NT, CR0.TS.
    EXPECT_EQ(s.tr.selector, kSelB);
    EXPECT_EQ(s.eip, kTaskCode);
    EXPECT_EQ(s.gpr[eax], 0xb0u);
    EXPECT_EQ(s.gpr[esp], kTaskStack);
    EXPECT_TRUE(s.eflags & eflags::NT);
    EXPECT_TRUE(s.eflags & eflags::IF);
    EXPECT_TRUE(s.cr0 & cr0::TS);
    EXPECT_EQ(s.cr3, 0u) << "CR3 is loaded only with paging on";
    EXPECT_TRUE(busy(kSelA));
    EXPECT_TRUE(busy(kSelB));
    EXPECT_EQ(ram.read(kTssB, 2), kSelA);
    // The old task's state in its TSS: EIP after the call, the registers, the selectors.
    EXPECT_EQ(ram.read(kTssA + 0x20, 4), kCode + 7);
    EXPECT_EQ(ram.read(kTssA + 0x28, 4), 0xa0u);
    EXPECT_EQ(ram.read(kTssA + 0x38, 4), kStack);
    EXPECT_EQ(ram.read(kTssA + 0x4c, 2), 0x08u);
    // iret with NT: back to the task in the link field, B no longer busy, NT cleared in its
    // saved EFLAGS.
    s.gpr[eax] = 0x1234;
    ASSERT_EQ(run({0xcf}), Outcome::kDone);
    EXPECT_EQ(s.tr.selector, kSelA);
    EXPECT_EQ(s.eip, kCode + 7);
    EXPECT_EQ(s.gpr[eax], 0xa0u);
    EXPECT_EQ(s.gpr[esp], kStack);
    EXPECT_FALSE(s.eflags & eflags::NT);
    EXPECT_TRUE(busy(kSelA));
    EXPECT_FALSE(busy(kSelB));
    EXPECT_EQ(ram.read(kTssB + 0x28, 4), 0x1234u);
    EXPECT_FALSE(ram.read(kTssB + 0x24, 4) & eflags::NT);
    EXPECT_EQ(ram.read(kTssB + 0x20, 4), kTaskCode + 1);
}

TEST_F(TaskSwitchTest, FarJmpThroughTaskGateDoesNotNest) {
    s.cr0 |= cr0::PG;  // (the rig's memory is flat: only CR3's load is looked at)
    ASSERT_EQ(run(far(0xea, kGateB)), Outcome::kDone);
    EXPECT_EQ(s.tr.selector, kSelB);
    EXPECT_EQ(s.eip, kTaskCode);
    EXPECT_EQ(s.cr3, kCr3);
    EXPECT_FALSE(s.eflags & eflags::NT);
    EXPECT_FALSE(busy(kSelA));
    EXPECT_TRUE(busy(kSelB));
    EXPECT_EQ(ram.read(kTssB, 2), 0u) << "a jmp writes no link";
}

TEST_F(TaskSwitchTest, ExceptionThroughIdtTaskGatePushesItsErrorCode) {
    ram.write(kIdt + 13 * 8, 4, uint32_t(kSelB) << 16);
    ram.write(kIdt + 13 * 8 + 4, 4, 0x8500);
    deliver_event(cpu, Event{vec::GP, EventSource::kException, true, 0x1234, kCode});
    EXPECT_EQ(s.tr.selector, kSelB);
    EXPECT_EQ(s.eip, kTaskCode);
    EXPECT_EQ(s.gpr[esp], kTaskStack - 4);
    EXPECT_EQ(ram.read(kTaskStack - 4, 4), 0x1234u);
    EXPECT_EQ(ram.read(kTssA + 0x20, 4), kCode) << "the faulting instruction is saved";
    EXPECT_TRUE(s.eflags & eflags::NT);
    EXPECT_EQ(ram.read(kTssB, 2), kSelA);
}

TEST_F(TaskSwitchTest, BusyTargetIsGeneralProtection) {
    try {
        run(far(0xea, kSelA));  // the current task: busy
        FAIL() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
        EXPECT_EQ(f.error, kSelA);
    }
    EXPECT_EQ(s.tr.selector, kSelA);
    EXPECT_EQ(s.eip, kCode);
}

TEST_F(TaskSwitchTest, IretToATaskNotBusyIsInvalidTss) {
    s.eflags |= eflags::NT;
    ram.write(kTssA, 2, kSelB);  // a link to an available TSS
    try {
        run({0xcf});
        FAIL() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::TS);
        EXPECT_EQ(f.error, kSelB);
    }
    EXPECT_EQ(s.tr.selector, kSelA);
}

TEST_F(TaskSwitchTest, BadCodeSegmentFaultsInTheNewTask) {
    ram.write(kTssB + 0x4c, 2, 0x10);  // CS: a data segment
    try {
        run(far(0x9a, kSelB));
        FAIL() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::TS);
        EXPECT_EQ(f.error, 0x10u);
    }
    EXPECT_EQ(s.tr.selector, kSelB) << "after the commit point";
    EXPECT_EQ(s.eip, kTaskCode);
}

TEST_F(TaskSwitchTest, TssBelowMinimumLimitIsInvalidTss) {
    ram.write(kGdt + kSelB, 2, 0x20);  // limit 0x20 < 0x67
    try {
        run(far(0x9a, kSelB));
        FAIL() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::TS);
        EXPECT_EQ(f.error, kSelB);
    }
    EXPECT_EQ(s.tr.selector, kSelA);
    EXPECT_FALSE(busy(kSelB));
}

TEST_F(TaskSwitchTest, IretClearsNmiBlocking) {
    s.nmi_blocked = true;
    ASSERT_EQ(run(far(0x9a, kSelB)), Outcome::kDone);
    EXPECT_TRUE(s.nmi_blocked);
    ASSERT_EQ(run({0xcf}), Outcome::kDone);
    EXPECT_FALSE(s.nmi_blocked);
}

// The 32-bit TSS's I/O permission bitmap (io.cpp) at CPL > IOPL: a clear bit allows the
// port, a set one or a port beyond the TSS limit is #GP(0).
TEST_F(TaskSwitchTest, IoBitmapOfTheCurrentTssDecidesAtCplAboveIopl) {
    constexpr uint32_t kMap = 0x68, kMapBytes = 0x20;  // ports 0-255
    ram.write(kTssA + 0x66, 2, kMap);
    for (uint32_t i = 0; i < kMapBytes + 1; ++i)
        ram.write(kTssA + kMap + i, 1, i == kMapBytes ? 0xff : 0);
    ram.write(kTssA + kMap + 0x81 / 8, 1, 1u << (0x81 % 8));  // port 0x81 denied
    s.tr.limit = kMap + kMapBytes;                            // the map and its 0xff byte
    s.set_cpl(3);
    auto in_port = [&](uint8_t port) {
        s.eip = kCode;
        try {
            run({0xe4, port});  // in $port, %al
        } catch (const GuestFault& f) {
            return int(f.vector) << 16 | int(f.error);
        }
        return -1;
    };
    EXPECT_EQ(in_port(0x80), -1);
    EXPECT_EQ(in_port(0x81), int(vec::GP) << 16);
    EXPECT_EQ(in_port(0xff), -1);
    s.tr.limit = kMap + 0x10;  // ports from 0x80 lie beyond the limit
    EXPECT_EQ(in_port(0x80), int(vec::GP) << 16);
    EXPECT_EQ(in_port(0x10), -1);
    s.eflags |= eflags::IOPL;  // CPL <= IOPL: no bitmap
    EXPECT_EQ(in_port(0x81), -1);
}

TEST_F(TaskSwitchTest, TheTBitTrapsWithBtAndTheLocalEnablesGo) {
    ram.write(kTssB + 0x64, 2, 1);  // T
    s.dr7 = 0x400 | 0xff;           // L0-L3 and G0-G3
    s.dr6 = 0xffff0ff0;
    try {
        run(far(0xea, kSelB));
        FAIL() << "no #DB";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::DB);
    }
    EXPECT_EQ(s.tr.selector, kSelB);  // a trap: the switch is done, EIP the new task's
    EXPECT_EQ(s.eip, kTaskCode);
    EXPECT_TRUE(s.dr6 & (1u << 15));  // BT
    EXPECT_EQ(s.dr7, 0x400u | 0xaa);  // the G bits stay
}

}  // namespace
}  // namespace prevt
