// The MSRs each CPU profile implies, through rdmsr/wrmsr on the virtual CPU: the microcode
// revision dance Linux does (write 0, cpuid leaf 1, read), IA32_PLATFORM_ID read-only,
// IA32_MISC_ENABLE's writable, read-only and reserved bits (and its absence on a P6), the
// "limit CPUID maxval" bit reaching cpuid, EFER and IA32_TSC_AUX (max only) with RDTSCP and
// RDPID, and #GP for what no profile has (IA32_APIC_BASE without the local APIC, the MTRRs,
// PAT, the performance counters).
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/msrs.hpp"
#include "core/errors.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000;

class MsrTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    MsrTest() : VirtualCpuRig(1 << 20) {
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, 0x9000);
    }
    // Runs the bytes at kCode; returns the vector raised, or -1.
    int run(std::vector<uint8_t> bytes) {
        s.eip = kCode;
        ram.write_bytes(kCode, bytes.data(), bytes.size());
        try {
            execute(cpu, decode_at(cpu, kCode));
        } catch (const GuestFault& f) {
            return f.vector;
        }
        return -1;
    }
    int rdmsr(uint32_t index, uint64_t* value) {
        s.gpr[ecx] = index;
        const int v = run({0x0f, 0x32});
        *value = uint64_t(s.gpr[edx]) << 32 | s.gpr[eax];
        return v;
    }
    int wrmsr(uint32_t index, uint64_t value) {
        s.gpr[ecx] = index;
        s.gpr[eax] = static_cast<uint32_t>(value);
        s.gpr[edx] = static_cast<uint32_t>(value >> 32);
        return run({0x0f, 0x30});
    }
    void cpuid_leaf(uint32_t leaf) {
        s.gpr[eax] = leaf;
        s.gpr[ecx] = 0;
        ASSERT_EQ(run({0x0f, 0xa2}), -1);
    }
};

TEST_F(MsrTest, MicrocodeRevisionAfterWriteZeroAndCpuid) {
    uint64_t v = 0;
    EXPECT_EQ(rdmsr(msr::kBiosSignId, &v), -1);
    EXPECT_EQ(v, 0x20eull << 32) << "what the BIOS left: the revision";
    EXPECT_EQ(wrmsr(msr::kBiosSignId, 0), -1);
    EXPECT_EQ(rdmsr(msr::kBiosSignId, &v), -1);
    EXPECT_EQ(v, 0u) << "written, no cpuid yet";
    cpuid_leaf(0);
    EXPECT_EQ(rdmsr(msr::kBiosSignId, &v), -1);
    EXPECT_EQ(v, 0u) << "only leaf 1 loads the revision";
    cpuid_leaf(1);
    EXPECT_EQ(rdmsr(msr::kBiosSignId, &v), -1);
    EXPECT_EQ(v >> 32, 0x20eu);
    cpu.profile = &kPentium3;
    EXPECT_EQ(rdmsr(msr::kBiosSignId, &v), -1);
    EXPECT_EQ(v >> 32, kPentium3.microcode);
}

TEST_F(MsrTest, PlatformIdIsReadOnly) {
    uint64_t v = 0;
    EXPECT_EQ(rdmsr(msr::kPlatformId, &v), -1);
    EXPECT_EQ((v >> 50) & 7, 2u);
    EXPECT_EQ(wrmsr(msr::kPlatformId, 0), vec::GP);
}

TEST_F(MsrTest, MiscEnableBits) {
    uint64_t v = 0;
    EXPECT_EQ(rdmsr(msr::kMiscEnable, &v), -1);
    EXPECT_EQ(v, 0x1801u) << "fast strings; BTS and PEBS unavailable; no perfmon";
    // kvm-unit-tests' msr test: every writable bit, the read-only ones as read.
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 0x400c50809ull | 0x1800), -1);
    EXPECT_EQ(rdmsr(msr::kMiscEnable, &v), -1);
    EXPECT_EQ(v, 0x400c51809ull);
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1ull << 1), vec::GP) << "reserved bit";
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1ull << 40), vec::GP) << "reserved bit";
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1ull << 7), -1) << "read-only: ignored";
    EXPECT_EQ(rdmsr(msr::kMiscEnable, &v), -1);
    EXPECT_EQ(v, 0x1800u);
}

TEST_F(MsrTest, MiscEnableLimitsCpuid) {
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1ull << 22 | 1), -1);
    cpuid_leaf(0);
    EXPECT_EQ(s.gpr[eax], 2u);
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1), -1);  // what Linux does on an Intel part
    cpuid_leaf(0);
    EXPECT_EQ(s.gpr[eax], 0xau);
}

TEST_F(MsrTest, APentiumIIIHasNoMiscEnable) {
    cpu.profile = &kPentium3;
    uint64_t v = 0;
    EXPECT_EQ(rdmsr(msr::kMiscEnable, &v), vec::GP);
    EXPECT_EQ(wrmsr(msr::kMiscEnable, 1), vec::GP);
}

TEST_F(MsrTest, WhatNoProfileImpliesIsGp) {
    for (const CpuProfile* p : kCpuProfiles) {
        cpu.profile = p;
        for (uint32_t index : {0x1bu,           // IA32_APIC_BASE (with the local APIC)
                               0xfeu, 0x2ffu,   // MTRRCAP, MTRR_DEF_TYPE: no MTRR
                               0x277u,          // PAT
                               0x179u,          // MCG_CAP: no MCE
                               0xc1u, 0x186u,   // PERFCTR0, EVNTSEL0: no PMU
                               0x38fu,          // PERF_GLOBAL_CTRL
                               0xc0010000u}) {  // AMD's performance counters
            uint64_t v = 0;
            EXPECT_EQ(rdmsr(index, &v), vec::GP) << p->name << " " << std::hex << index;
            EXPECT_EQ(wrmsr(index, 0), vec::GP) << p->name << " " << std::hex << index;
        }
    }
}

TEST_F(MsrTest, SysenterAndTscRemainOnEveryProfile) {
    for (const CpuProfile* p : kCpuProfiles) {
        cpu.profile = p;
        uint64_t v = 0;
        EXPECT_EQ(wrmsr(msr::kSysenterEip, 0x12345678), -1);
        EXPECT_EQ(rdmsr(msr::kSysenterEip, &v), -1);
        EXPECT_EQ(v, 0x12345678u);
        EXPECT_EQ(rdmsr(msr::kTsc, &v), -1) << p->name;
    }
}

// EFER exists on max only, reading 0: none of its bits is implemented, so writing any is #GP.
TEST_F(MsrTest, EferOnMaxReadsZeroAndTakesOnlyZero) {
    uint64_t v = 1;
    cpu.profile = &kMax;
    EXPECT_EQ(rdmsr(msr::kEfer, &v), -1);
    EXPECT_EQ(v, 0u);
    EXPECT_EQ(wrmsr(msr::kEfer, 0), -1);
    for (uint64_t bit : {1ull << 0, 1ull << 8, 1ull << 11})  // SCE, LME, NXE
        EXPECT_EQ(wrmsr(msr::kEfer, bit), vec::GP) << bit;
    for (const CpuProfile* p : {&kN270, &kPentium3}) {
        cpu.profile = p;
        EXPECT_EQ(rdmsr(msr::kEfer, &v), vec::GP) << p->name;
        EXPECT_EQ(wrmsr(msr::kEfer, 0), vec::GP) << p->name;
    }
}

// IA32_TSC_AUX (max: RDTSCP and RDPID) and the instructions that read it; #UD and #GP on the
// profiles without them.
TEST_F(MsrTest, TscAuxReachesRdtscpAndRdpid) {
    cpu.profile = &kMax;
    EXPECT_EQ(wrmsr(msr::kTscAux, 0x1234), -1);
    EXPECT_EQ(wrmsr(msr::kTscAux, 1ull << 32), vec::GP) << "the high half is reserved";
    uint64_t v = 0;
    EXPECT_EQ(rdmsr(msr::kTscAux, &v), -1);
    EXPECT_EQ(v, 0x1234u);
    s.gpr[ecx] = 0;
    EXPECT_EQ(run({0x0f, 0x01, 0xf9}), -1);  // rdtscp
    EXPECT_EQ(s.gpr[ecx], 0x1234u);
    EXPECT_EQ(run({0xf3, 0x0f, 0xc7, 0xfb}), -1);  // rdpid %ebx
    EXPECT_EQ(s.gpr[ebx], 0x1234u);
    cpu.profile = &kN270;
    EXPECT_EQ(rdmsr(msr::kTscAux, &v), vec::GP);
    EXPECT_EQ(run({0x0f, 0x01, 0xf9}), vec::UD);
    EXPECT_EQ(run({0xf3, 0x0f, 0xc7, 0xfb}), vec::UD);
}

// SMAP (max only): CR4.SMAP is writable and stac/clac set and clear AC at CPL 0; on a profile
// without SMAP the bit is reserved (#GP) and the instructions are #UD.
TEST_F(MsrTest, SmapsCr4BitAndStacClacFollowTheProfile) {
    const std::vector<uint8_t> stac = {0x0f, 0x01, 0xcb}, clac = {0x0f, 0x01, 0xca};
    const std::vector<uint8_t> mov_cr4_eax = {0x0f, 0x22, 0xe0};
    s.gpr[eax] = cr4::SMAP;
    EXPECT_EQ(run(mov_cr4_eax), vec::GP);
    EXPECT_EQ(run(stac), vec::UD);
    cpu.profile = &kMax;
    EXPECT_EQ(run(mov_cr4_eax), -1);
    EXPECT_EQ(s.cr4, cr4::SMAP);
    s.gpr[eax] = cr4::SMEP | cr4::SMAP;
    EXPECT_EQ(run(mov_cr4_eax), -1);
    EXPECT_EQ(s.cr4, cr4::SMEP | cr4::SMAP);
    EXPECT_EQ(run(stac), -1);
    EXPECT_TRUE(s.eflags & eflags::AC);
    EXPECT_EQ(run(clac), -1);
    EXPECT_FALSE(s.eflags & eflags::AC);
    s.set_cpl(3);
    EXPECT_EQ(run(stac), vec::UD) << "CPL 3";
}

}  // namespace
}  // namespace prevt
