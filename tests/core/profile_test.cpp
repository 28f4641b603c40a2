// The virtual CPU against the guest's CPU profile and control registers, on byte strings:
// instructions the profile does not offer raise #UD explicitly, per profile (n270, pentium3,
// max; their CPUID leaves: cpuid_test.cpp, their MSRs: msr_test.cpp); FPU control (CR0.TS/EM/MP,
// CR4.OSFXSR) raises #NM/#UD before the instruction; cs: data accesses use CS's descriptor
// (base, limit, readable bit; never writable); decoding reads page by page (no false #PF for a
// short instruction at the end of a page) and an instruction over 15 bytes is #GP(0).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/paged_memory.hpp"
#include "core/errors.hpp"
#include "devices/bus.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000, kData = 0x5000;

class ProfileTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    ProfileTest() : VirtualCpuRig(1 << 20) {
        // 0x08 code (base 0), 0x10 data, 0x18 code based at 0x20000, 0x20 execute-only code
        const uint32_t gdt[] = {0,          0,          0x0000ffff, 0x00cf9b00, 0x0000ffff,
                                0x00cf9300, 0x0000ffff, 0x00cf9b02, 0x0000ffff, 0x00cf9900};
        ram.write_bytes(kGdt, gdt, sizeof gdt);
        s.cr0 = cr0::PE | cr0::ET | cr0::MP | cr0::NE;
        s.cr4 = cr4::OSFXSR;
        s.gdtr = {kGdt, sizeof gdt - 1};
        data.lo = gdt[4], data.hi = gdt[5];
        for (SegReg r : {SegReg::ds, SegReg::es, SegReg::ss, SegReg::fs, SegReg::gs})
            s.sreg(r) = data.to_segment(0x10);
        set_cs(gdt[2], gdt[3], 0x08);
        s.gpr[esp] = 0x9000;
    }
    void set_cs(uint32_t lo, uint32_t hi, uint16_t sel) {
        Descriptor d;
        d.lo = lo, d.hi = hi;
        s.sreg(SegReg::cs) = d.to_segment(sel);
    }
    // Runs the bytes at CS:kCode; returns the vector raised, or -1.
    int run(std::vector<uint8_t> bytes) {
        s.eip = kCode;
        ram.write_bytes(s.sreg(SegReg::cs).base + kCode, bytes.data(), bytes.size());
        try {
            execute(cpu, decode_at(cpu, kCode));
        } catch (const GuestFault& f) {
            return f.vector;
        }
        return -1;
    }

    Descriptor data;
};

TEST_F(ProfileTest, InstructionsTheProfileDoesNotOfferAreUd) {
    EXPECT_EQ(run({0xf3, 0x0f, 0xb8, 0xc1}), vec::UD);  // popcnt
    EXPECT_EQ(run({0x0f, 0xc7, 0xf0}), vec::UD);        // rdrand
    EXPECT_EQ(run({0x0f, 0x01, 0xd0}), vec::UD);        // xgetbv
    EXPECT_EQ(run({0x0f, 0x01, 0xf9}), vec::UD);        // rdtscp
    EXPECT_EQ(run({0x0f, 0x01, 0xc1}), vec::UD);        // vmcall
    EXPECT_EQ(run({0xc5, 0xf8, 0x77}), vec::UD);        // vzeroupper
    EXPECT_EQ(run({0x0f, 0xae, 0x38}), vec::UD);        // clflush (no CLFSH)
    EXPECT_EQ(run({0x0f, 0x05}), vec::UD);              // syscall
    EXPECT_EQ(run({0x0f, 0xaa}), vec::UD);              // rsm
    EXPECT_EQ(run({0x0f, 0x1f, 0x00}), -1);             // a hint nop runs
    EXPECT_EQ(s.eip, kCode + 3);
}

TEST_F(ProfileTest, RdpmcReadsZeroAtCpl0) {
    s.gpr[ecx] = 1;
    s.gpr[eax] = s.gpr[edx] = 7;
    EXPECT_EQ(run({0x0f, 0x33}), -1);
    EXPECT_EQ(s.gpr[eax], 0u);
    s.gpr[ecx] = 2;
    EXPECT_EQ(run({0x0f, 0x33}), vec::GP);
}

TEST_F(ProfileTest, CpuidReportsTheProfile) {
    uint32_t r[4];
    cpuid(0, 0, r);
    EXPECT_EQ(r[0], default_profile().max_leaf);
    char vendor[13] = {};
    memcpy(vendor, &r[1], 4), memcpy(vendor + 4, &r[3], 4), memcpy(vendor + 8, &r[2], 4);
    EXPECT_STREQ(vendor, "GenuineIntel");
    cpuid(1, 0, r);
    EXPECT_EQ(r[0], 0x106c2u);
    EXPECT_EQ(r[3], 0x0780ab39u);
    EXPECT_EQ(r[2], 0x80000201u);
    s.gpr[eax] = 1;
    cpu.profile = &kPentium3;
    EXPECT_EQ(run({0x0f, 0xa2}), -1);  // the virtual CPU answers for its profile
    EXPECT_EQ(s.gpr[eax], 0x673u);
    EXPECT_EQ(s.gpr[edx], 0x0380ab39u);
}

// The same bytes under each profile: what the part lacks is #UD, what it has runs.
TEST_F(ProfileTest, EachProfileOffersItsOwnInstructions) {
    const std::vector<uint8_t> haddps = {0xf2, 0x0f, 0x7c, 0xc1}, pshufb = {0x0f, 0x38, 0x00, 0xc1},
                               paddq = {0x66, 0x0f, 0xd4, 0xc1}, lfence = {0x0f, 0xae, 0xe8},
                               addps = {0x0f, 0x58, 0xc1}, monitor = {0x0f, 0x01, 0xc8},
                               mwait = {0x0f, 0x01, 0xc9};
    s.gpr[ebx] = kData;
    const std::vector<uint8_t> fisttp = {0xdb, 0x0b};  // fisttp dword [ebx]
    for (const CpuProfile* p : {&kN270, &kMax}) {
        cpu.profile = p;
        EXPECT_EQ(run(haddps), -1) << p->name;
        EXPECT_EQ(run(pshufb), -1) << p->name;  // SSSE3 on MMX registers
        EXPECT_EQ(run(paddq), -1) << p->name;
        EXPECT_EQ(run(lfence), -1) << p->name;
        EXPECT_EQ(run(monitor), vec::UD) << p->name << ": MONITOR is never offered";
        EXPECT_EQ(run(mwait), vec::UD) << p->name;
    }
    cpu.profile = &kPentium3;
    EXPECT_EQ(run(addps), -1);
    EXPECT_EQ(run(haddps), vec::UD);
    EXPECT_EQ(run(pshufb), vec::UD);
    EXPECT_EQ(run(paddq), vec::UD);
    EXPECT_EQ(run(lfence), vec::UD);
    EXPECT_EQ(run(fisttp), vec::UD);
    // fisttp is x87 under CR0: #NM with TS, on a profile that has it.
    cpu.profile = &kN270;
    s.cr0 |= cr0::TS;
    EXPECT_EQ(run(fisttp), vec::NM);
    EXPECT_EQ(run(haddps), vec::NM);
}

TEST_F(ProfileTest, FpuControlFaults) {
    s.cr0 |= cr0::TS;
    EXPECT_EQ(run({0xd9, 0xe8}), vec::NM);        // fld1
    EXPECT_EQ(run({0x9b}), vec::NM);              // fwait: MP and TS
    EXPECT_EQ(run({0x0f, 0x77}), vec::NM);        // emms
    EXPECT_EQ(run({0x0f, 0x58, 0xc1}), vec::NM);  // addps
    EXPECT_EQ(run({0x0f, 0xae, 0x00}), vec::NM);  // fxsave
    s.cr0 &= ~cr0::TS;
    s.cr0 |= cr0::EM;
    EXPECT_EQ(run({0xd9, 0xe8}), vec::NM);        // fld1: #NM (emulate the FPU)
    EXPECT_EQ(run({0x0f, 0x77}), vec::UD);        // emms
    EXPECT_EQ(run({0x0f, 0x58, 0xc1}), vec::UD);  // addps
    s.cr0 &= ~cr0::EM;
    s.cr4 &= ~cr4::OSFXSR;
    EXPECT_EQ(run({0x0f, 0x58, 0xc1}), vec::UD);        // addps
    EXPECT_EQ(run({0x66, 0x0f, 0xef, 0xc0}), vec::UD);  // pxor xmm0 (SSE2)
    EXPECT_EQ(run({0x0f, 0xae, 0x10}), vec::UD);        // ldmxcsr
}

// SSE conversions with a memory source and a general-register destination have no XMM
// operand, yet they are SSE: #NM with TS, #UD with EM (the fuzzer found them copied under TS).
TEST_F(ProfileTest, FpuControlCoversSseConversionsToGeneralRegisters) {
    s.gpr[ebx] = 0x5000;
    s.cr0 |= cr0::TS;
    EXPECT_EQ(run({0xf2, 0x0f, 0x2c, 0x13}), vec::NM);  // cvttsd2si (%ebx),%edx
    EXPECT_EQ(run({0xf3, 0x0f, 0x2d, 0x03}), vec::NM);  // cvtss2si (%ebx),%eax
    s.cr0 &= ~cr0::TS;
    s.cr0 |= cr0::EM;
    EXPECT_EQ(run({0xf2, 0x0f, 0x2d, 0x13}), vec::UD);  // cvtsd2si (%ebx),%edx
    EXPECT_EQ(run({0xf3, 0x0f, 0x2c, 0x03}), vec::UD);  // cvttss2si (%ebx),%eax
}

TEST_F(ProfileTest, CsLoadsUseCsBaseAndStoresThroughCsAreGp) {
    set_cs(0x0000ffff, 0x00cf9b02, 0x18);  // code based at 0x20000
    ram.write(0x20000 + kData, 4, 0x12345678);
    ram.write(kData, 4, 0xdeadbeef);  // what a ds: load would read
    s.gpr[ebx] = kData;
    EXPECT_EQ(run({0x2e, 0x8b, 0x03}), -1);  // mov eax, cs:[ebx]
    EXPECT_EQ(s.gpr[eax], 0x12345678u);
    EXPECT_EQ(run({0x2e, 0x3b, 0x03}), -1);  // cmp eax, cs:[ebx]
    EXPECT_TRUE(s.eflags & eflags::ZF);
    EXPECT_EQ(run({0x2e, 0xff, 0x33}), -1);  // push cs:[ebx]
    EXPECT_EQ(ram.read(s.gpr[esp], 4), 0x12345678u);
    s.gpr[esi] = kData;
    EXPECT_EQ(run({0x2e, 0xac}), -1);  // lodsb cs:[esi]
    EXPECT_EQ(s.gpr[eax] & 0xff, 0x78u);
    EXPECT_EQ(s.gpr[esi], kData + 1);
    s.gpr[esi] = kData, s.gpr[edi] = 0x6000, s.gpr[ecx] = 4;
    EXPECT_EQ(run({0xf3, 0x2e, 0xa4}), -1);  // rep movsb es:[edi], cs:[esi]
    EXPECT_EQ(ram.read(0x6000, 4), 0x12345678u);
    EXPECT_EQ(s.gpr[ecx], 0u);
    s.gpr[ebx] = kData, s.gpr[eax] = 1;
    EXPECT_EQ(run({0x2e, 0xd7}), -1);  // xlat cs:[ebx]
    EXPECT_EQ(s.gpr[eax] & 0xff, 0x56u);
    s.gpr[ebx] = kData;
    EXPECT_EQ(run({0x2e, 0x89, 0x03}), vec::GP);  // mov cs:[ebx], eax: code is never writable
    EXPECT_EQ(ram.read(0x20000 + kData, 4), 0x12345678u);
    EXPECT_EQ(run({0x2e, 0xff, 0x23}), -1);  // jmp cs:[ebx]
    EXPECT_EQ(s.eip, 0x12345678u & 0xffffffffu);
}

TEST_F(ProfileTest, ExecuteOnlyCsReadsAreGpAndTheLimitHolds) {
    set_cs(0x0000ffff, 0x00cf9900, 0x20);  // execute-only
    s.gpr[ebx] = kData;
    EXPECT_EQ(run({0x2e, 0x8b, 0x03}), vec::GP);
    set_cs(0x0000ffff, 0x00409b00, 0x08);  // readable, byte-granular limit 0xffff
    s.gpr[ebx] = 0xfffe;
    EXPECT_EQ(run({0x2e, 0x8b, 0x03}), vec::GP);  // crosses the limit
}

// A cs: read of a form the virtual CPU has no emulation for is not emulated (bt copies such
// forms with CS as data in FS; after a native fault the run loop delivers that fault, and a
// callout of one stops the guest: run_loop.cpp), with nothing changed.
TEST_F(ProfileTest, CsReadsOfFormsTheVirtualCpuLacksAreNotEmulated) {
    s.gpr[ebx] = kData;
    s.gpr[eax] = 7;
    EXPECT_EQ(run({0x2e, 0x0f, 0xaf, 0x03}), -1);  // imul eax, cs:[ebx]: no fault, no change
    EXPECT_EQ(s.gpr[eax], 7u);
    EXPECT_EQ(s.eip, kCode);
}

// Forms the virtual CPU has no emulation for still fault as the CPU does when they store
// through cs: (a code segment is never writable): #GP(0), memory and flags unchanged.
TEST_F(ProfileTest, CsStoresOfUnemulatedFormsAreGp) {
    s.gpr[ebx] = kData;
    s.gpr[ecx] = 3;
    ram.write(0x20000 + kData, 4, 0x12345678);
    s.eflags = eflags::kFixed1 | eflags::CF;
    EXPECT_EQ(run({0x2e, 0x0f, 0xab, 0x0b}), vec::GP);        // bts cs:[ebx], ecx
    EXPECT_EQ(run({0x2e, 0x0f, 0xa4, 0x0b, 0x04}), vec::GP);  // shld cs:[ebx], ecx, 4
    EXPECT_EQ(run({0x2e, 0x0f, 0x94, 0x03}), vec::GP);        // sete cs:[ebx]
    EXPECT_EQ(run({0x2e, 0x0f, 0xc1, 0x0b}), vec::GP);        // xadd cs:[ebx], ecx
    EXPECT_EQ(run({0x2e, 0xd9, 0x1b}), vec::GP);              // fstp dword cs:[ebx]
    EXPECT_EQ(ram.read(0x20000 + kData, 4), 0x12345678u);
    EXPECT_EQ(s.eflags, eflags::kFixed1 | eflags::CF);
    EXPECT_EQ(s.gpr[ecx], 3u);
    EXPECT_EQ(run({0x2e, 0x0f, 0xa3, 0x0b}), -1);  // bt cs:[ebx], ecx: a read, not emulated
}

TEST_F(ProfileTest, InstructionsLongerThan15BytesAreGp) {
    std::vector<uint8_t> b(14, 0x66);  // 14 prefixes + nop = 15 bytes: fine
    b.push_back(0x90);
    EXPECT_EQ(run(b), -1);
    b.insert(b.begin(), 0x66);  // 16 bytes
    EXPECT_EQ(run(b), vec::GP);
}

TEST_F(ProfileTest, AShortInstructionAtAPageEndDoesNotFaultForTheNextPage) {
    // Paging: code page 0x10000 present, 0x11000 not. `nop` at 0x10fff needs one byte.
    const uint32_t pd = 0x80000, pt = 0x81000;
    ram.write(pd, 4, pt | 3);
    for (uint32_t p = 0; p < 0x10; ++p) ram.write(pt + p * 4, 4, (p << 12) | 3);
    ram.write(pt + 0x10 * 4, 4, 0x10000 | 3);  // 0x10000 -> 0x10000; 0x11000 not present
    for (uint32_t p = 0x20; p < 0x100; ++p) ram.write(pt + p * 4, 4, (p << 12) | 3);
    s.cr3 = pd;
    s.cr0 |= cr0::PG;
    PagedMemory paged(ram, s);
    Cpu pcpu{s, paged, ports, hooks};
    ram.write(0x10fff, 1, 0x90);
    s.eip = 0x10fff;
    EXPECT_EQ(execute(pcpu, decode_at(pcpu, 0x10fff)), Outcome::kDone);
    // A two-byte instruction there needs the absent page: #PF for 0x11000.
    ram.write(0x10fff, 1, 0x8b);
    try {
        decode_at(pcpu, 0x10fff);
        ADD_FAILURE() << "no fault";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::PF);
        EXPECT_EQ(f.cr2, 0x11000u);
    }
}

}  // namespace
}  // namespace prevt
