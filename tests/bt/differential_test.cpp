// The differential test: thousands of random sequences of innocuous instructions (fixed seed),
// encoded with the Zydis encoder, run natively (the trap engine executes guest code
// untranslated) and from the translation cache (bt); registers and flags must agree. A second
// set is SSE3/SSSE3 on XMM registers (the n270 profile's), their results folded into the
// general registers. The
// sequences are long enough to cross block limits and contain forward conditional branches,
// so chaining and exit stubs are exercised, not only copying.
#include <Zydis/Zydis.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/engines/bt_engine.hpp"
#include "core/engines/trap_engine.hpp"
#include "core/native/address_space.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x8000, kCodeBase = 0x100000, kSlot = 2048;
constexpr int kSequences = 3000;

ZydisRegister random_register(std::mt19937& rng) {
    static constexpr ZydisRegister kRegs[] = {
        ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
        ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    return kRegs[rng() % 7];
}

// One random instruction (register and immediate operands only), appended to `code`.
void random_instruction(std::mt19937& rng, std::vector<uint8_t>& code) {
    static constexpr ZydisMnemonic kTwo[] = {
        ZYDIS_MNEMONIC_ADD,  ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SUB,   ZYDIS_MNEMONIC_SBB,
        ZYDIS_MNEMONIC_AND,  ZYDIS_MNEMONIC_OR,  ZYDIS_MNEMONIC_XOR,   ZYDIS_MNEMONIC_CMP,
        ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_IMUL,  ZYDIS_MNEMONIC_XCHG,
        ZYDIS_MNEMONIC_BT,   ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVL,
        ZYDIS_MNEMONIC_SHL,  ZYDIS_MNEMONIC_SAR, ZYDIS_MNEMONIC_ROL,   ZYDIS_MNEMONIC_RCR};
    static constexpr ZydisMnemonic kOne[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
                                             ZYDIS_MNEMONIC_NEG, ZYDIS_MNEMONIC_NOT,
                                             ZYDIS_MNEMONIC_BSWAP};
    ZydisEncoderRequest req;
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    const unsigned kind = rng() % 10;
    if (kind == 0) {  // a forward conditional branch over up to 6 bytes of nops
        const uint8_t skip = rng() % 6;
        code.push_back(static_cast<uint8_t>(0x70 + rng() % 16));
        code.push_back(skip);
        code.insert(code.end(), skip, 0x90);
        return;
    }
    if (kind == 1) {
        req.mnemonic = kOne[rng() % 5];
        req.operand_count = 1;
        req.operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
        req.operands[0].reg.value = random_register(rng);
    } else {
        const ZydisMnemonic m = kTwo[rng() % 20];
        req.mnemonic = m;
        req.operand_count = 2;
        req.operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
        req.operands[0].reg.value = random_register(rng);
        const bool shift = m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SAR ||
                           m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_RCR;
        const bool reg_only = m == ZYDIS_MNEMONIC_XCHG || m == ZYDIS_MNEMONIC_CMOVZ ||
                              m == ZYDIS_MNEMONIC_CMOVL || m == ZYDIS_MNEMONIC_IMUL;
        if (shift || (!reg_only && rng() % 2)) {
            req.operands[1].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
            // Immediates as signed 32-bit values (the encoder sign-extends imm8 forms).
            req.operands[1].imm.s = shift || m == ZYDIS_MNEMONIC_BT || m == ZYDIS_MNEMONIC_BTS
                                        ? rng() % 32
                                        : static_cast<int32_t>(rng());
        } else {
            req.operands[1].type = ZYDIS_OPERAND_TYPE_REGISTER;
            req.operands[1].reg.value = random_register(rng);
        }
    }
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof buf;
    ASSERT_TRUE(ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len)))
        << ZydisMnemonicGetString(req.mnemonic);
    code.insert(code.end(), buf, buf + len);
}

VcpuState initial_state(std::mt19937& rng, uint32_t eip) {
    VcpuState s;
    s.cr0 = cr0::PE | cr0::ET;
    s.gdtr = {kGdt, 31};
    Descriptor c, d;
    c.lo = 0x0000ffff, c.hi = 0x00cf9b00;
    d.lo = 0x0000ffff, d.hi = 0x00cf9300;
    s.sreg(SegReg::cs) = c.to_segment(0x10);
    for (SegReg r : {SegReg::ds, SegReg::es, SegReg::ss, SegReg::fs, SegReg::gs})
        s.sreg(r) = d.to_segment(0x18);
    for (uint32_t& g : s.gpr) g = rng();
    s.gpr[esp] = 0x90000;
    s.eflags = eflags::kFixed1 | (rng() & (eflags::CF | eflags::ZF | eflags::SF | eflags::OF));
    s.eip = eip;
    s.fpu[0] = 0x7f, s.fpu[1] = 0x03, s.fpu[24] = 0x80, s.fpu[25] = 0x1f;
    return s;
}

// One random SSE3 or SSSE3 instruction on XMM registers (the n270 profile's additions to the
// allowlist), or a movd between a general register and an XMM register, appended to `code`.
void random_sse3_instruction(std::mt19937& rng, std::vector<uint8_t>& code) {
    static constexpr uint8_t kSsse3[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                         0x08, 0x09, 0x0a, 0x0b, 0x1c, 0x1d, 0x1e};
    static constexpr uint8_t kSse3[][3] = {
        {0xf2, 0x0f, 0x7c}, {0xf2, 0x0f, 0x7d}, {0xf2, 0x0f, 0xd0},
        {0x66, 0x0f, 0x7c}, {0x66, 0x0f, 0x7d}, {0x66, 0x0f, 0xd0},
        {0xf3, 0x0f, 0x16}, {0xf3, 0x0f, 0x12}, {0xf2, 0x0f, 0x12}};
    const auto modrm = [&](unsigned reg, unsigned rm) { return uint8_t(0xc0 | reg << 3 | rm); };
    const unsigned x = rng() % 8, y = rng() % 8, g = rng() % 8;
    switch (rng() % 5) {
        case 0:  // movd %gpr, %xmm (not ESP: the stack stays the test's)
            code.insert(code.end(), {0x66, 0x0f, 0x6e, modrm(x, g == esp ? eax : g)});
            break;
        case 1: {
            const auto& o = kSse3[rng() % std::size(kSse3)];
            code.insert(code.end(), {o[0], o[1], o[2], modrm(x, y)});
            break;
        }
        case 2:
            code.insert(code.end(), {0x66, 0x0f, 0x3a, 0x0f, modrm(x, y), uint8_t(rng() % 32)});
            break;  // palignr
        default:
            code.insert(code.end(),
                        {0x66, 0x0f, 0x38, kSsse3[rng() % std::size(kSsse3)], modrm(x, y)});
            break;
    }
}

// The XMM results folded into the general registers (movd %xmmN, %gpr), so that the
// comparison of registers sees them.
void fold_xmm(std::vector<uint8_t>& code) {
    for (unsigned g : {eax, ecx, edx, ebx, ebp, esi, edi})
        code.insert(code.end(), {0x66, 0x0f, 0x7e, uint8_t(0xc0 | g << 3 | g)});
}

TEST(Differential, RandomInnocuousSequencesMatchNativeExecution) {
    GuestMemory ram(16 << 20);
    const uint32_t gdt[8] = {0, 0, 0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    ram.write_bytes(kGdt, gdt, sizeof gdt);
    std::mt19937 rng(20061021);  // fixed seed: a failure is reproducible
    std::vector<uint32_t> seeds;
    for (int i = 0; i < kSequences; ++i) {
        std::vector<uint8_t> code;
        while (code.size() < kSlot - 32) random_instruction(rng, code);
        code.push_back(0xf4);  // hlt: a trap under trap, a callout under bt - the end
        ram.write_bytes(kCodeBase + i * kSlot, code.data(), code.size());
        seeds.push_back(rng());
    }
    std::vector<VcpuState> native(kSequences);
    {
        TrapEngine trap(ram);
        for (int i = 0; i < kSequences; ++i) {
            std::mt19937 r(seeds[i]);
            native[i] = initial_state(r, kCodeBase + i * kSlot);
            const Exit x = trap.run(native[i]);
            ASSERT_EQ(x.reason, ExitReason::kEmulate) << "sequence " << i;
        }
    }
    BtEngine bt(ram, nullptr);
    for (int i = 0; i < kSequences; ++i) {
        std::mt19937 r(seeds[i]);
        VcpuState s = initial_state(r, kCodeBase + i * kSlot);
        const Exit x = bt.run(s);
        ASSERT_EQ(x.reason, ExitReason::kEmulate) << "sequence " << i;
        ASSERT_EQ(s.eip, native[i].eip) << "sequence " << i;
        for (int g = 0; g < 8; ++g)
            ASSERT_EQ(s.gpr[g], native[i].gpr[g]) << "sequence " << i << " register " << g;
        ASSERT_EQ(s.eflags & eflags::kLiveInHardware, native[i].eflags & eflags::kLiveInHardware)
            << "sequence " << i;
    }
}

// SSE3 and SSSE3 (copied under the default profile) across block boundaries: the XMM state
// survives chaining and exits as natively.
TEST(Differential, RandomSse3AndSsse3SequencesMatchNativeExecution) {
    GuestMemory ram(16 << 20);
    const uint32_t gdt[8] = {0, 0, 0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    ram.write_bytes(kGdt, gdt, sizeof gdt);
    std::mt19937 rng(20081123);
    constexpr int kCount = 300;
    std::vector<uint32_t> seeds;
    for (int i = 0; i < kCount; ++i) {
        std::vector<uint8_t> code;
        while (code.size() < kSlot - 64) random_sse3_instruction(rng, code);
        fold_xmm(code);
        code.push_back(0xf4);
        ram.write_bytes(kCodeBase + i * kSlot, code.data(), code.size());
        seeds.push_back(rng());
    }
    const auto start = [&](int i) {
        std::mt19937 r(seeds[i]);
        VcpuState s = initial_state(r, kCodeBase + i * kSlot);
        s.cr4 = cr4::OSFXSR;  // SSE usable (else #UD)
        return s;
    };
    std::vector<VcpuState> native(kCount);
    {
        TrapEngine trap(ram);
        for (int i = 0; i < kCount; ++i) {
            native[i] = start(i);
            ASSERT_EQ(trap.run(native[i]).reason, ExitReason::kEmulate) << "sequence " << i;
        }
    }
    BtEngine bt(ram, nullptr);
    for (int i = 0; i < kCount; ++i) {
        VcpuState s = start(i);
        ASSERT_EQ(bt.run(s).reason, ExitReason::kEmulate) << "sequence " << i;
        ASSERT_EQ(s.eip, native[i].eip) << "sequence " << i;
        for (int g = 0; g < 8; ++g)
            ASSERT_EQ(s.gpr[g], native[i].gpr[g]) << "sequence " << i << " register " << g;
    }
}

}  // namespace
}  // namespace prevt
