// fuzz_gen: the differential fuzzer's generator. From a seed it writes N random sequences of
// 1-8 instructions (Zydis encoder; a fixed list of byte strings for the deliberately invalid
// and not-offered encodings) as an assembly file the fuzz guest links, and a list file with
// each sequence's bytes, menu classes and disassembly for the driver's report.
//
//   fuzz_gen --seed S --first K --count N [--exclude a,b,...] --asm OUT.S --list OUT.list
//
// Sequence K of seed S is the same whatever batch it is generated in. --exclude drops menu
// classes or features (names in tests/fuzz/README.md). Register conventions (fuzz.h): EAX,
// ECX, EDX are free; EBX, ESI, EDI, EBP, ESP point into the scratch area and only string
// instructions and push/pop move them, so every memory operand is one the generator chose.
#include <Zydis/Zydis.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fuzz.h"
#include "x87_model.hpp"

namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint32_t CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
constexpr uint32_t OSZAPC = CF | PF | AF | ZF | SF | OF;
constexpr uint32_t FSW_C023 = 0x4500;  // C0, C2, C3: undefined after most x87 arithmetic

struct Chunk {
    Bytes bytes;
    std::string cls;
};

class Gen {
public:
    Gen(uint64_t seed, const std::set<std::string>& excluded) : rng_(seed), excluded_(excluded) {}
    void sequence();
    std::vector<Chunk> chunks;
    uint32_t undef_fl = 0, undef_fsw = 0;  // flags/FSW bits some instruction leaves undefined
    bool pad = false;                      // an encoding whose length may differ: nops after

private:
    std::mt19937_64 rng_;
    const std::set<std::string>& excluded_;
    uint32_t undef_now_ = 0;  // undefined right now (for instructions that read flags)
    bool fsw_undef_now_ = false;  // C0/C2/C3 undefined right now (fnstsw would store them)
    std::string cls_;
    bool force_mem_ = false;  // the next alu/unary instruction has a memory destination

    uint32_t r(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
    bool pct(uint32_t p) { return r(100) < p; }
    bool on(const char* f) const { return !excluded_.count(f); }
    bool readable(uint32_t fl) const { return (undef_now_ & fl) == 0; }
    void emit(const Bytes& b, uint32_t undef = 0, uint32_t defined = 0, bool fsw_undef = false) {
        chunks.push_back({b, cls_});
        undef_now_ = (undef_now_ & ~defined) | undef;
        undef_fl |= undef;
        if (fsw_undef) undef_fsw |= FSW_C023, fsw_undef_now_ = true;
    }
    // Zydis requests.
    struct Req {
        ZydisEncoderRequest q;
        explicit Req(ZydisMnemonic m) {
            memset(&q, 0, sizeof q);
            q.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
            q.mnemonic = m;
        }
        Req& reg(ZydisRegister v) {
            auto& o = q.operands[q.operand_count++];
            o.type = ZYDIS_OPERAND_TYPE_REGISTER, o.reg.value = v;
            return *this;
        }
        Req& imm(int64_t v) {
            auto& o = q.operands[q.operand_count++];
            o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE, o.imm.s = v;
            return *this;
        }
        Req& mem(const ZydisEncoderOperand& m) {
            q.operands[q.operand_count++] = m;
            return *this;
        }
    };
    bool enc(Req& q, Bytes& out) {
        uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
        ZyanUSize n = sizeof buf;
        q.q.prefixes |= seg_;
        seg_ = 0;
        if (q.q.address_size_hint == ZYDIS_ADDRESS_SIZE_HINT_NONE)
            q.q.address_size_hint = addr16_ ? ZYDIS_ADDRESS_SIZE_HINT_16 : ZYDIS_ADDRESS_SIZE_HINT_32;
        addr16_ = false;
        if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&q.q, buf, &n))) return false;
        out.assign(buf, buf + n);
        return true;
    }
    bool put(Req q, uint32_t undef = 0, uint32_t defined = 0, bool fsw = false) {
        Bytes b;
        if (!enc(q, b)) return false;
        emit(b, undef, defined, fsw);
        return true;
    }
    void mov_imm(ZydisRegister reg, int64_t v) {  // setup: keeps the pending operand's prefix
        const ZyanU64 seg = seg_;
        const bool a16 = addr16_;
        seg_ = 0, addr16_ = false;
        Req q(ZYDIS_MNEMONIC_MOV);
        put(q.reg(reg).imm(v));
        seg_ = seg, addr16_ = a16;
    }

    ZyanU64 seg_ = 0;      // the segment prefix of the memory operand being built
    bool addr16_ = false;  // encode an absolute operand below 64 KiB with 16-bit addressing
    ZydisRegister wreg(int size);
    ZydisRegister rreg(int size);
    ZydisEncoderOperand mem(int size, int align = 1);
    ZydisEncoderOperand rm_or_reg(int size, bool writable, bool& is_mem);

public:  // the menu (kMenu below)
    bool alu2(), alu1(), shift(), bitop(), muldiv(), movx(), lea(), stack(), string(), bcd();
    bool lock(), prefix(), x87(), x87_transc(), x87_env(), sse(), sse_approx(), mmx();
    bool cpuid(), rdtsc(), sensitive(), segload(), priv(), fpuctl(), io(), intr(), invalid();
    bool notoffered(), overlong(), branch();
};

ZydisRegister Gen::wreg(int size) {
    static constexpr ZydisRegister w8[] = {ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL,
                                           ZYDIS_REGISTER_DL, ZYDIS_REGISTER_AH,
                                           ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH};
    static constexpr ZydisRegister w16[] = {ZYDIS_REGISTER_AX, ZYDIS_REGISTER_CX,
                                            ZYDIS_REGISTER_DX};
    static constexpr ZydisRegister w32[] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX,
                                            ZYDIS_REGISTER_EDX};
    return size == 1 ? w8[r(6)] : size == 2 ? w16[r(3)] : w32[r(3)];
}

ZydisRegister Gen::rreg(int size) {
    if (pct(60)) return wreg(size);
    static constexpr ZydisRegister r8[] = {ZYDIS_REGISTER_BL, ZYDIS_REGISTER_BH};
    static constexpr ZydisRegister r16[] = {ZYDIS_REGISTER_BX, ZYDIS_REGISTER_SP,
                                            ZYDIS_REGISTER_BP, ZYDIS_REGISTER_SI,
                                            ZYDIS_REGISTER_DI};
    static constexpr ZydisRegister r32[] = {ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_ESP,
                                            ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI,
                                            ZYDIS_REGISTER_EDI};
    return size == 1 ? r8[r(2)] : size == 2 ? r16[r(5)] : r32[r(5)];
}

// A memory operand the generator knows the address of: mostly inside the scratch area, some
// in the not-present page, the read-only page, above the mapped 8 MiB, or beyond FS's limit.
ZydisEncoderOperand Gen::mem(int size, int align) {
    ZydisEncoderOperand m;
    memset(&m, 0, sizeof m);
    m.type = ZYDIS_OPERAND_TYPE_MEMORY;
    m.mem.size = static_cast<ZyanU16>(size);
    auto aligned = [&](int64_t d) { return align > 1 && pct(80) ? d & ~int64_t(align - 1) : d; };
    const uint32_t k = r(100);
    bool fs = false;
    if (k < 45) {
        m.mem.base = ZYDIS_REGISTER_EBX;
        m.mem.displacement = aligned(pct(50) ? int64_t(r(256)) - 128 : int64_t(r(0x1000)) - 0x800);
    } else if (k < 57) {
        static constexpr ZydisRegister b[] = {ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI,
                                              ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESP};
        m.mem.base = b[r(4)];
        m.mem.displacement = aligned(int64_t(r(256)) - 128);
    } else if (k < 62 && on("pagefault")) {  // base + index*scale: above the mapped 8 MiB
        m.mem.base = pct(50) ? ZYDIS_REGISTER_EBX : ZYDIS_REGISTER_EBP;
        m.mem.index = pct(50) ? ZYDIS_REGISTER_ESI : ZYDIS_REGISTER_EDI;
        m.mem.scale = static_cast<ZyanU8>(1u << r(4));
        m.mem.displacement = int64_t(r(64));
    } else if (k < 74) {
        m.mem.displacement = aligned(FUZZ_SCRATCH + r(FUZZ_SCRATCH_SIZE - 16));
    } else if (k < 79 && on("pagefault")) {  // the hole, and operands straddling into it
        m.mem.displacement = pct(30) ? FUZZ_HOLE - 1 - r(size) : FUZZ_HOLE + r(0x1000 - 16);
    } else if (k < 84 && on("pagefault")) {
        m.mem.displacement = aligned(FUZZ_RO + r(0x1000 - 16));
    } else if (on("fs_limit")) {  // FS: base = scratch, limit 0x1fff; some beyond it
        fs = true;
        m.mem.displacement = pct(85) ? aligned(r(FUZZ_FS_LIMIT + 1 - 16)) : 0x1ff8 + r(0x100);
        addr16_ = on("addr16") && pct(25);
    } else {
        m.mem.base = ZYDIS_REGISTER_EBX;
        m.mem.displacement = aligned(r(0x100));
    }
    seg_ = 0;
    if (fs) {
        seg_ = ZYDIS_ATTRIB_HAS_SEGMENT_FS;
    } else if (pct(25)) {
        static constexpr struct {
            const char* name;
            ZyanU64 attr;
        } s[] = {{"seg_es", ZYDIS_ATTRIB_HAS_SEGMENT_ES}, {"seg_cs", ZYDIS_ATTRIB_HAS_SEGMENT_CS},
                 {"seg_ss", ZYDIS_ATTRIB_HAS_SEGMENT_SS}, {"seg_ds", ZYDIS_ATTRIB_HAS_SEGMENT_DS},
                 {"seg_fs", ZYDIS_ATTRIB_HAS_SEGMENT_FS}, {"seg_gs", ZYDIS_ATTRIB_HAS_SEGMENT_GS}};
        const auto& c = s[r(6)];
        if (on(c.name)) seg_ = c.attr;
    }
    return m;
}

ZydisEncoderOperand Gen::rm_or_reg(int size, bool writable, bool& is_mem) {
    is_mem = force_mem_ || pct(40);
    if (is_mem) return mem(size);
    ZydisEncoderOperand o;
    memset(&o, 0, sizeof o);
    o.type = ZYDIS_OPERAND_TYPE_REGISTER;
    o.reg.value = writable ? wreg(size) : rreg(size);
    return o;
}

int rsize(uint32_t x) { return x == 0 ? 1 : x == 1 ? 2 : 4; }

bool Gen::alu2() {
    static constexpr ZydisMnemonic ops[] = {
        ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR,  ZYDIS_MNEMONIC_ADC,  ZYDIS_MNEMONIC_SBB,
        ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_XOR,  ZYDIS_MNEMONIC_CMP,
        ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_MOV};
    const ZydisMnemonic m = ops[r(10)];
    if ((m == ZYDIS_MNEMONIC_ADC || m == ZYDIS_MNEMONIC_SBB) && !readable(CF)) return false;
    const int size = rsize(r(3));
    Req q(m);
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    const uint32_t f = r(3);
    if (f == 0) q.imm(size == 1 ? int8_t(r(256)) : size == 2 ? int16_t(r(65536)) : int32_t(rng_()));
    else if (f == 1 || dmem) q.reg(rreg(size));
    else q.mem(mem(size));
    const bool logic = m == ZYDIS_MNEMONIC_AND || m == ZYDIS_MNEMONIC_OR ||
                       m == ZYDIS_MNEMONIC_XOR || m == ZYDIS_MNEMONIC_TEST;
    if (m == ZYDIS_MNEMONIC_MOV) return put(q);
    return logic ? put(q, AF, OSZAPC & ~AF) : put(q, 0, OSZAPC);
}

bool Gen::alu1() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
                                            ZYDIS_MNEMONIC_NEG, ZYDIS_MNEMONIC_NOT};
    const ZydisMnemonic m = ops[r(4)];
    bool dmem;
    Req q(m);
    q.mem(rm_or_reg(rsize(r(3)), true, dmem));
    if (m == ZYDIS_MNEMONIC_NOT) return put(q);
    return put(q, 0, m == ZYDIS_MNEMONIC_NEG ? OSZAPC : OSZAPC & ~CF);
}

bool Gen::shift() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR,
                                            ZYDIS_MNEMONIC_RCL, ZYDIS_MNEMONIC_RCR,
                                            ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR,
                                            ZYDIS_MNEMONIC_SAR, ZYDIS_MNEMONIC_SHLD,
                                            ZYDIS_MNEMONIC_SHRD};
    const ZydisMnemonic m = ops[r(9)];
    const bool rot = m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR ||
                     m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
    const bool dbl = m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
    if ((m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR) && !readable(CF)) return false;
    const int size = dbl ? rsize(1 + r(2)) : rsize(r(3));
    Req q(m);
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    if (dbl) q.reg(rreg(size));
    const bool by_cl = !(dbl && size == 2) && pct(30);
    uint32_t count = 0;
    if (by_cl) {
        q.reg(ZYDIS_REGISTER_CL);
    } else {
        count = pct(25) ? 1 : dbl && size == 2 ? r(17) : pct(90) ? r(32) : r(256);
        q.imm(count);
    }
    const uint32_t c = count & 31;
    if (by_cl) return put(q, rot ? OF : OF | AF | CF, 0);
    if (c == 0) return put(q);
    const uint32_t of = c == 1 ? 0 : OF;
    if (rot) return put(q, of, (CF | OF) & ~of);
    const uint32_t cf = !dbl && c >= uint32_t(size * 8) ? CF : 0;
    return put(q, of | AF | cf, OSZAPC & ~(of | AF | cf));
}

bool Gen::bitop() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_BT,  ZYDIS_MNEMONIC_BTS,
                                            ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC,
                                            ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR};
    const ZydisMnemonic m = ops[r(6)];
    const int size = rsize(1 + r(2));
    Req q(m);
    if (m == ZYDIS_MNEMONIC_BSF || m == ZYDIS_MNEMONIC_BSR) {
        bool dmem;
        q.reg(wreg(size)).mem(rm_or_reg(size, false, dmem));
        return put(q, OSZAPC & ~ZF, ZF);
    }
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    if (pct(50)) {
        q.imm(r(pct(80) ? size * 8 : 256));
    } else {
        // A register bit offset reaches up to 2^31/8 bytes from a memory operand: bound it.
        if (dmem) mov_imm(size == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX, int64_t(r(4096)) - 1024);
        q.reg(dmem ? (size == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX) : rreg(size));
    }
    return put(q, OF | SF | AF | PF, CF);
}

bool Gen::muldiv() {
    const uint32_t k = r(7);
    const int size = rsize(r(3));
    bool dmem;
    if (k >= 4) {  // imul r, r/m [, imm]
        const int s = rsize(1 + r(2));
        Req q(ZYDIS_MNEMONIC_IMUL);
        q.reg(wreg(s)).mem(rm_or_reg(s, false, dmem));
        if (k == 6) q.imm(s == 2 ? int16_t(r(65536)) : int32_t(rng_()));
        return put(q, SF | ZF | AF | PF, CF | OF);
    }
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL,
                                            ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_IDIV};
    const ZydisMnemonic m = ops[k];
    if (k >= 2 && pct(50)) {  // a divide that often does not overflow
        if (pct(50)) mov_imm(ZYDIS_REGISTER_EDX, r(4));
        else emit({0x99});  // cdq
    }
    Req q(m);
    q.mem(rm_or_reg(size, false, dmem));
    if (k >= 2) return put(q, OSZAPC, 0);
    return put(q, SF | ZF | AF | PF, CF | OF);
}

bool Gen::movx() {
    const uint32_t k = r(14);
    bool dmem;
    switch (k) {
        case 0:
        case 1: {
            Req q(k ? ZYDIS_MNEMONIC_MOVSX : ZYDIS_MNEMONIC_MOVZX);
            const int ss = pct(50) ? 1 : 2;
            return put(q.reg(wreg(ss == 2 ? 4 : rsize(1 + r(2)))).mem(rm_or_reg(ss, false, dmem)));
        }
        case 2: {
            const int s = rsize(r(3));
            Req q(ZYDIS_MNEMONIC_XCHG);
            return put(q.mem(rm_or_reg(s, true, dmem)).reg(wreg(s)));
        }
        case 3:
        case 4: {
            const int s = rsize(r(3));
            Req q(k == 3 ? ZYDIS_MNEMONIC_CMPXCHG : ZYDIS_MNEMONIC_XADD);
            return put(q.mem(rm_or_reg(s, true, dmem)).reg(k == 3 ? rreg(s) : wreg(s)), 0, OSZAPC);
        }
        case 5: {
            Req q(ZYDIS_MNEMONIC_BSWAP);
            return put(q.reg(wreg(4)));
        }
        case 6: {
            if (!readable(OSZAPC)) return false;
            Req q(static_cast<ZydisMnemonic>(ZYDIS_MNEMONIC_CMOVB + r(16)));
            const int s = rsize(1 + r(2));
            return put(q.reg(wreg(s)).mem(rm_or_reg(s, false, dmem)));
        }
        case 7: {
            if (!readable(OSZAPC)) return false;
            static constexpr ZydisMnemonic cc[] = {
                ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETL,
                ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETNBE,
                ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_SETNO,
                ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETNZ,
                ZYDIS_MNEMONIC_SETO,  ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETS,
                ZYDIS_MNEMONIC_SETZ};
            Req q(cc[r(16)]);
            return put(q.mem(rm_or_reg(1, true, dmem)));
        }
        case 8: {
            static const Bytes conv[] = {{0x98}, {0x66, 0x98}, {0x99}, {0x66, 0x99}};
            emit(conv[r(4)]);
            return true;
        }
        case 9:
            if (!readable(SF | ZF | AF | PF | CF)) return false;
            emit({0x9f});  // lahf
            return true;
        case 10: emit({0x9e}, 0, SF | ZF | AF | PF | CF); return true;  // sahf
        case 11: {
            const uint32_t w = r(3);
            if (w == 2 && !readable(CF)) return false;
            emit({static_cast<uint8_t>(w == 0 ? 0xf8 : w == 1 ? 0xf9 : 0xf5)}, 0, CF);
            return true;
        }
        case 12: {
            Req q(ZYDIS_MNEMONIC_CMPXCHG8B);
            return put(q.mem(mem(8)), 0, ZF);
        }
        default: {  // nop forms
            static const Bytes nops[] = {{0x90}, {0x0f, 0x1f, 0x00}, {0x66, 0x90},
                                         {0x0f, 0x1f, 0x44, 0x00, 0x00}};
            emit(nops[r(4)]);
            return true;
        }
    }
}

bool Gen::lea() {
    static constexpr ZydisRegister any[] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX,
                                            ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
                                            ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP,
                                            ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    ZydisEncoderOperand m;
    memset(&m, 0, sizeof m);
    m.type = ZYDIS_OPERAND_TYPE_MEMORY;
    if (on("addr16") && pct(20)) {  // 16-bit addressing through 0x67
        static constexpr ZydisRegister b16[] = {ZYDIS_REGISTER_BX, ZYDIS_REGISTER_BP};
        static constexpr ZydisRegister i16[] = {ZYDIS_REGISTER_SI, ZYDIS_REGISTER_DI};
        m.mem.base = b16[r(2)];
        if (pct(70)) m.mem.index = i16[r(2)], m.mem.scale = 1;
        m.mem.displacement = int16_t(r(65536));
        addr16_ = true;
    } else {
        m.mem.base = pct(85) ? any[r(8)] : ZYDIS_REGISTER_NONE;
        if (pct(50)) {
            m.mem.index = any[r(8)];
            if (m.mem.index == ZYDIS_REGISTER_ESP) m.mem.index = ZYDIS_REGISTER_EAX;
            m.mem.scale = static_cast<ZyanU8>(1u << r(4));
        }
        m.mem.displacement = pct(50) ? int64_t(r(256)) - 128 : int32_t(rng_());
    }
    const int size = rsize(1 + r(2));
    m.mem.size = static_cast<ZyanU16>(size);  // Zydis wants the destination's size
    Req q(ZYDIS_MNEMONIC_LEA);
    return put(q.reg(wreg(size)).mem(m));
}

bool Gen::stack() {
    bool dmem;
    switch (r(8)) {
        case 0:
        case 1: {
            Req q(ZYDIS_MNEMONIC_PUSH);
            const int s = pct(85) ? 4 : 2;
            const uint32_t f = r(3);
            if (f == 0) q.reg(rreg(s));
            else if (f == 1) q.imm(s == 2 ? int16_t(r(65536)) : int32_t(rng_()));
            else q.mem(mem(s));
            if (f == 1) q.q.operand_size_hint = s == 2 ? ZYDIS_OPERAND_SIZE_HINT_16 : ZYDIS_OPERAND_SIZE_HINT_32;
            return put(q);
        }
        case 2: {
            Req q(ZYDIS_MNEMONIC_POP);
            const int s = pct(85) ? 4 : 2;
            return put(q.mem(rm_or_reg(s, true, dmem)));
        }
        case 3:
            if (!readable(OSZAPC)) return false;
            emit({0x9c});  // pushfd
            return true;
        case 4:
        case 5: {  // push imm32; popfd: TF, NT, RF, VM stay clear (the fuzzer does not step)
            uint32_t keep = OSZAPC | 0x400 /* DF */;
            if (on("popf_if")) keep |= 0x200;
            if (on("popf_iopl")) keep |= 0x3000;
            if (on("popf_ac")) keep |= 0x40000;
            if (on("popf_id")) keep |= 0x200000;
            Req q(ZYDIS_MNEMONIC_PUSH);
            q.imm(int32_t((uint32_t(rng_()) & keep) | 2));
            q.q.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_32;
            if (!put(q)) return false;
            emit({0x9d}, 0, OSZAPC);
            return true;
        }
        case 6:
            if (!readable(OSZAPC)) return false;
            emit({0x9c});
            emit({0x9d}, 0, OSZAPC);
            return true;
        default:
            emit({0x60});  // pushad; popad
            emit({0x61});
            return true;
    }
}

bool Gen::string() {
    static constexpr uint8_t ops[] = {0xa4, 0xaa, 0xac, 0xa6, 0xae};  // movs stos lods cmps scas
    const uint8_t op = static_cast<uint8_t>(ops[r(5)] + (pct(60) ? 1 : 0));
    const bool compare = (op & 0xfe) == 0xa6 || (op & 0xfe) == 0xae;
    if (pct(30)) emit({static_cast<uint8_t>(pct(50) ? 0xfd : 0xfc)}, 0, 0x400);  // std / cld
    Bytes b;
    const bool rep = pct(60);
    uint32_t count = 1;
    if (rep) {
        count = r(13);
        mov_imm(ZYDIS_REGISTER_ECX, count);
        b.push_back(compare && pct(50) ? 0xf2 : 0xf3);
    }
    if (pct(20)) b.push_back(0x66);
    const bool src = (op & 0xfe) == 0xa4 || (op & 0xfe) == 0xac || (op & 0xfe) == 0xa6;
    if (src && pct(30)) {
        static constexpr struct {
            const char* name;
            uint8_t p;
        } s[] = {{"seg_es", 0x26}, {"seg_cs", 0x2e}, {"seg_ss", 0x36},
                 {"seg_ds", 0x3e}, {"seg_fs", 0x64}, {"seg_gs", 0x65}};
        const auto& c = s[r(6)];
        if (on(c.name)) b.push_back(c.p);
    }
    b.push_back(op);
    emit(b, 0, compare && count ? OSZAPC : 0);  // rep with ECX = 0 leaves the flags as they were
    return true;
}

bool Gen::bcd() {
    switch (r(6)) {
        case 0:
            if (!readable(CF | AF)) return false;
            emit({0x27}, OF, OSZAPC & ~OF);  // daa
            return true;
        case 1:
            if (!readable(CF | AF)) return false;
            emit({0x2f}, OF, OSZAPC & ~OF);  // das
            return true;
        case 2:
            if (!readable(AF)) return false;
            emit({0x37}, OF | SF | ZF | PF, AF | CF);  // aaa
            return true;
        case 3:
            if (!readable(AF)) return false;
            emit({0x3f}, OF | SF | ZF | PF, AF | CF);  // aas
            return true;
        case 4: emit({0xd4, static_cast<uint8_t>(pct(15) ? 0 : r(256))}, OF | AF | CF, SF | ZF | PF); return true;
        default: emit({0xd5, static_cast<uint8_t>(r(256))}, OF | AF | CF, SF | ZF | PF); return true;
    }
}

// lock: legal on a memory read-modify-write, #UD on a register destination or another opcode.
bool Gen::lock() {
    force_mem_ = pct(80);
    const size_t before = chunks.size();
    uint32_t k = r(4);
    // lock bt* on a register kills QEMU 7.2 ("tcg fatal error"): known_deviations.md QEMU-1.
    if (k == 2 && !force_mem_) k = 0;
    const bool ok = k == 0 ? alu2() : k == 1 ? alu1() : k == 2 ? bitop() : movx();
    force_mem_ = false;
    if (!ok || chunks.size() == before) return false;
    chunks.back().bytes.insert(chunks.back().bytes.begin(), 0xf0);
    return true;
}

// Redundant prefixes: extra segment overrides (the last one counts), rep/repne on an
// integer instruction, a repeated operand-size prefix on a 16-bit one.
bool Gen::prefix() {
    force_mem_ = pct(80);
    const size_t before = chunks.size();
    const bool ok = pct(50) ? alu2() : alu1();
    force_mem_ = false;
    if (!ok || chunks.size() == before) return false;
    Bytes& b = chunks.back().bytes;
    static constexpr uint8_t segs[] = {0x26, 0x36, 0x3e, 0x64, 0x65, 0x2e};
    const uint32_t n = 1 + r(3);
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t p = r(10);
        uint8_t byte = p < 6 ? segs[p] : p < 8 ? 0xf3 : 0xf2;
        if (byte == 0x2e && !on("seg_cs")) byte = 0x3e;
        if (byte == 0x65 && !on("seg_gs")) byte = 0x3e;
        if (byte == 0x64 && !on("seg_fs")) byte = 0x3e;
        if ((byte == 0xf2 || byte == 0xf3) && !on("rep_noise")) byte = 0x3e;
        b.insert(b.begin(), byte);
    }
    if (b.size() > 15) return false;
    return true;
}

bool Gen::x87() {
    auto st = [&](uint32_t i) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + i); };
    const uint32_t k = r(16);
    switch (k) {
        case 0: {  // fld m32/m64/m80 or st(i)
            Req q(ZYDIS_MNEMONIC_FLD);
            const uint32_t f = r(4);
            if (f == 3) q.reg(st(r(8)));
            else q.mem(mem(f == 0 ? 4 : f == 1 ? 8 : 10));
            return put(q, 0, 0, true);
        }
        case 1: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FSTP : ZYDIS_MNEMONIC_FST);
            const uint32_t f = r(4);
            if (f == 3) q.reg(st(1 + r(7)));
            else if (f == 2 && q.q.mnemonic == ZYDIS_MNEMONIC_FSTP) q.mem(mem(10));
            else q.mem(mem(f == 0 ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 2: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FILD : ZYDIS_MNEMONIC_FISTP);
            q.mem(mem(rsize(1 + r(2)) == 2 ? 2 : pct(50) ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 3:
        case 4:
        case 5: {
            static constexpr ZydisMnemonic ops[] = {
                ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FMUL,
                ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FDIVR};
            Req q(ops[r(6)]);
            const uint32_t f = r(3);
            if (f == 0) q.reg(st(0)).reg(st(r(8)));
            else if (f == 1) q.reg(st(r(8))).reg(st(0));
            else q.mem(mem(pct(50) ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 6: {
            static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FMULP,
                                                    ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FDIVP};
            Req q(ops[r(4)]);
            return put(q.reg(st(1 + r(7))).reg(st(0)), 0, 0, true);
        }
        case 7: {
            Req q(ZYDIS_MNEMONIC_FXCH);
            return put(q.reg(st(0)).reg(st(1 + r(7))), 0, 0, true);
        }
        case 8: {
            static const Bytes one[] = {{0xd9, 0xe0}, {0xd9, 0xe1}, {0xd9, 0xfa}, {0xd9, 0xfc},
                                        {0xd9, 0xee}, {0xd9, 0xe8}, {0xd9, 0xeb}, {0xd9, 0xea},
                                        {0xd9, 0xfd}, {0xd9, 0xf4}, {0xd9, 0xf7}, {0xd9, 0xf6}};
            emit(one[r(12)], 0, 0, true);  // fchs fabs fsqrt frndint fldz fld1 fldpi fldl2e
            return true;                   // fscale fxtract fincstp fdecstp
        }
        case 9: {  // compares define C0 C2 C3 (or EFLAGS for fcomi)
            static const Bytes cmp[] = {{0xd8, 0xd1}, {0xd8, 0xd9}, {0xdd, 0xe1}, {0xd9, 0xe4},
                                        {0xd9, 0xe5}, {0xd9, 0xf8}, {0xd9, 0xf5}};
            const uint32_t i = r(9);
            if (i < 7) {
                emit(cmp[i]);  // fcom fcomp fucom ftst fxam fprem fprem1
                fsw_undef_now_ = false;  // they define C0, C2, C3
                return true;
            }
            emit({static_cast<uint8_t>(i == 7 ? 0xdb : 0xdf), static_cast<uint8_t>(0xf0 + r(8))},
                 0, OSZAPC);  // fcomi / fcomip
            return true;
        }
        case 10: {
            if (!readable(CF | ZF | PF)) return false;
            emit({static_cast<uint8_t>(0xda + r(2)), static_cast<uint8_t>(0xc0 + r(32))}, 0, 0,
                 true);  // fcmovcc
            return true;
        }
        case 11: {
            if (fsw_undef_now_) return false;  // the digest masks C0/C2/C3, EAX or memory not
            if (pct(50)) {
                emit({0xdf, 0xe0});  // fnstsw %ax
                return true;
            }
            Req q(ZYDIS_MNEMONIC_FNSTSW);
            return put(q.mem(mem(2)));
        }
        case 12: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FNSTCW : ZYDIS_MNEMONIC_FLDCW);
            return put(q.mem(mem(2)));
        }
        case 13: {  // fldcw of a chosen value: unmasked exceptions, precision, rounding
            const uint16_t cw = static_cast<uint16_t>(0x0040 | (r(4) << 10) | (r(4) << 8) |
                                                      (pct(60) ? 0x3f : r(64)));
            Req s(ZYDIS_MNEMONIC_MOV);
            ZydisEncoderOperand m = mem(2);
            m.mem.base = ZYDIS_REGISTER_EBX, m.mem.index = ZYDIS_REGISTER_NONE;
            m.mem.displacement = -0x7f0;
            seg_ = 0;
            put(s.mem(m).imm(int16_t(cw)));
            Req q(ZYDIS_MNEMONIC_FLDCW);
            return put(q.mem(m));
        }
        case 14: {
            static const Bytes misc[] = {{0xdb, 0xe2}, {0x9b}, {0xdb, 0xe3}, {0xdd, 0xc0}};
            const uint32_t i = r(4);
            emit(misc[i] == Bytes{0xdd, 0xc0} ? Bytes{0xdd, static_cast<uint8_t>(0xc0 + r(8))}
                                              : misc[i]);  // fnclex fwait fninit ffree
            if (i == 2) fsw_undef_now_ = false;            // fninit: C0-C3 clear
            return true;
        }
        default: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FIST : ZYDIS_MNEMONIC_FIADD);
            q.mem(mem(pct(50) ? 2 : 4));
            return put(q, 0, 0, true);
        }
    }
}

bool Gen::x87_transc() {
    static const Bytes ops[] = {{0xd9, 0xfe}, {0xd9, 0xff}, {0xd9, 0xfb}, {0xd9, 0xf2},
                                {0xd9, 0xf3}, {0xd9, 0xf0}, {0xd9, 0xf1}, {0xd9, 0xf9}};
    emit(ops[r(8)], 0, 0, true);  // fsin fcos fsincos fptan fpatan f2xm1 fyl2x fyl2xp1
    return true;
}

bool Gen::x87_env() {  // FIP/FCS/FDP/FDS in memory: what the end-of-sequence digest leaves out
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_FNSTENV, ZYDIS_MNEMONIC_FLDENV,
                                            ZYDIS_MNEMONIC_FNSAVE, ZYDIS_MNEMONIC_FRSTOR,
                                            ZYDIS_MNEMONIC_FXSAVE, ZYDIS_MNEMONIC_FXRSTOR};
    const uint32_t i = r(6);
    Req q(ops[i]);
    ZydisEncoderOperand m = mem(i < 2 ? 28 : i < 4 ? 108 : 512, 16);
    m.mem.base = ZYDIS_REGISTER_EBX, m.mem.index = ZYDIS_REGISTER_NONE;
    m.mem.displacement = (int64_t(r(0x800)) - 0x800) & ~int64_t(i >= 4 && pct(90) ? 15 : 0);
    return put(q.mem(m), 0, 0, true);
}

struct SseOp {
    ZydisMnemonic m;
    uint8_t kind;  // 0 xmm,xmm/m  1 xmm,xmm/m,imm8  2 xmm,imm8  3 xmm,r/m32  4 r32,xmm
    uint8_t msize;
};

bool Gen::sse() {
    static constexpr SseOp ops[] = {
        {ZYDIS_MNEMONIC_ADDPS, 0, 16},     {ZYDIS_MNEMONIC_SUBPS, 0, 16},
        {ZYDIS_MNEMONIC_MULPS, 0, 16},     {ZYDIS_MNEMONIC_DIVPS, 0, 16},
        {ZYDIS_MNEMONIC_MINPS, 0, 16},     {ZYDIS_MNEMONIC_MAXPS, 0, 16},
        {ZYDIS_MNEMONIC_SQRTPS, 0, 16},    {ZYDIS_MNEMONIC_ANDPS, 0, 16},
        {ZYDIS_MNEMONIC_XORPS, 0, 16},     {ZYDIS_MNEMONIC_UNPCKLPS, 0, 16},
        {ZYDIS_MNEMONIC_ADDSS, 0, 4},      {ZYDIS_MNEMONIC_MULSS, 0, 4},
        {ZYDIS_MNEMONIC_DIVSD, 0, 8},      {ZYDIS_MNEMONIC_ADDPD, 0, 16},
        {ZYDIS_MNEMONIC_SQRTSD, 0, 8},     {ZYDIS_MNEMONIC_CVTPS2PD, 0, 8},
        {ZYDIS_MNEMONIC_CVTSD2SS, 0, 8},   {ZYDIS_MNEMONIC_CVTDQ2PS, 0, 16},
        {ZYDIS_MNEMONIC_CVTTPS2DQ, 0, 16}, {ZYDIS_MNEMONIC_PADDB, 0, 16},
        {ZYDIS_MNEMONIC_PADDW, 0, 16},     {ZYDIS_MNEMONIC_PADDQ, 0, 16},
        {ZYDIS_MNEMONIC_PSUBD, 0, 16},     {ZYDIS_MNEMONIC_PMULLW, 0, 16},
        {ZYDIS_MNEMONIC_PMULUDQ, 0, 16},   {ZYDIS_MNEMONIC_PXOR, 0, 16},
        {ZYDIS_MNEMONIC_PAND, 0, 16},      {ZYDIS_MNEMONIC_PCMPEQB, 0, 16},
        {ZYDIS_MNEMONIC_PCMPGTD, 0, 16},   {ZYDIS_MNEMONIC_PUNPCKLBW, 0, 16},
        {ZYDIS_MNEMONIC_PMADDWD, 0, 16},   {ZYDIS_MNEMONIC_PSADBW, 0, 16},
        {ZYDIS_MNEMONIC_PAVGB, 0, 16},     {ZYDIS_MNEMONIC_PMAXSW, 0, 16},
        {ZYDIS_MNEMONIC_MOVAPS, 0, 16},    {ZYDIS_MNEMONIC_MOVUPS, 0, 16},
        {ZYDIS_MNEMONIC_MOVDQA, 0, 16},    {ZYDIS_MNEMONIC_MOVDQU, 0, 16},
        {ZYDIS_MNEMONIC_MOVSS, 0, 4},      {ZYDIS_MNEMONIC_MOVSD, 0, 8},
        {ZYDIS_MNEMONIC_CMPPS, 1, 16},     {ZYDIS_MNEMONIC_SHUFPS, 1, 16},
        {ZYDIS_MNEMONIC_PSHUFD, 1, 16},    {ZYDIS_MNEMONIC_PSHUFLW, 1, 16},
        {ZYDIS_MNEMONIC_CMPSD, 1, 8},      {ZYDIS_MNEMONIC_PSLLW, 2, 0},
        {ZYDIS_MNEMONIC_PSRLD, 2, 0},      {ZYDIS_MNEMONIC_PSRAW, 2, 0},
        {ZYDIS_MNEMONIC_PSLLQ, 2, 0},      {ZYDIS_MNEMONIC_PSRLDQ, 2, 0},
        {ZYDIS_MNEMONIC_CVTSI2SD, 3, 4},   {ZYDIS_MNEMONIC_CVTSI2SS, 3, 4},
        {ZYDIS_MNEMONIC_MOVD, 3, 4},       {ZYDIS_MNEMONIC_CVTTSD2SI, 4, 8},
        {ZYDIS_MNEMONIC_CVTSS2SI, 4, 4},   {ZYDIS_MNEMONIC_PMOVMSKB, 4, 0},
        {ZYDIS_MNEMONIC_MOVMSKPS, 4, 0},   {ZYDIS_MNEMONIC_COMISS, 5, 4},
        {ZYDIS_MNEMONIC_UCOMISD, 5, 8},    {ZYDIS_MNEMONIC_LDMXCSR, 6, 4},
        {ZYDIS_MNEMONIC_STMXCSR, 6, 4},
    };
    const SseOp& o = ops[r(sizeof ops / sizeof ops[0])];
    auto x = [&]() { return static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8)); };
    Req q(o.m);
    const bool m = o.msize && pct(40);
    switch (o.kind) {
        case 0:
        case 1:
        case 5:
            if (m && (o.m == ZYDIS_MNEMONIC_MOVAPS || o.m == ZYDIS_MNEMONIC_MOVUPS ||
                      o.m == ZYDIS_MNEMONIC_MOVDQA || o.m == ZYDIS_MNEMONIC_MOVDQU ||
                      o.m == ZYDIS_MNEMONIC_MOVSS || o.m == ZYDIS_MNEMONIC_MOVSD) && pct(50))
                q.mem(mem(o.msize, o.msize)).reg(x());  // a store
            else if (m) q.reg(x()).mem(mem(o.msize, o.msize));
            else q.reg(x()).reg(x());
            if (o.kind == 1) q.imm(r(o.m == ZYDIS_MNEMONIC_CMPPS || o.m == ZYDIS_MNEMONIC_CMPSD ? 8 : 256));
            return o.kind == 5 ? put(q, 0, OSZAPC) : put(q);
        case 2: return put(q.reg(x()).imm(r(pct(80) ? 16 : 256)));
        case 3: {
            if (m) return put(q.reg(x()).mem(mem(4)));
            return put(q.reg(x()).reg(rreg(4)));
        }
        case 4: {
            if (o.msize && m) return put(q.reg(wreg(4)).mem(mem(o.msize)));
            return put(q.reg(wreg(4)).reg(x()));
        }
        default: {  // ldmxcsr / stmxcsr; ldmxcsr of a chosen value most of the time
            ZydisEncoderOperand mm = mem(4);
            if (o.m == ZYDIS_MNEMONIC_LDMXCSR && pct(70)) {
                mm.mem.base = ZYDIS_REGISTER_EBX, mm.mem.index = ZYDIS_REGISTER_NONE;
                mm.mem.displacement = -0x7e0;
                const ZyanU64 seg = seg_;
                seg_ = 0;
                uint32_t v = static_cast<uint32_t>(r(0x10000));
                if (pct(85)) v &= on("mxcsr_daz") ? 0xffff : 0xffbf;
                if (pct(60)) v |= 0x1f80;
                Req s(ZYDIS_MNEMONIC_MOV);
                put(s.mem(mm).imm(int32_t(v)));
                seg_ = seg;
            }
            return put(q.mem(mm));
        }
    }
}

bool Gen::sse_approx() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_RCPPS, ZYDIS_MNEMONIC_RSQRTPS,
                                            ZYDIS_MNEMONIC_RCPSS, ZYDIS_MNEMONIC_RSQRTSS};
    Req q(ops[r(4)]);
    return put(q.reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8)))
                   .reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8))));
}

bool Gen::mmx() {
    auto mm = [&]() { return static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + r(8)); };
    switch (r(5)) {
        case 0: {
            Req q(ZYDIS_MNEMONIC_MOVQ);
            if (pct(50)) return put(q.reg(mm()).mem(mem(8)), 0, 0, true);
            return put(q.reg(mm()).reg(mm()), 0, 0, true);
        }
        case 1: {
            Req q(ZYDIS_MNEMONIC_MOVD);
            return put(q.reg(mm()).reg(rreg(4)), 0, 0, true);
        }
        case 2: {
            static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_PADDB, ZYDIS_MNEMONIC_PMULLW,
                                                    ZYDIS_MNEMONIC_PXOR, ZYDIS_MNEMONIC_PSUBSW};
            Req q(ops[r(4)]);
            return put(q.reg(mm()).reg(mm()), 0, 0, true);
        }
        case 3: {
            Req q(ZYDIS_MNEMONIC_MOVD);
            return put(q.reg(wreg(4)).reg(mm()), 0, 0, true);
        }
        default: emit({0x0f, 0x77}, 0, 0, true); return true;  // emms
    }
}

bool Gen::cpuid() {  // the outputs are not compared (QEMU's CPU is not prevt's profile)
    static constexpr uint32_t leaves[] = {0, 1, 2, 3, 4, 0x80000000, 0x80000001, 0x40000000};
    mov_imm(ZYDIS_REGISTER_EAX, leaves[r(8)]);
    emit({0x0f, 0xa2});
    mov_imm(ZYDIS_REGISTER_EAX, 0);
    mov_imm(ZYDIS_REGISTER_EBX, FUZZ_EBX);
    mov_imm(ZYDIS_REGISTER_ECX, 0);
    mov_imm(ZYDIS_REGISTER_EDX, 0);
    return true;
}

bool Gen::rdtsc() {  // the value is not compared (time): the instruction must not fault
    emit({0x0f, 0x31});
    mov_imm(ZYDIS_REGISTER_EAX, 0);
    mov_imm(ZYDIS_REGISTER_EDX, 0);
    return true;
}

constexpr uint16_t kSelectors[] = {0x00, 0x08, 0x10, 0x18, 0x20, 0x38, 0x40, 0x48, 0x50,
                                   0x4b, 0x53, 0x80, 0x88, 0x90, 0x98, 0x9b, 0xc0, 0xfff8,
                                   0x04, 0x0c, 0x03, 0x0b, 0x13};

bool Gen::sensitive() {
    bool dmem;
    switch (r(8)) {
        case 0: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_SGDT : ZYDIS_MNEMONIC_SIDT);
            return put(q.mem(mem(6)));
        }
        case 1: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_SLDT : ZYDIS_MNEMONIC_STR);
            if (pct(50)) return put(q.mem(mem(2)));
            return put(q.reg(wreg(rsize(1 + r(2)))));
        }
        case 2: {
            Req q(ZYDIS_MNEMONIC_SMSW);
            if (pct(40)) return put(q.mem(mem(2)));
            const int size = on("smsw32") ? rsize(1 + r(2)) : 2;
            const ZydisRegister reg = wreg(size);
            if (!put(q.reg(reg))) return false;
            // SDM: with a 32-bit register "the upper 16 bits of the register are undefined"
            // (QEMU stores CR0's, prevt zero): movzwl keeps the defined low half only.
            if (size == 4) {
                const auto n = static_cast<uint8_t>(reg - ZYDIS_REGISTER_EAX);
                emit({0x0f, 0xb7, static_cast<uint8_t>(0xc0 | n << 3 | n)});
            }
            return true;
        }
        case 3:
        case 4: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_LAR : ZYDIS_MNEMONIC_LSL);
            const int s = rsize(1 + r(2));
            mov_imm(ZYDIS_REGISTER_ECX, kSelectors[r(sizeof kSelectors / 2)]);
            return put(q.reg(s == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX)
                           .reg(s == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX),
                       0, ZF);
        }
        case 5: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_VERR : ZYDIS_MNEMONIC_VERW);
            mov_imm(ZYDIS_REGISTER_ECX, kSelectors[r(sizeof kSelectors / 2)]);
            return put(q.reg(ZYDIS_REGISTER_CX), 0, ZF);
        }
        case 6: {  // mov from a segment register
            static constexpr ZydisRegister s[] = {ZYDIS_REGISTER_ES, ZYDIS_REGISTER_CS,
                                                  ZYDIS_REGISTER_SS, ZYDIS_REGISTER_DS,
                                                  ZYDIS_REGISTER_FS, ZYDIS_REGISTER_GS};
            Req q(ZYDIS_MNEMONIC_MOV);
            const ZydisRegister sr = s[r(6)];
            if (sr == ZYDIS_REGISTER_GS && !on("seg_gs")) return false;
            return put(q.mem(rm_or_reg(pct(50) ? 4 : 2, true, dmem)).reg(sr));
        }
        default: {  // push a segment register over a zeroed slot (a 32-bit push may store 16)
            static constexpr uint8_t push[] = {0x06, 0x0e, 0x16, 0x1e};
            const uint32_t i = r(6);
            Req z(ZYDIS_MNEMONIC_MOV);
            ZydisEncoderOperand m = mem(4);
            m.mem.base = ZYDIS_REGISTER_ESP, m.mem.index = ZYDIS_REGISTER_NONE;
            m.mem.displacement = -4;
            seg_ = 0;
            put(z.mem(m).imm(0));
            if (i < 4) emit({push[i]});
            else if (i == 4) emit({0x0f, 0xa0});
            else if (on("seg_gs")) emit({0x0f, 0xa8});
            return true;
        }
    }
}

bool Gen::segload() {  // ES, FS, GS only: the capture code relies on DS and SS
    static constexpr struct {
        ZydisRegister reg;
        const char* name;
    } s[] = {{ZYDIS_REGISTER_ES, "seg_es"}, {ZYDIS_REGISTER_FS, "seg_fs"},
             {ZYDIS_REGISTER_GS, "seg_gs"}};
    const auto& d = s[r(3)];
    if (!on(d.name)) return false;
    const uint16_t sel = kSelectors[r(sizeof kSelectors / 2)];
    if (pct(70)) {
        mov_imm(ZYDIS_REGISTER_EAX, sel);
        Req q(ZYDIS_MNEMONIC_MOV);
        return put(q.reg(d.reg).reg(ZYDIS_REGISTER_AX));
    }
    Req p(ZYDIS_MNEMONIC_PUSH);
    p.imm(sel);
    p.q.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_32;
    put(p);
    emit(d.reg == ZYDIS_REGISTER_ES   ? Bytes{0x07}
         : d.reg == ZYDIS_REGISTER_FS ? Bytes{0x0f, 0xa1}
                                      : Bytes{0x0f, 0xa9});
    return true;
}

bool Gen::priv() {
    switch (r(6)) {
        case 0: emit({static_cast<uint8_t>(pct(50) ? 0xfa : 0xfb)}); return true;  // cli sti
        case 1: {
            static constexpr uint8_t crs[] = {0, 2, 3, 4};
            emit({0x0f, 0x20, static_cast<uint8_t>(0xc0 | (crs[r(4)] << 3) | r(3))});
            return true;
        }
        case 2: {
            Req q(ZYDIS_MNEMONIC_INVLPG);
            return put(q.mem(mem(1)));
        }
        case 3: emit({0x0f, 0x09}); return true;  // wbinvd
        case 4: emit({0x0f, 0x21, static_cast<uint8_t>(0xc0 | (7 << 3) | r(3))}); return true;
        default: emit({0x0f, 0x06}); return true;  // clts (TS is clear: no effect)
    }
}

bool Gen::fpuctl() {  // lmsw sets MP/EM/TS: the next x87/SSE instruction must #NM or #UD
    static constexpr uint16_t v[] = {0x1, 0x3, 0x5, 0x9, 0xb, 0xf, 0x7, 0xd};
    mov_imm(ZYDIS_REGISTER_EAX, v[r(8)] | (r(2) ? 0x10 : 0));
    emit({0x0f, 0x01, 0xf0});  // lmsw %ax
    return true;
}

bool Gen::io() {
    const bool scratch = pct(40);  // COM1's scratch register: byte accesses only (QEMU)
    const uint32_t size = scratch ? 0 : r(3);
    const uint8_t w = size == 0 ? 0 : 1;
    Bytes pre = size == 1 ? Bytes{0x66} : Bytes{};
    auto with = [&](Bytes b) {
        b.insert(b.begin(), pre.begin(), pre.end());
        return b;
    };
    switch (r(3)) {
        case 0:
            if (scratch) {
                mov_imm(ZYDIS_REGISTER_EDX, FUZZ_IO_PORT2);
                emit(with({static_cast<uint8_t>((pct(50) ? 0xec : 0xee) | w)}));
            } else {
                emit(with({static_cast<uint8_t>((pct(50) ? 0xe4 : 0xe6) | w), FUZZ_IO_PORT}));
            }
            return true;
        case 1:
            mov_imm(ZYDIS_REGISTER_EDX, scratch ? FUZZ_IO_PORT2 : FUZZ_IO_PORT);
            emit(with({static_cast<uint8_t>((pct(50) ? 0xec : 0xee) | w)}));
            return true;
        default: {  // rep ins / outs
            mov_imm(ZYDIS_REGISTER_EDX, scratch ? FUZZ_IO_PORT2 : FUZZ_IO_PORT);
            mov_imm(ZYDIS_REGISTER_ECX, r(6));
            Bytes b = with({0xf3, static_cast<uint8_t>((pct(50) ? 0x6c : 0x6e) | w)});
            emit(b);
            return true;
        }
    }
}

bool Gen::intr() {
    switch (r(6)) {
        case 0: emit({0xcc}); return true;
        case 1:
            if (!readable(OF)) return false;
            emit({0xce});
            return true;
        case 2: emit({0x0f, 0x0b}); return true;
        case 3: emit({0xf1}); return true;  // icebp: #DB
        case 4: {  // int n: no vector the CPU gives an error code, and not 0xff (the digest's
                   // "no exception": the frame's undefined flags would stay unmasked)
            static constexpr uint8_t v[] = {0, 1, 3, 4, 5, 6, 7, 9, 16, 18, 19, 0x20, 0x80, 0xfe};
            emit({0xcd, v[r(sizeof v)]});
            return true;
        }
        default: {
            Req q(ZYDIS_MNEMONIC_BOUND);
            return put(q.reg(wreg(4)).mem(mem(8)));
        }
    }
}

// Encodings every CPU rejects with #UD (or that a 32-bit P6 rejects).
bool Gen::invalid() {
    static const Bytes ops[] = {
        {0x0f, 0xb9, 0xc0}, {0x0f, 0xff, 0xc0}, {0x8e, 0xc8},       {0xc6, 0xc8, 0x00},
        {0xfe, 0xd0},       {0xff, 0xf8},       {0xff, 0xd8},       {0xff, 0xe8},
        {0x8d, 0xc0},       {0x62, 0xc0},       {0x0f, 0x0f, 0xc0, 0x9e}, {0x0f, 0x05},
        {0x0f, 0x07},       {0x0f, 0x37},       {0x0f, 0xa6, 0xc0}, {0x0f, 0xa7, 0xc0},
        {0x0f, 0x04},       {0x0f, 0x0a},       {0x0f, 0x24, 0xc0}, {0x0f, 0x26, 0xc0},
        {0x0f, 0xc7, 0xc8}, {0x0f, 0x01, 0xf8}, {0x0f, 0x00, 0xf0}, {0xf0, 0x90},
        {0xf0, 0x8d, 0x03}, {0x0f, 0x0e},       {0xd6},             {0x8c, 0xf8},
        {0x0f, 0x01, 0xc1}, {0x0f, 0x01, 0xd9}, {0x0f, 0x78, 0xc0}, {0x0f, 0x01, 0xca},
    };
    const Bytes& b = ops[r(sizeof ops / sizeof ops[0])];
    if (b == Bytes{0xd6} && !readable(CF)) return false;  // salc reads CF
    emit(b, OSZAPC, 0);
    pad = true;
    return true;
}

// Valid on later CPUs, not in prevt's i686 profile (nor QEMU's qemu32): #UD expected.
bool Gen::notoffered() {
    static const Bytes ops[] = {
        {0xf3, 0x0f, 0xb8, 0xc3},          {0xf3, 0x0f, 0xbd, 0xc3},
        {0xf3, 0x0f, 0xbc, 0xc3},          {0x0f, 0x38, 0xf0, 0x03},
        {0xf2, 0x0f, 0x38, 0xf1, 0xc3},    {0x0f, 0xc7, 0xf0},
        {0x0f, 0xc7, 0xf8},                {0x0f, 0x01, 0xf9},
        {0x0f, 0x01, 0xd0},                {0x0f, 0xae, 0x3b},
        {0xc5, 0xf8, 0x77},                {0x66, 0x0f, 0x38, 0x00, 0xc1},
        {0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x04}, {0x66, 0x0f, 0x38, 0x17, 0xc1},
        {0xf2, 0x0f, 0x7c, 0xc1},          {0xf3, 0x0f, 0x16, 0xc1},
        {0xf2, 0x0f, 0xf0, 0x03},          {0xdf, 0x0b},
        {0x0f, 0x01, 0xfc},                {0x0f, 0x01, 0xc8},
        {0xf3, 0x0f, 0xc7, 0xf8},          {0x0f, 0x01, 0xee},
        {0xc4, 0xe2, 0x79, 0x18, 0x03},    {0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1},
    };
    emit(ops[r(sizeof ops / sizeof ops[0])], OSZAPC, 0, true);
    pad = true;
    return true;
}

// Control transfers inside the sequence: a forward jcc, and jmp/call through a register
// aimed at the next instruction (call +0; pop %eax finds the address).
bool Gen::branch() {
    if (pct(40)) {
        if (!readable(OSZAPC)) return false;
        emit({static_cast<uint8_t>(0x70 + r(16)), 0x02, 0x90, 0x90});
        return true;
    }
    const bool call = pct(30);
    // call .+5; pop %eax; add $6, %eax; jmp/call *%eax -> lands right after the jmp/call
    emit({0xe8, 0, 0, 0, 0, 0x58, 0x83, 0xc0, 0x06, 0xff, static_cast<uint8_t>(call ? 0xd0 : 0xe0)},
         0, OSZAPC);
    if (call) emit({0x58});  // pop the return address again
    return true;
}

bool Gen::overlong() {  // 14 or 15 prefixes before add %eax,(%ebx): 16 bytes is #GP(0)
    Bytes b(14 + r(2), 0x3e);
    b.push_back(0x01);
    b.push_back(0x03);
    emit(b, 0, OSZAPC);
    return true;
}

struct Entry {
    const char* name;
    bool (Gen::*fn)();
    int weight;
};
constexpr Entry kMenu[] = {
    {"alu2", &Gen::alu2, 14},         {"alu1", &Gen::alu1, 5},
    {"shift", &Gen::shift, 7},        {"bitop", &Gen::bitop, 4},
    {"muldiv", &Gen::muldiv, 5},      {"movx", &Gen::movx, 8},
    {"lea", &Gen::lea, 3},            {"stack", &Gen::stack, 6},
    {"string", &Gen::string, 5},      {"bcd", &Gen::bcd, 2},
    {"lock", &Gen::lock, 3},          {"prefix", &Gen::prefix, 3},
    {"x87", &Gen::x87, 8},            {"x87_transc", &Gen::x87_transc, 1},
    {"x87_env", &Gen::x87_env, 1},    {"sse", &Gen::sse, 8},
    {"sse_approx", &Gen::sse_approx, 1}, {"mmx", &Gen::mmx, 2},
    {"cpuid", &Gen::cpuid, 1},        {"rdtsc", &Gen::rdtsc, 1},
    {"sensitive", &Gen::sensitive, 5}, {"segload", &Gen::segload, 2},
    {"priv", &Gen::priv, 3},          {"fpuctl", &Gen::fpuctl, 1},
    {"io", &Gen::io, 2},              {"int", &Gen::intr, 2},
    {"invalid", &Gen::invalid, 2},    {"notoffered", &Gen::notoffered, 2},
    {"overlong", &Gen::overlong, 1},  {"branch", &Gen::branch, 2},
};

void Gen::sequence() {
    int total = 0;
    for (const Entry& e : kMenu)
        if (on(e.name)) total += e.weight;
    if (total == 0) return;
    const uint32_t n = 1 + r(8);
    for (uint32_t i = 0, tries = 0; i < n && tries < 100; ++tries) {
        int pick = static_cast<int>(r(static_cast<uint32_t>(total)));
        const Entry* e = kMenu;
        for (;; ++e) {
            if (!on(e->name)) continue;
            if (pick < e->weight) break;
            pick -= e->weight;
        }
        cls_ = e->name;
        const size_t before = chunks.size();
        if ((this->*(e->fn))()) {
            ++i;
        } else {
            chunks.resize(before);  // setup instructions of a refused choice go too
        }
    }
}

// The AT&T text of the instructions in `b`, "; "-separated; the offset of each (from
// `address`, the chunk's place in the sequence) goes to `starts`, in the same order.
std::string disasm(const Bytes& b, uint32_t address, std::vector<uint32_t>& starts) {
    std::string out;
    for (size_t off = 0; off < b.size();) {
        ZydisDisassembledInstruction insn;
        if (off) out += "; ";
        starts.push_back(address + static_cast<uint32_t>(off));
        if (ZYAN_SUCCESS(ZydisDisassembleATT(ZYDIS_MACHINE_MODE_LEGACY_32, address + off,
                                             b.data() + off, b.size() - off, &insn))) {
            out += insn.text;
            off += insn.info.length;
        } else {
            char buf[16];
            snprintf(buf, sizeof buf, "(bad) %02x", b[off]);
            out += buf;
            off += 1;
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t seed = 1;
    uint32_t first = 0, count = 100;
    std::set<std::string> excluded;
    const char *asm_path = nullptr, *list_path = nullptr;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--seed") seed = strtoull(v.c_str(), nullptr, 0);
        else if (a == "--first") first = static_cast<uint32_t>(strtoul(v.c_str(), nullptr, 0));
        else if (a == "--count") count = static_cast<uint32_t>(strtoul(v.c_str(), nullptr, 0));
        else if (a == "--asm") asm_path = argv[i + 1];
        else if (a == "--list") list_path = argv[i + 1];
        else if (a == "--exclude") {
            for (size_t p = 0; p <= v.size();) {
                size_t q = v.find(',', p);
                if (q == std::string::npos) q = v.size();
                if (q > p) excluded.insert(v.substr(p, q - p));
                p = q + 1;
            }
        } else {
            fprintf(stderr, "fuzz_gen: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!asm_path || !list_path) {
        fprintf(stderr,
                "usage: fuzz_gen --seed S --first K --count N [--exclude a,b] --asm OUT.S "
                "--list OUT.list\n");
        return 2;
    }
    FILE* as = fopen(asm_path, "w");
    FILE* ls = fopen(list_path, "w");
    if (!as || !ls) {
        perror("fuzz_gen");
        return 2;
    }
    fprintf(as, "/* generated by fuzz_gen --seed %llu --first %u --count %u */\n",
            static_cast<unsigned long long>(seed), first, count);
    fprintf(as, "    .section .text.fuzzseq, \"ax\"\n");
    std::vector<uint32_t> state_seeds, fl, fsw;
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t index = first + i;
        Gen g(seed * 0x9e3779b97f4a7c15ull + index, excluded);
        g.sequence();
        const uint32_t state = static_cast<uint32_t>(
            std::mt19937_64(seed ^ (uint64_t(index) << 32 | 0x5eed))() | 1);
        state_seeds.push_back(state);
        fl.push_back(g.undef_fl);
        fsw.push_back(g.undef_fsw);
        Bytes all;
        std::string classes, text;
        std::vector<uint32_t> starts;
        for (const Chunk& c : g.chunks) {
            if (!classes.empty()) classes += ",";
            classes += c.cls;
            if (!text.empty()) text += "; ";
            text += disasm(c.bytes, static_cast<uint32_t>(all.size()), starts);
            all.insert(all.end(), c.bytes.begin(), c.bytes.end());
        }
        fprintf(as, "    .balign 16\nfuzz_s%u:", index);
        for (size_t b = 0; b < all.size(); ++b) fprintf(as, "%s0x%02x", b ? "," : " .byte ", all[b]);
        if (g.pad) fprintf(as, "\n    .fill 16, 1, 0x90");
        fprintf(as, "\n    jmp fuzz_capture\n");
        fprintf(ls, "%u\t", index);
        for (uint8_t b : all) fprintf(ls, "%02x", b);
        fprintf(ls, "\t%s\t%08x\t%s\t", classes.empty() ? "-" : classes.c_str(), g.undef_fl,
                text.empty() ? "(empty)" : text.c_str());
        for (size_t k = 0; k < starts.size(); ++k) fprintf(ls, "%s%x", k ? "," : "", starts[k]);
        fprintf(ls, "%s\t%s\n", starts.empty() ? "-" : "",
                fuzz::x87_stack_fault(all) ? "x87-stack" : "-");
    }
    fprintf(as, "    .section .rodata\n    .balign 4\n    .globl fuzz_seq_table, fuzz_seq_count\n");
    fprintf(as, "fuzz_seq_count: .long %u\nfuzz_seq_table:\n", count);
    for (uint32_t i = 0; i < count; ++i)
        fprintf(as, "    .long fuzz_s%u, %u, 0x%08x, 0x%08x, 0x%08x\n", first + i, first + i,
                state_seeds[i], fl[i], fsw[i]);
    fclose(as);
    fclose(ls);
    return 0;
}
