// The kvm engine: VcpuState <-> kvm_regs/kvm_sregs conversion (no /dev/kvm needed), and a
// few guest runs through KvmEngine that check the exit mapping and the register write-back
// (skipped without a usable /dev/kvm; where the host cannot run something, the host-limit
// answer is what is checked).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "core/emulate/execute.hpp"
#include "core/engines/kvm_engine.hpp"

namespace prevt {
namespace {

VcpuState flat_state(uint32_t eip) {
    VcpuState s;
    s.sreg(SegReg::cs) = Segment::flat(0x08, 0xb);
    for (SegReg r : {SegReg::ds, SegReg::es, SegReg::fs, SegReg::gs, SegReg::ss})
        s.sreg(r) = Segment::flat(0x10, 0x3);
    s.ldtr.present = false;
    s.tr = Segment{};
    s.tr.type = 0xb;
    s.tr.s = false;
    s.gdtr = {0x8000, 0x17};
    s.idtr = {0, 0x3ff};
    s.cr0 = cr0::PE | cr0::ET;
    s.eip = eip;
    s.gpr[esp] = 0x9000;
    return s;
}

TEST(kvm, StateRoundTrip) {
    VcpuState s = flat_state(0x12345678);
    for (int i = 0; i < 8; ++i) s.gpr[i] = 0x11111111u * (i + 1);
    s.eflags = eflags::kFixed1 | eflags::CF | eflags::ZF | eflags::IF | eflags::DF;
    s.sreg(SegReg::fs) = Segment{0x2b, 0x40000, 0xfff, 0x3, true, 3, true, false, false, true};
    s.sreg(SegReg::gs).present = false;  // a null selector: unusable
    s.sreg(SegReg::gs).selector = 0;
    s.ldtr = Segment{0x30, 0x5000, 0x7f, 0x2, false, 0, true, false, false, false};
    s.tr = Segment{0x38, 0x6000, 0x67, 0xb, false, 0, true, false, false, false};
    s.gdtr = {0x1000, 0x3f};
    s.idtr = {0x2000, 0x7ff};
    s.cr0 = cr0::PE | cr0::ET | cr0::WP | cr0::NE;
    s.cr2 = 0xdeadbeef, s.cr3 = 0x7000, s.cr4 = cr4::PSE;

    kvm_regs r{};
    kvm_sregs sr{};
    sr.apic_base = 0xfee00900;  // KVM's own fields survive
    kvm_state::to_kvm(s, r);
    kvm_state::to_kvm(s, sr);
    EXPECT_EQ(sr.apic_base, 0xfee00900u);
    EXPECT_EQ(sr.efer, 0u);
    EXPECT_EQ(r.rip, 0x12345678u);
    EXPECT_EQ(r.rbx, 0x44444444u);
    EXPECT_EQ(sr.cs.limit, 0xffffffffu);
    EXPECT_EQ(sr.cs.g, 1);
    EXPECT_EQ(sr.fs.dpl, 3);
    EXPECT_EQ(sr.fs.unusable, 0);
    EXPECT_EQ(sr.gs.unusable, 1);
    EXPECT_EQ(sr.ldt.type, 2);
    EXPECT_EQ(sr.tr.type, 11);
    EXPECT_EQ(sr.tr.s, 0);

    VcpuState back;
    kvm_state::from_kvm(r, sr, back);
    EXPECT_TRUE(kvm_state::same_regs(s, back));
    EXPECT_TRUE(kvm_state::same_sregs(s, back));
    EXPECT_EQ(back.sreg(SegReg::fs).base, 0x40000u);
    EXPECT_EQ(back.sreg(SegReg::fs).avl, true);
    EXPECT_EQ(back.cr2, 0xdeadbeefu);
}

TEST(kvm, FixesWhatVtxWouldRefuse) {
    VcpuState s = flat_state(0);
    s.sreg(SegReg::ds).limit = 0x1234;  // byte granular, but G set by hand
    s.sreg(SegReg::ds).g = true;
    s.sreg(SegReg::es).limit = 0x1fffff;  // above 1 MiB, G clear
    s.sreg(SegReg::es).g = false;
    s.ldtr = Segment{};  // selector 0, "present" by default: no LDT
    s.tr = Segment{};    // not a TSS: VT-x wants a busy TSS
    kvm_sregs sr{};
    kvm_state::to_kvm(s, sr);
    EXPECT_EQ(sr.ds.g, 0);
    EXPECT_EQ(sr.es.g, 1);
    EXPECT_EQ(sr.ldt.unusable, 1);
    EXPECT_EQ(sr.tr.type, 11);
    EXPECT_EQ(sr.tr.s, 0);
    EXPECT_EQ(sr.tr.present, 1);
}

TEST(kvm, ComparisonSeesEveryField) {
    const VcpuState a = flat_state(0x1000);
    VcpuState b = a;
    EXPECT_TRUE(kvm_state::same_regs(a, b) && kvm_state::same_sregs(a, b));
    b.gpr[edi] = 1;
    EXPECT_FALSE(kvm_state::same_regs(a, b));
    b = a, b.eflags |= eflags::IF;
    EXPECT_FALSE(kvm_state::same_regs(a, b));
    b = a, b.sreg(SegReg::ss).dpl = 3;
    EXPECT_FALSE(kvm_state::same_sregs(a, b));
    b = a, b.tr.base = 0x100;
    EXPECT_FALSE(kvm_state::same_sregs(a, b));
    b = a, b.idtr.limit = 0;
    EXPECT_FALSE(kvm_state::same_sregs(a, b));
    b = a, b.cr3 = 0x1000;
    EXPECT_FALSE(kvm_state::same_sregs(a, b));
}

// Guest runs ---------------------------------------------------------------------------------

bool kvm_usable() {
    const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    close(fd);
    return true;
}

constexpr uint32_t kCode = 0x1000;

class KvmRun {
public:
    explicit KvmRun(std::initializer_list<uint8_t> code, const CpuProfile& p = default_profile())
        : ram(4 << 20), engine(ram, p, /*quiet=*/true) {
        const std::vector<uint8_t> bytes(code);
        ram.write_bytes(kCode, bytes.data(), bytes.size());
        const uint32_t gdt[6] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        ram.write_bytes(0x8000, gdt, sizeof gdt);
    }
    GuestMemory ram;
    KvmEngine engine;
    VcpuState s = flat_state(kCode);
};

#define REQUIRE_KVM() \
    if (!kvm_usable()) GTEST_SKIP() << "no usable /dev/kvm"

// KVM_SET_CPUID2 takes every profile's leaves (it refuses, for one, a CPUID.80000008 with a
// 32-bit linear width), and the guest reads them: leaf 0 and the brand string (kvm-pvm answers
// leaf 1's feature words with the host's: docs/kvm-engine.md).
TEST(kvm, EveryProfileIsTakenByKvmSetCpuid2) {
    REQUIRE_KVM();
    for (const CpuProfile* p : kCpuProfiles) {
        for (uint32_t leaf : {0u, 0x80000002u}) {
            KvmRun k({0x0f, 0xa2, 0xf4}, *p);  // cpuid; hlt
            bool taken = false;
            for (const auto& [name, value] : k.engine.counters())
                if (name == "KVM_SET_CPUID2 took prevt's profile") taken = value == 1;
            EXPECT_TRUE(taken) << p->name;
            k.s.gpr[eax] = leaf;
            k.s.gpr[ecx] = 0;
            ASSERT_EQ(k.engine.run(k.s).reason, ExitReason::kHalt) << p->name;
            uint32_t want[4];
            cpuid(leaf, 0, want, *p);
            EXPECT_EQ(k.s.gpr[eax], want[0]) << p->name << " leaf " << std::hex << leaf;
            EXPECT_EQ(k.s.gpr[ebx], want[1]) << p->name << " leaf " << std::hex << leaf;
        }
    }
}

TEST(kvm, PortIoExitsAndRegisterWriteBack) {
    REQUIRE_KVM();
    KvmRun k({0xb0, 0x41,  // mov $0x41, %al
              0xe6, 0x80,  // out %al, $0x80
              0xe4, 0x80,  // in $0x80, %al
              0xe6, 0x81,  // out %al, $0x81      (the value prevt gave the in)
              0x88, 0xd8,  // mov %bl, %al
              0xe6, 0x82,  // out %al, $0x82      (EBX as prevt rewrote it)
              0xf4});      // hlt
    Exit x = k.engine.run(k.s);
    ASSERT_EQ(x.reason, ExitReason::kIo);
    EXPECT_EQ(x.port, 0x80);
    EXPECT_EQ(x.size, 1);
    EXPECT_TRUE(x.write);
    EXPECT_EQ(x.count, 1u);
    EXPECT_EQ(x.data[0], 0x41);
    x = k.engine.run(k.s);
    ASSERT_EQ(x.reason, ExitReason::kIo);
    EXPECT_EQ(x.port, 0x80);
    EXPECT_FALSE(x.write);
    x.data[0] = 0x5a;
    x = k.engine.run(k.s);
    ASSERT_EQ(x.reason, ExitReason::kIo);
    EXPECT_EQ(x.port, 0x81);
    EXPECT_EQ(x.data[0], 0x5a);
    k.s.gpr[ebx] = 0x77;  // the run loop changed a register: the engine must write it back
    x = k.engine.run(k.s);
    ASSERT_EQ(x.reason, ExitReason::kIo);
    EXPECT_EQ(x.port, 0x82);
    EXPECT_EQ(x.data[0], 0x77);
    x = k.engine.run(k.s);
    EXPECT_EQ(x.reason, ExitReason::kHalt);
    EXPECT_EQ(k.s.eip, kCode + 13);
    EXPECT_EQ(k.s.gpr[eax] & 0xff, 0x77u);
}

TEST(kvm, TripleFaultIsShutdown) {
    REQUIRE_KVM();
    KvmRun k({0x0f, 0x0b});  // ud2, with an empty IDT: #UD -> #GP -> #DF -> shutdown
    k.s.idtr = {0, 0};
    const Exit x = k.engine.run(k.s);
    if (x.reason == ExitReason::kHostLimit) GTEST_SKIP() << x.detail;
    EXPECT_EQ(x.reason, ExitReason::kShutdown);
}

TEST(kvm, PagingRunsOrIsAHostLimit) {
    REQUIRE_KVM();
    KvmRun k({0x0f, 0x20, 0xe0,              // mov %cr4, %eax
              0x83, 0xc8, 0x10,              // or $0x10, %eax (PSE)
              0x0f, 0x22, 0xe0,              // mov %eax, %cr4
              0xb8, 0x00, 0x20, 0x00, 0x00,  // mov $0x2000, %eax
              0x0f, 0x22, 0xd8,              // mov %eax, %cr3
              0x0f, 0x20, 0xc0,              // mov %cr0, %eax
              0x0d, 0x00, 0x00, 0x00, 0x80,  // or $0x80000000, %eax
              0x0f, 0x22, 0xc0,              // mov %eax, %cr0
              0xe6, 0x80,                    // out %al, $0x80
              0xf4});
    const uint32_t pde = 0x83;  // one 4 MiB identity page, present, writable
    k.ram.write_bytes(0x2000, &pde, 4);
    const Exit x = k.engine.run(k.s);
    if (k.engine.hardware_virtualization()) {
        EXPECT_EQ(x.reason, ExitReason::kIo) << x.detail;
        EXPECT_TRUE(k.s.paging());
    } else {
        ASSERT_EQ(x.reason, ExitReason::kHostLimit);
        EXPECT_NE(std::string(x.detail).find("cannot run 32-bit paging"), std::string::npos)
            << x.detail;
    }
}

TEST(kvm, UnemulatedInstructionIsAHostLimit) {
    REQUIRE_KVM();
    KvmRun k({0xb9, 0x08, 0x00, 0x00, 0x00,  // mov $0x08, %ecx
              0x0f, 0x02, 0xc1,              // lar %ecx, %eax
              0xf4});
    const Exit x = k.engine.run(k.s);
    if (x.reason == ExitReason::kHalt) {  // hardware (or a fuller emulator) ran it
        EXPECT_EQ(k.s.gpr[eax], 0x00c09b00u);
        return;
    }
    ASSERT_EQ(x.reason, ExitReason::kHostLimit);
    const std::string detail = x.detail;
    EXPECT_NE(detail.find("0008:00001005: 0f 02 c1 (lar"), std::string::npos) << detail;
    EXPECT_NE(detail.find("suberror"), std::string::npos) << detail;
}

}  // namespace
}  // namespace prevt
