// Classes that move ESP/ESI/EDI or change an instruction's form: stack, string, BCD, lock,
// prefixes.
#include "gen.hpp"

namespace fuzz {

bool Gen::stack() {
    bool dmem;
    switch (r(8)) {
        case 0:
        case 1: {
            Req q(ZYDIS_MNEMONIC_PUSH);
            const int s = pct(85) ? 4 : 2;
            const uint32_t f = r(3);
            if (f == 0)
                q.reg(rreg(s));
            else if (f == 1)
                q.imm(s == 2 ? int16_t(r(65536)) : int32_t(rng_()));
            else
                q.mem(mem(s));
            if (f == 1)
                q.q.operand_size_hint =
                    s == 2 ? ZYDIS_OPERAND_SIZE_HINT_16 : ZYDIS_OPERAND_SIZE_HINT_32;
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
        case 4:
            emit({0xd4, static_cast<uint8_t>(pct(15) ? 0 : r(256))}, OF | AF | CF, SF | ZF | PF);
            return true;
        default:
            emit({0xd5, static_cast<uint8_t>(r(256))}, OF | AF | CF, SF | ZF | PF);
            return true;
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

}  // namespace fuzz
