// The translator's table as an allowlist keyed by the guest's CPU profile: only instructions of
// ISA sets the profile offers are copied; everything else is the #UD callout. Checked on byte
// strings (the emitted bytes disassembled with Capstone) and by a sweep over every legacy
// opcode Zydis decodes; plus the %gs rule on hidden operands, and FPU control (CR0/CR4).
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include <cstring>
#include <string>
#include <vector>

#include "bt/classify.hpp"
#include "bt/translator.hpp"
#include "bt/vcpu_area.hpp"
#include "core/emulate/cpu_profiles.hpp"
#include "tests/bt/guest_bytes.hpp"

namespace prevt::bt {
namespace {

using testing_support::kCache;
using testing_support::kEip;
using testing_support::kLookup;

struct Result {
    std::vector<uint8_t> bytes;
    std::string first;  // Capstone's text of the first emitted instruction
};

Result translate(std::vector<uint8_t> guest, TranslationContext context = {}) {
    Result r{testing_support::translate_guest_bytes(std::move(guest), context).bytes, "?"};
    csh cs;
    EXPECT_EQ(cs_open(CS_ARCH_X86, CS_MODE_32, &cs), CS_ERR_OK);
    cs_insn* insn = nullptr;
    if (cs_disasm(cs, r.bytes.data(), r.bytes.size(), kCache, 1, &insn) == 1) {
        r.first = std::string(insn[0].mnemonic) + " " + insn[0].op_str;
        while (r.first.back() == ' ') r.first.pop_back();
        cs_free(insn, 1);
    }
    cs_close(&cs);
    return r;
}

bool is_callout(const Result& r) {
    return r.first == "mov dword ptr gs:[0], 1";
}

bool copied(const std::vector<uint8_t>& guest, const Result& r) {
    return r.bytes.size() >= guest.size() &&
           std::equal(guest.begin(), guest.end(), r.bytes.begin());
}

TEST(Allowlist, InstructionsTheProfileDoesNotOfferCallOut) {
    const std::vector<std::vector<uint8_t>> cases = {
        {0xf3, 0x0f, 0xb8, 0xc1},              // popcnt
        {0x0f, 0x38, 0xf0, 0x00},              // movbe eax, [eax]
        {0xc5, 0xf8, 0x77},                    // vzeroupper (VEX)
        {0xc5, 0xfc, 0x58, 0xc1},              // vaddps ymm0, ymm0, ymm1
        {0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1},  // vaddps zmm0 (EVEX)
        {0x0f, 0xc7, 0xf0},                    // rdrand eax
        {0x0f, 0xc7, 0xf8},                    // rdseed eax
        {0x0f, 0x01, 0xd0},                    // xgetbv
        {0x0f, 0x01, 0xf9},                    // rdtscp
        {0xf3, 0x0f, 0xc7, 0xf8},              // rdpid eax
        {0x0f, 0x01, 0xc1},                    // vmcall
        {0x0f, 0x01, 0xd9},                    // vmmcall
        {0x0f, 0xae, 0x38},                    // clflush [eax] (no CLFSH)
        {0x0f, 0x01, 0xfc},                    // clzero
        {0x0f, 0x01, 0xfa},                    // monitorx
        {0x0f, 0x01, 0xc8},                    // monitor (never offered: privileged)
        {0x0f, 0x01, 0xc9},                    // mwait
        {0x66, 0x0f, 0x38, 0x17, 0xc1},        // ptest (SSE4.1)
        {0x0f, 0x05},                          // syscall
        {0x0f, 0x0e},                          // femms (3DNow!)
        {0x0f, 0x0d, 0x08},                    // prefetchw (3DNow!)
        {0x0f, 0xaa},                          // rsm
    };
    for (const auto& c : cases) {
        EXPECT_TRUE(is_callout(translate(c)))
            << "byte " << std::hex << int(c[0]) << " " << int(c[1]) << " " << int(c[2]);
    }
}

TEST(Allowlist, OfferedInstructionsAreCopied) {
    const std::vector<std::vector<uint8_t>> cases = {
        {0x0f, 0x44, 0xc1},        // cmove eax, ecx
        {0x0f, 0xc7, 0x0e},        // cmpxchg8b [esi]
        {0x0f, 0xc1, 0xc8},        // xadd eax, ecx
        {0x0f, 0xc8},              // bswap eax
        {0xd9, 0x00},              // fld dword [eax]
        {0xdb, 0xf1},              // fcomi st1
        {0x0f, 0x6f, 0xc1},        // movq mm0, mm1
        {0x0f, 0x58, 0xc1},        // addps
        {0x66, 0x0f, 0x58, 0xc1},  // addpd
        {0x0f, 0xae, 0x18},        // stmxcsr [eax] (fxsave/fxrstor: callouts, the guest's FIP)
        {0x0f, 0xae, 0xf8},        // sfence
        {0x0f, 0xae, 0xe8},        // lfence
        {0x0f, 0x18, 0x00},        // prefetchnta
        {0xf3, 0x90},              // pause
        {0x0f, 0x0b},              // ud2: the host raises the #UD itself
        {0x0f, 0x31},              // rdtsc (the virtual TSC is the host's)
    };
    for (const auto& c : cases)
        EXPECT_TRUE(copied(c, translate(c))) << std::hex << int(c[0]) << " " << int(c[1]);
}

TEST(Allowlist, RepBsrAndBsfAreCopiedWithoutTheRepTheHostWouldReadAsLzcnt) {
    // On an i686 the rep prefix is ignored; on the host f3 0f bd is lzcnt, f3 0f bc tzcnt.
    EXPECT_EQ(translate({0xf3, 0x0f, 0xbd, 0xc1}).first, "bsr eax, ecx");
    EXPECT_EQ(translate({0xf3, 0x0f, 0xbc, 0xc1}).first, "bsf eax, ecx");
    EXPECT_EQ(translate({0xf3, 0x0f, 0xbd, 0xc1}).bytes[0], 0x0f);
    // endbr32 is a hint nop on an i686, and hint nops become a plain nop (the host may know
    // them as something else: endbr32, cldemote, MPX).
    EXPECT_EQ(translate({0xf3, 0x0f, 0x1e, 0xfb}).first, "nop");
    EXPECT_EQ(translate({0x0f, 0x1c, 0x00}).first, "nop");
    EXPECT_EQ(translate({0x0f, 0x1f, 0x44, 0x00, 0x00}).first, "nop");
}

TEST(Allowlist, RdtscCallsOutWhenTheVirtualTscIsNotTheHosts) {
    TranslationContext c;
    c.native_tsc = false;
    EXPECT_TRUE(is_callout(translate({0x0f, 0x31}, c)));
}

// %gs through hidden operands is seen as %gs: never copied as it is. What would be a copy runs
// with fs: in its place while FS holds the guest's GS (fs-swap: the first emitted instruction
// parks FS); the rest calls out.
TEST(Allowlist, GsThroughHiddenOperandsIsNeverCopiedAsItIs) {
    const std::vector<std::vector<uint8_t>> swapped = {
        {0x65, 0xac},                    // lodsb gs:[esi]
        {0x65, 0xa4},                    // movsb es:[edi], gs:[esi]
        {0x65, 0xa6},                    // cmpsb gs:[esi], es:[edi]
        {0x65, 0xd7},                    // xlat gs:[ebx]
        {0x65, 0x0f, 0xf7, 0xc1},        // maskmovq mm0, mm1 (gs:[edi])
        {0x65, 0x66, 0x0f, 0xf7, 0xc1},  // maskmovdqu
        {0x65, 0x0f, 0xae, 0x18},        // stmxcsr gs:[eax]
        {0x65, 0xff, 0x30},              // push gs:[eax]
    };
    for (const auto& c : swapped) {
        const Result r = translate(c);
        char park[48];
        snprintf(park, sizeof park, "mov word ptr gs:[0x%x], fs", kOffSaveFs);
        EXPECT_EQ(r.first, park) << std::hex << int(c[1]);
        const auto at = std::search(r.bytes.begin(), r.bytes.end(), c.begin() + 1, c.end());
        ASSERT_NE(at, r.bytes.end()) << std::hex << int(c[1]);
        EXPECT_EQ(*(at - 1), 0x64) << "fs: in place of gs:";
    }
    EXPECT_TRUE(is_callout(translate({0x65, 0xff, 0x20})));  // jmp gs:[eax]: not a copy
    // The x87 environment stores are callouts, with gs: too: they store the guest's FIP.
    for (const std::vector<uint8_t>& c : std::vector<std::vector<uint8_t>>{
             {0x0f, 0xae, 0x00}, {0xd9, 0x30}, {0xdd, 0x30}, {0x65, 0x0f, 0xae, 0x00}})
        EXPECT_TRUE(is_callout(translate(c))) << std::hex << int(c[0]);
    EXPECT_EQ(translate({0x65, 0x8d, 0x00}).first, "lea eax, gs:[eax]");  // no access
}

TEST(Allowlist, FpuControlMakesFaultingInstructionsCallOuts) {
    TranslationContext ts;
    ts.fpu = {true, false, false, true};
    EXPECT_TRUE(is_callout(translate({0xd9, 0x00}, ts)));                        // fld: #NM
    EXPECT_TRUE(is_callout(translate({0x0f, 0x6f, 0xc1}, ts)));                  // movq mm: #NM
    EXPECT_TRUE(is_callout(translate({0x0f, 0x58, 0xc1}, ts)));                  // addps: #NM
    EXPECT_TRUE(is_callout(translate({0x0f, 0xae, 0x00}, ts)));                  // fxsave: #NM
    EXPECT_TRUE(copied({0x9b}, translate({0x9b}, ts)));                          // fwait: MP clear
    EXPECT_TRUE(copied({0x0f, 0xae, 0xf8}, translate({0x0f, 0xae, 0xf8}, ts)));  // sfence
    ts.fpu.mp = true;
    EXPECT_TRUE(is_callout(translate({0x9b}, ts)));  // fwait with MP and TS: #NM
    TranslationContext em;
    em.fpu = {false, true, false, true};
    EXPECT_TRUE(is_callout(translate({0xd9, 0xe8}, em)));        // fld1: #NM
    EXPECT_TRUE(is_callout(translate({0x0f, 0x77}, em)));        // emms: #UD
    EXPECT_TRUE(is_callout(translate({0x0f, 0x58, 0xc1}, em)));  // addps: #UD
    TranslationContext nofx;
    nofx.fpu = {false, false, false, false};
    EXPECT_TRUE(is_callout(translate({0x0f, 0x58, 0xc1}, nofx)));                  // addps: #UD
    EXPECT_TRUE(is_callout(translate({0x0f, 0xae, 0x10}, nofx)));                  // ldmxcsr: #UD
    EXPECT_TRUE(copied({0x0f, 0x6f, 0xc1}, translate({0x0f, 0x6f, 0xc1}, nofx)));  // MMX
    EXPECT_TRUE(is_callout(translate({0x0f, 0xae, 0x08}, nofx)));  // fxrstor: always a callout
    EXPECT_TRUE(copied({0x0f, 0xc3, 0x00}, translate({0x0f, 0xc3, 0x00}, nofx)));  // movnti
}

TEST(InlineIret, ChecksTheSelectorAndTheDescriptorInTheGuestTable) {
    TranslationContext c;
    c.lookup_flags_saved = kLookup + 0x40;
    EXPECT_TRUE(is_callout(translate({0xcf}, c))) << "no descriptor to check: the callout";
    c.iret_check = {0x08, 0x00111008, 0x0000ffff, 0x00cf9b00};
    const Result r = translate({0xcf}, c);
    EXPECT_FALSE(is_callout(r));
    csh cs;
    ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_32, &cs), CS_ERR_OK);
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(cs, r.bytes.data(), r.bytes.size(), kCache, 12, &insn);
    std::vector<std::string> text;
    for (size_t i = 0; i < n; ++i)
        text.push_back(std::string(insn[i].mnemonic) + " " + insn[i].op_str);
    cs_free(insn, n);
    cs_close(&cs);
    const auto has = [&](const std::string& line) {
        return std::find(text.begin(), text.end(), line) != text.end();
    };
    EXPECT_TRUE(has("cmp eax, 8"));
    EXPECT_TRUE(has("mov eax, dword ptr cs:[0x111008]"));
    EXPECT_TRUE(has("cmp eax, 0xffff"));
    EXPECT_TRUE(has("mov eax, dword ptr cs:[0x11100c]"));
    EXPECT_TRUE(has("cmp eax, 0xcf9b00"));
}

// The same bytes under each profile (TranslationContext::profile): what the part lacks is the
// #UD callout, what it has is copied.
TEST(Allowlist, EachProfileCopiesOnlyItsOwnInstructions) {
    struct Case {
        std::vector<uint8_t> bytes;
        bool n270, pentium3;  // offered (copied) on each; max offers what n270 does
    };
    const std::vector<Case> cases = {
        {{0x0f, 0x58, 0xc1}, true, true},                  // addps (SSE)
        {{0x66, 0x0f, 0xd4, 0xc1}, true, false},           // paddq xmm (SSE2)
        {{0x0f, 0xae, 0xe8}, true, false},                 // lfence (SSE2)
        {{0xf2, 0x0f, 0x7c, 0xc1}, true, false},           // haddps (SSE3)
        {{0xf3, 0x0f, 0x16, 0xc1}, true, false},           // movshdup (SSE3)
        {{0xf2, 0x0f, 0xf0, 0x06}, true, false},           // lddqu xmm0, [esi] (SSE3)
        {{0xdb, 0x0e}, true, false},                       // fisttp dword [esi] (SSE3, x87)
        {{0x66, 0x0f, 0x38, 0x00, 0xc1}, true, false},     // pshufb xmm (SSSE3)
        {{0x0f, 0x38, 0x1c, 0xc1}, true, false},           // pabsb mm (SSSE3)
        {{0x66, 0x0f, 0x3a, 0x0f, 0xc1, 4}, true, false},  // palignr xmm (SSSE3)
        {{0x0f, 0x01, 0xc8}, false, false},                // monitor
        {{0x0f, 0x01, 0xc9}, false, false},                // mwait
    };
    for (const Case& c : cases)
        for (const CpuProfile* p : kCpuProfiles) {
            TranslationContext context;
            context.profile = p;
            const bool want = p == &kPentium3 ? c.pentium3 : c.n270;
            const Result r = translate(c.bytes, context);
            EXPECT_EQ(copied(c.bytes, r), want) << p->name << " " << std::hex << int(c.bytes[1]);
            EXPECT_EQ(is_callout(r), !want) << p->name << " " << std::hex << int(c.bytes[1]);
        }
}

// Every legacy opcode (one-byte, 0f, 0f 38, 0f 3a maps, with 66/f2/f3, every ModRM), under
// each profile: whatever classify() copies belongs to an ISA set the profile offers, and no
// instruction outside the base, x87, MMX, SSE, SSE2, SSE3 and SSSE3 extensions is ever copied.
TEST(Allowlist, SweepCopiesOnlyOfferedIsaSets) {
    for (const CpuProfile* p : kCpuProfiles) {
        ZydisDecoder d;
        ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
        decoder_modes(&d, *p);
        const uint8_t prefixes[] = {0, 0x66, 0xf2, 0xf3};
        const std::vector<std::vector<uint8_t>> maps = {{}, {0x0f}, {0x0f, 0x38}, {0x0f, 0x3a}};
        unsigned copied_count = 0, refused = 0, sse3 = 0;
        for (uint8_t pre : prefixes)
            for (const auto& map : maps)
                for (int op = 0; op < 256; ++op)
                    for (int modrm = 0; modrm < 256; ++modrm) {
                        std::vector<uint8_t> b;
                        if (pre) b.push_back(pre);
                        b.insert(b.end(), map.begin(), map.end());
                        b.insert(b.end(), {uint8_t(op), uint8_t(modrm), 0x24, 0, 0, 0, 0, 0, 0, 0});
                        ZydisDecodedInstruction in;
                        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
                        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b.data(), b.size(), &in, ops)))
                            continue;
                        const Rule& r = classify(in, ops, *p);
                        if (r.treatment != Treatment::kCopy) {
                            ++refused;
                            continue;
                        }
                        ++copied_count;
                        const auto ext = in.meta.isa_ext;
                        sse3 += ext == ZYDIS_ISA_EXT_SSE3 || ext == ZYDIS_ISA_EXT_SSSE3;
                        EXPECT_TRUE(p->offers(in)) << ZydisMnemonicGetString(in.mnemonic);
                        EXPECT_TRUE(ext == ZYDIS_ISA_EXT_BASE || ext == ZYDIS_ISA_EXT_X87 ||
                                    ext == ZYDIS_ISA_EXT_MMX || ext == ZYDIS_ISA_EXT_SSE ||
                                    ext == ZYDIS_ISA_EXT_SSE2 || ext == ZYDIS_ISA_EXT_SSE3 ||
                                    ext == ZYDIS_ISA_EXT_SSSE3 || ext == ZYDIS_ISA_EXT_PAUSE)
                            << ZydisMnemonicGetString(in.mnemonic) << " "
                            << ZydisISAExtGetString(ext);
                        EXPECT_NE(in.meta.isa_set, ZYDIS_ISA_SET_MONITOR);
                        if (!(p->edx & cpuid_bit::SSE2))
                            EXPECT_NE(ext, ZYDIS_ISA_EXT_SSE2)
                                << ZydisMnemonicGetString(in.mnemonic);
                        EXPECT_FALSE(accesses_through(in, ops, ZYDIS_REGISTER_GS));
                        EXPECT_FALSE(accesses_through(in, ops, ZYDIS_REGISTER_CS));
                    }
        EXPECT_GT(copied_count, 10000u) << p->name;
        EXPECT_GT(refused, 1000u) << p->name;
        EXPECT_EQ(sse3 > 0, (p->ecx & cpuid_bit::SSE3) != 0) << p->name;
    }
}

}  // namespace
}  // namespace prevt::bt
