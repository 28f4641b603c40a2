// The differential fuzzer's generator (fuzz_gen.cpp has the command line): the class Gen
// that writes one random sequence, instruction class by instruction class. Each menu class is
// a member function (the menu is in gen_sequence.cpp); the classes are split by kind over
// gen_integer.cpp, gen_memory.cpp, gen_fpu.cpp and gen_system.cpp.
//
// Register conventions (fuzz.h): EAX, ECX, EDX are free; EBX, ESI, EDI, EBP, ESP point into the
// scratch area and only string instructions and push/pop move them, so every memory operand is
// one the generator chose.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fuzz.h"

namespace fuzz {

using Bytes = std::vector<uint8_t>;
constexpr uint32_t CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
constexpr uint32_t OSZAPC = CF | PF | AF | ZF | SF | OF;
constexpr uint32_t FSW_C023 = 0x4500;  // C0, C2, C3: undefined after most x87 arithmetic

struct Chunk {
    Bytes bytes;
    std::string cls;
};

// An x87 environment image the sequence stores (fnstenv/fnsave/fxsave): where it goes (linear
// address) and its format, so that the guest reports its pointer fields (FIP, FCS, FOP, FDP,
// FDS) apart from the memory hash (fuzz_guest.c).
struct EnvStore {
    uint32_t addr;
    char kind;  // 'e' fnstenv, 's' fnsave (the same 28-byte header), 'x' fxsave
};

class Gen {
public:
    Gen(uint64_t seed, const std::set<std::string>& excluded) : rng_(seed), excluded_(excluded) {}
    void sequence();
    std::vector<Chunk> chunks;
    uint32_t undef_fl = 0, undef_fsw = 0;  // flags/FSW bits some instruction leaves undefined
    bool pad = false;                      // an encoding whose length may differ: nops after
    std::vector<EnvStore> env_stores;      // the x87 images the sequence stores, in order

private:
    std::mt19937_64 rng_;
    const std::set<std::string>& excluded_;
    uint32_t undef_now_ = 0;      // undefined right now (for instructions that read flags)
    bool fsw_undef_now_ = false;  // C0/C2/C3 undefined right now (fnstsw would store them)
    std::string cls_;
    bool force_mem_ = false;  // the next alu/unary instruction has a memory destination
    uint32_t sregs_loaded_ = 0;  // ES/FS/GS (bits 0-2) reloaded by segload in this sequence
    bool env_loaded_ = false;    // an fldenv/frstor/fxrstor is in this sequence (env_reload)
    uint32_t env_stores_ = 0;    // x87 images stored so far (their slots at FUZZ_ENV)

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
            q.q.address_size_hint =
                addr16_ ? ZYDIS_ADDRESS_SIZE_HINT_16 : ZYDIS_ADDRESS_SIZE_HINT_32;
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

inline int rsize(uint32_t x) {
    return x == 0 ? 1 : x == 1 ? 2 : 4;
}  // operand size field

}  // namespace fuzz
