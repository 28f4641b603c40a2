// The translator on byte strings: for each category of the classification table, the emitted
// bytes are disassembled with Capstone (an independent disassembler) and must be what the
// table promises. The map back to guest EIPs is checked too.
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "bt/classify.hpp"
#include "bt/translator.hpp"
#include "bt/vcpu_area.hpp"
#include "tests/bt/guest_bytes.hpp"

namespace prevt::bt {
namespace {

using testing_support::kCache;
using testing_support::kEip;
using testing_support::kLookup;

struct Translation {
    Block block;
    std::vector<uint8_t> bytes;
    std::vector<std::string> text;  // "mnemonic operands" per instruction, from Capstone
};

Translation translate(std::vector<uint8_t> guest, bool cpl0 = true, bool code32 = true) {
    TranslationContext context;
    context.cpl0 = cpl0;
    context.code32 = code32;
    context.stack32 = code32;
    testing_support::GuestTranslation g =
        testing_support::translate_guest_bytes(std::move(guest), context);
    Translation t{g.block, g.bytes, {}};
    csh cs;
    EXPECT_EQ(cs_open(CS_ARCH_X86, CS_MODE_32, &cs), CS_ERR_OK);
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(cs, t.bytes.data(), t.bytes.size(), kCache, 0, &insn);
    size_t covered = 0;
    for (size_t i = 0; i < n; ++i) {
        std::string line = std::string(insn[i].mnemonic) + " " + insn[i].op_str;
        while (!line.empty() && line.back() == ' ') line.pop_back();
        t.text.push_back(line);
        covered += insn[i].size;
    }
    EXPECT_EQ(covered, t.bytes.size()) << "Capstone could not decode all emitted bytes";
    cs_free(insn, n);
    cs_close(&cs);
    return t;
}

std::string to_hex(uint32_t v) {
    char buf[16];
    snprintf(buf, sizeof buf, "%x", v);
    return buf;
}

bool starts_with(const std::string& s, const std::string& p) {
    return s.rfind(p, 0) == 0;
}

// The callout sequence: exit kind, guest EIP, no link, far jump through %gs:12.
void expect_callout_at(const Translation& t, size_t i, uint32_t eip) {
    ASSERT_GE(t.text.size(), i + 4);
    EXPECT_EQ(t.text[i], "mov dword ptr gs:[0], 1");
    char buf[64];
    snprintf(buf, sizeof buf, "mov dword ptr gs:[4], 0x%x", eip);
    EXPECT_EQ(t.text[i + 1], buf);
    EXPECT_EQ(t.text[i + 2], "mov dword ptr gs:[8], 0");
    snprintf(buf, sizeof buf, "ljmp gs:[0x%x]", kOffFarPtr);
    EXPECT_EQ(t.text[i + 3], buf);
}

TEST(Translator, InnocuousInstructionsAreCopiedByteForByte) {
    const std::vector<uint8_t> code = {0x01, 0xd8, 0x8b, 0x48, 0x04, 0x0f, 0xaf, 0xc1};
    const Translation t = translate(code);
    ASSERT_GE(t.bytes.size(), code.size());
    EXPECT_TRUE(std::equal(code.begin(), code.end(), t.bytes.begin()));
    EXPECT_EQ(t.text[0], "add eax, ebx");
    EXPECT_EQ(t.text[1], "mov ecx, dword ptr [eax + 4]");
    EXPECT_EQ(t.text[2], "imul eax, ecx");
    expect_callout_at(t, 3, kEip + 8);  // the hlt
    uint32_t eip = 0;
    ASSERT_TRUE(t.block.guest_eip_at(kCache + 2, &eip));
    EXPECT_EQ(eip, kEip + 2);
}

TEST(Translator, CsDataAccessesRunWithCsAsDataInFs) {
    // The guest's CS is not in hardware: a copied access through cs: runs with fs: in its
    // place while FS holds CS as data (read-only: a store #GPs natively; execute-only code:
    // the empty segment), the kernel's variant at CPL 0 and the user's at CPL 3.
    char park[64], swap_k[64], swap_u[64];
    snprintf(park, sizeof park, "mov word ptr gs:[0x%x], fs", kOffSaveFs);
    snprintf(swap_k, sizeof swap_k, "mov fs, word ptr gs:[0x%x]", kOffGuestCsData);
    snprintf(swap_u, sizeof swap_u, "mov fs, word ptr gs:[0x%x]",
             kOffGuestCsData + kFsSwapUserVariant);
    for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
             {0x2e, 0x8b, 0x00},  // mov eax, cs:[eax]
             {0x2e, 0x89, 0x00},  // mov cs:[eax], eax (#GP natively: CS as data is read-only)
             {0x2e, 0xac},        // lodsb cs:
             {0x2e, 0xd7}}) {     // xlat cs:
        const Translation t = translate(bytes);
        ASSERT_GE(t.text.size(), 4u);
        EXPECT_EQ(t.text[0], park);
        EXPECT_EQ(t.text[1], swap_k);
        std::vector<uint8_t> with_fs = bytes;
        with_fs[0] = 0x64;  // the guest's bytes with fs: for cs:
        EXPECT_NE(std::search(t.bytes.begin(), t.bytes.end(), with_fs.begin(), with_fs.end()),
                  t.bytes.end());
        EXPECT_EQ(translate(bytes, false).text[1], swap_u);
    }
    // Not a copy: the virtual CPU (a jump table through cs:, and 16-bit code).
    expect_callout_at(translate({0x2e, 0xff, 0x24, 0x85, 0, 0x10, 0, 0}), 0, kEip);  // jmp cs:[tbl]
    expect_callout_at(translate({0x2e, 0x8b, 0x1e, 0x00, 0x10}, true, false), 0, kEip);
    // Not an access: lea ignores the segment, and 2e on a jcc is a branch hint.
    EXPECT_EQ(translate({0x2e, 0x8d, 0x00}).text[0], "lea eax, cs:[eax]");
    EXPECT_TRUE(starts_with(translate({0x2e, 0x74, 0x10}).text[0], "je 0x"));
}

TEST(Translator, ConditionalBranchGetsTwoChainableExits) {
    const Translation t = translate({0x74, 0x10});  // je +0x10
    EXPECT_TRUE(starts_with(t.text[0], "je 0x"));
    EXPECT_TRUE(starts_with(t.text[1], "jmp 0x"));
    ASSERT_EQ(t.block.exits.size(), 2u);
    EXPECT_EQ(t.block.exits[0].target_eip, kEip + 0x12);
    EXPECT_EQ(t.block.exits[1].target_eip, kEip + 2);
    // Unchained, each exit stub records its target and link, then calls out.
    EXPECT_EQ(t.text[2], "mov dword ptr gs:[0], 2");
    EXPECT_EQ(t.text[5], "ljmp gs:[0x" + to_hex(kOffFarPtr) + "]");
}

TEST(Translator, CallPushesTheGuestReturnAddress) {
    const Translation t = translate({0xe8, 0x00, 0x01, 0x00, 0x00});
    EXPECT_EQ(t.text[0], "push 0x100005");
    EXPECT_TRUE(starts_with(t.text[1], "jmp 0x"));
    EXPECT_EQ(t.block.exits[0].target_eip, kEip + 5 + 0x100);
}

TEST(Translator, LoopBranchesOverNearJumps) {
    const Translation t = translate({0xe2, 0xfe});  // loop $
    EXPECT_TRUE(starts_with(t.text[0], "loop 0x"));
    EXPECT_TRUE(starts_with(t.text[1], "jmp 0x"));
    EXPECT_TRUE(starts_with(t.text[2], "jmp 0x"));
    EXPECT_TRUE(starts_with(t.text[3], "jmp 0x"));
    EXPECT_EQ(t.block.exits[0].target_eip, kEip);
    EXPECT_EQ(t.block.exits[1].target_eip, kEip + 2);
}

TEST(Translator, IndirectBranchesGoThroughTheLookup) {
    Translation t = translate({0xc3});
    EXPECT_EQ(t.text[0], "pop dword ptr gs:[0x2c]");
    EXPECT_EQ(t.text[1], "jmp 0xfe100000");
    t = translate({0xc2, 0x08, 0x00});  // ret $8
    EXPECT_EQ(t.text[1], "lea esp, [esp + 8]");
    t = translate({0xc3});
    EXPECT_TRUE(t.block.parked.empty());
}

// jmp/call *r/m never touch the stack for the target (a push r/m would write below the
// guest's ESP, and fault there): the target goes through EAX, parked in save_eax, with the
// guest's ModRM, SIB, displacement and segment prefix; EAX is recovered at a fault inside.
TEST(Translator, IndirectJumpsLoadTheTargetThroughAParkedEax) {
    const std::string save = "dword ptr gs:[0x" + to_hex(kOffSaveEax) + "]";
    const std::string target = "dword ptr gs:[0x" + to_hex(kOffIblTarget) + "]";
    Translation t = translate({0xff, 0xe0});  // jmp *%eax
    ASSERT_EQ(t.text.size(), 5u);
    EXPECT_EQ(t.text[0], "mov " + save + ", eax");
    EXPECT_EQ(t.text[1], "mov eax, eax");
    EXPECT_EQ(t.text[2], "mov " + target + ", eax");
    EXPECT_EQ(t.text[3], "mov eax, " + save);
    EXPECT_EQ(t.text[4], "jmp 0xfe100000");
    ASSERT_EQ(t.block.parked.size(), 1u);
    EXPECT_EQ(t.block.parked[0].from, kCache + 6);
    EXPECT_EQ(t.block.parked[0].to, kCache + 6 + 2 + 6 + 6);
    uint32_t eip = 0;
    EXPECT_TRUE(t.block.guest_eip_at(kCache + 6, &eip));  // a fault on the load: exact
    EXPECT_EQ(eip, kEip);
    t = translate({0x26, 0xff, 0x64, 0x84, 0x10});  // jmp *%es:0x10(%esp,%eax,4)
    EXPECT_EQ(t.text[1], "mov eax, dword ptr es:[esp + eax*4 + 0x10]");
    t = translate({0xff, 0x13});  // call *(%ebx)
    EXPECT_EQ(t.text[1], "mov eax, dword ptr [ebx]");
    EXPECT_EQ(t.text[2], "mov " + target + ", eax");
    EXPECT_EQ(t.text[3], "mov eax, " + save);
    EXPECT_EQ(t.text[4], "push 0x100002");
    EXPECT_EQ(t.text[5], "jmp 0xfe100000");
    for (const std::string& line : t.text) EXPECT_EQ(line.find("esp"), std::string::npos);
}

TEST(Translator, InlineRewritesAtCpl0) {
    EXPECT_EQ(translate({0xfa}).text[0], "mov dword ptr gs:[0x43000], 0");
    EXPECT_EQ(translate({0xfb}).text[0], "mov dword ptr gs:[0x43000], 0x200");
    // The guest's selectors are at %gs:kOffVsel + 4 * (es cs ss ds fs gs).
    EXPECT_EQ(translate({0x0e}).text[0], "push dword ptr gs:[0x" + to_hex(kOffVsel + 4) + "]");
    EXPECT_EQ(translate({0x8c, 0xc8}).text[0],
              "movzx eax, word ptr gs:[0x" + to_hex(kOffVsel + 4) + "]");
    EXPECT_EQ(translate({0x66, 0x8c, 0xd9}).text[0],
              "mov cx, word ptr gs:[0x" + to_hex(kOffVsel + 12) + "]");
    const Translation pushf = translate({0x9c});
    EXPECT_EQ(pushf.text[0], "pushfd");
    const Translation popf = translate({0x9d});
    EXPECT_EQ(popf.text[1], "movzx eax, byte ptr [esp + 1]");
    EXPECT_EQ(popf.text[popf.text.size() - 5], "popfd");
}

// CR4.SMAP: AC decides what CPL 0 may touch, so popf is a callout (the shadow MMU follows AC
// at each entry); stac and clac are callouts with max and #UD without it.
TEST(Translator, UnderSmapPopfAndStacClacCallOut) {
    TranslationContext context;
    context.smap = true;
    context.profile = &kMax;
    // (The bytes are followed by hlt, a callout: the first callout's EIP tells which it is.)
    auto first_callout = [&](std::vector<uint8_t> c) {
        const auto t = testing_support::translate_guest_bytes(std::move(c), context);
        return t.block.callouts.empty() ? 0u : t.block.callouts[0].eip;
    };
    EXPECT_EQ(first_callout({0x9d}), kEip);
    for (const std::vector<uint8_t>& c :
         {std::vector<uint8_t>{0x0f, 0x01, 0xcb}, std::vector<uint8_t>{0x0f, 0x01, 0xca}}) {
        SCOPED_TRACE(testing::PrintToString(c));
        EXPECT_EQ(first_callout(c), kEip);
    }
    context.smap = false;
    EXPECT_EQ(first_callout({0x9d}), kEip + 1) << "inline popf, then the hlt";
}

// A learned TPR store (TranslationContext::tpr_stores) is the same mov aimed at the TPR's
// slot, %gs:kOffTpr, whatever segment and displacement it had; only at CPL 0, only an absolute
// 32-bit mov; anything else there is translated as before.
TEST(Translator, ALearnedTprStoreBecomesAStoreToTheSlot) {
    const std::unordered_set<uint32_t> sites = {kEip};
    TranslationContext context;
    context.tpr_stores = &sites;
    auto text = [&](std::vector<uint8_t> bytes, bool cpl0 = true) {
        context.cpl0 = cpl0;
        const auto g = testing_support::translate_guest_bytes(std::move(bytes), context);
        csh cs;
        cs_open(CS_ARCH_X86, CS_MODE_32, &cs);
        cs_insn* insn = nullptr;
        std::string first;
        if (cs_disasm(cs, g.bytes.data(), g.bytes.size(), kCache, 1, &insn) == 1)
            first = std::string(insn[0].mnemonic) + " " + insn[0].op_str;
        cs_free(insn, 1);
        cs_close(&cs);
        return first;
    };
    const std::string slot = "gs:[0x" + to_hex(kOffTpr) + "]";
    EXPECT_EQ(text({0xa3, 0x80, 0x00, 0xe0, 0xfe}), "mov dword ptr " + slot + ", eax");
    EXPECT_EQ(text({0x3e, 0xc7, 0x05, 0x80, 0x00, 0xe0, 0xfe, 0x30, 0, 0, 0}),
              "mov dword ptr " + slot + ", 0x30");
    EXPECT_EQ(text({0x89, 0x1d, 0x80, 0x00, 0xe0, 0xfe}), "mov dword ptr " + slot + ", ebx");
    EXPECT_EQ(text({0x89, 0x18}), "mov dword ptr [eax], ebx") << "a based store: copied";
    EXPECT_NE(text({0xa3, 0x80, 0x00, 0xe0, 0xfe}, false).find("0xfee00080"), std::string::npos)
        << "CPL 3: not the slot";
}

TEST(Translator, InlineRewritesBecomeCalloutsAtCpl3) {
    expect_callout_at(translate({0xfa}, false), 0, kEip);
    expect_callout_at(translate({0x9c}, false), 0, kEip);
}

TEST(Translator, PrivilegedSensitiveIoAndInterruptsCallOut) {
    const std::vector<std::vector<uint8_t>> cases = {
        {0xec},                       // in (%dx),%al
        {0xe6, 0x80},                 // out %al,$0x80
        {0xf3, 0x6c},                 // rep insb
        {0x0f, 0x01, 0x00},           // sgdt (%eax)
        {0x0f, 0x22, 0xc0},           // mov %eax,%cr0
        {0x8e, 0xd8},                 // mov %eax,%ds
        {0xcd, 0x80},                 // int $0x80
        {0x0f, 0x05},                 // syscall
        {0x0f, 0x34},                 // sysenter
        {0xcf},                       // iret
        {0xea, 0, 0, 0, 0, 0x08, 0},  // ljmp $8,$0
        {0x0f, 0x02, 0xc3},           // lar %ebx,%eax
        {0x0f, 0xa2},                 // cpuid
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(testing::PrintToString(c));
        expect_callout_at(translate(c), 0, kEip);
    }
}

TEST(Translator, BlocksEndAtTheInstructionLimit) {
    std::vector<uint8_t> nops(kMaxInstructions + 10, 0x90);
    const Translation t = translate(nops);
    EXPECT_EQ(t.block.instructions, kMaxInstructions);
    ASSERT_EQ(t.block.exits.size(), 1u);
    EXPECT_EQ(t.block.exits[0].target_eip, kEip + kMaxInstructions);
}

// A signal at the jump that ends a block at the limit arrives after the last instruction ran:
// the guest resumes after it, not at it (an `add` run twice was the Linux guest's wrong md5).
TEST(Translator, TheLimitsJumpIsAnExactPointAfterTheLastInstruction) {
    std::vector<uint8_t> code;
    for (unsigned i = 0; i < kMaxInstructions + 2; ++i) code.push_back(0x01), code.push_back(0xce);
    const Translation t = translate(code);  // add %ecx,%esi, over and over
    ASSERT_EQ(t.block.instructions, kMaxInstructions);
    const uint32_t last = kCache + 2 * (kMaxInstructions - 1), jump = last + 2;
    uint32_t eip = 0;
    ASSERT_TRUE(t.block.guest_eip_at(last + 1, &eip));  // inside the last add: at it
    EXPECT_EQ(eip, kEip + 2 * (kMaxInstructions - 1));
    ASSERT_TRUE(t.block.guest_eip_at(jump, &eip));  // at the jump: after it
    EXPECT_EQ(eip, kEip + 2 * kMaxInstructions);
    ASSERT_TRUE(t.block.boundary_at(jump, &eip));  // a single-step there has completed it
    EXPECT_EQ(eip, kEip + 2 * kMaxInstructions);
}

TEST(ClassificationTable, EveryRuleNamesARealMnemonicAndTheSensitiveSetIsThere) {
    unsigned sensitive = 0;
    for (const Rule& r : rules()) {
        EXPECT_NE(ZydisMnemonicGetString(r.mnemonic), nullptr);
        EXPECT_NE(r.treatment, Treatment::kCopy) << ZydisMnemonicGetString(r.mnemonic);
        sensitive += r.category == Category::kSensitive;
    }
    EXPECT_GE(sensitive, 15u);  // sgdt sidt sldt str smsw pushf(d) popf(d) lar lsl verr verw ...
}

// Capstone's text for one instruction in the given mode.
std::string disassemble(const std::vector<uint8_t>& bytes, cs_mode mode) {
    csh cs;
    EXPECT_EQ(cs_open(CS_ARCH_X86, mode, &cs), CS_ERR_OK);
    cs_insn* insn = nullptr;
    std::string line = "?";
    if (cs_disasm(cs, bytes.data(), bytes.size(), 0, 1, &insn) == 1) {
        line = std::string(insn[0].mnemonic) + " " + insn[0].op_str;
        while (!line.empty() && line.back() == ' ') line.pop_back();
        cs_free(insn, 1);
    }
    cs_close(&cs);
    return line;
}

TEST(Translator, SixteenBitCodeIsReencodedForThe32BitCache) {
    // Each 16-bit instruction must disassemble (Capstone, 32-bit mode) in the cache to what it
    // is (Capstone, 16-bit mode) in the guest: the size prefixes toggled, nothing else.
    const std::vector<std::vector<uint8_t>> cases = {
        {0x8b, 0x40, 0x04},        // mov ax, [bx+si+4]
        {0x66, 0x01, 0xd8},        // add eax, ebx
        {0x05, 0x34, 0x12},        // add ax, 0x1234
        {0x50},                    // push ax
        {0x66, 0x5b},              // pop ebx
        {0xf3, 0xa4},              // rep movsb (cx, si, di)
        {0x67, 0x8b, 0x04, 0x24},  // mov ax, [esp]
        {0x0f, 0xbc, 0xc1},        // bsf ax, cx
    };
    for (const auto& c : cases) {
        const Translation t = translate(c, true, false);
        const std::string want = disassemble(c, CS_MODE_16);
        ASSERT_FALSE(t.text.empty());
        EXPECT_EQ(t.text[0], want) << "guest bytes of length " << c.size();
    }
}

TEST(Translator, SixteenBitCallsAndReturnsUse16BitAddresses) {
    // call rel16 (e8 10 00 at 0x100000: target wraps to (0x0003 + 0x10) & 0xffff), then ret.
    const Translation call = translate({0xe8, 0x10, 0x00}, true, false);
    EXPECT_EQ(call.text[0], "push 3");  // pushw $3: the 16-bit return address
    ASSERT_EQ(call.block.exits.size(), 1u);
    EXPECT_EQ(call.block.exits[0].target_eip, 0x13u);
    const Translation ret = translate({0xc3}, true, false);
    EXPECT_EQ(ret.text[0], "pop word ptr gs:[0x2c]");
    EXPECT_EQ(ret.text[1], "mov word ptr gs:[0x2e], 0");
}

// A debugger's stops (core/debug/debug_stops.hpp): a block ends before a breakpoint, its
// exit going to the monitor at that EIP; `single` makes one-instruction blocks.
TEST(Translator, ABlockEndsBeforeADebuggersBreakpoint) {
    const std::vector<uint8_t> code = {0x01, 0xd8, 0x8b, 0x48, 0x04, 0x0f, 0xaf, 0xc1};
    const std::unordered_set<uint32_t> stops = {kEip + 2};
    TranslationContext context;
    context.stops = &stops;
    const auto g = testing_support::translate_guest_bytes(code, context);
    EXPECT_EQ(g.block.instructions, 1u);
    ASSERT_EQ(g.block.exits.size(), 1u);
    EXPECT_EQ(g.block.exits[0].target_eip, kEip + 2);
    // A breakpoint at the block's own start does not end it: the engine stops before entry.
    const std::unordered_set<uint32_t> at_start = {kEip};
    context.stops = &at_start;
    EXPECT_EQ(testing_support::translate_guest_bytes(code, context).block.instructions, 4u);
}

TEST(Translator, ADebuggersStepTranslatesOneInstruction) {
    const std::vector<uint8_t> code = {0x01, 0xd8, 0x8b, 0x48, 0x04, 0x0f, 0xaf, 0xc1};
    TranslationContext context;
    context.single = true;
    const auto g = testing_support::translate_guest_bytes(code, context);
    EXPECT_EQ(g.block.instructions, 1u);
    ASSERT_EQ(g.block.exits.size(), 1u);
    EXPECT_EQ(g.block.exits[0].target_eip, kEip + 2);
}

}  // namespace
}  // namespace prevt::bt
