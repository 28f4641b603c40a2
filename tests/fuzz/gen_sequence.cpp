// The generator's operand choice (registers, memory operands in the scratch area) and the
// menu: which class writes the next instruction, by weight, honouring --exclude.
#include "gen.hpp"

namespace fuzz {

ZydisRegister Gen::wreg(int size) {
    static constexpr ZydisRegister w8[] = {ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL,
                                           ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH};
    static constexpr ZydisRegister w16[] = {ZYDIS_REGISTER_AX, ZYDIS_REGISTER_CX,
                                            ZYDIS_REGISTER_DX};
    static constexpr ZydisRegister w32[] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX,
                                            ZYDIS_REGISTER_EDX};
    return size == 1 ? w8[r(6)] : size == 2 ? w16[r(3)] : w32[r(3)];
}

ZydisRegister Gen::rreg(int size) {
    if (pct(60)) return wreg(size);
    static constexpr ZydisRegister r8[] = {ZYDIS_REGISTER_BL, ZYDIS_REGISTER_BH};
    static constexpr ZydisRegister r16[] = {ZYDIS_REGISTER_BX, ZYDIS_REGISTER_SP, ZYDIS_REGISTER_BP,
                                            ZYDIS_REGISTER_SI, ZYDIS_REGISTER_DI};
    static constexpr ZydisRegister r32[] = {ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_ESP,
                                            ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI,
                                            ZYDIS_REGISTER_EDI};
    return size == 1 ? r8[r(2)] : size == 2 ? r16[r(5)] : r32[r(5)];
}

// The x87 images' slots (FUZZ_ENV, x87_env) stay apart from every other operand: an operand
// that would touch them moves FUZZ_ENV_SIZE down (so that a later store or load of the sequence
// cannot change or copy an image's fields, which the digest reports by their place).
static int64_t out_of_env(int64_t linear, int size) {
    return linear + size > FUZZ_ENV && linear < FUZZ_ENV + FUZZ_ENV_SIZE ? linear - FUZZ_ENV_SIZE
                                                                         : linear;
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
        m.mem.displacement = out_of_env(aligned(FUZZ_SCRATCH + r(FUZZ_SCRATCH_SIZE - 16)), size);
    } else if (k < 79 && on("pagefault")) {  // the hole, and operands straddling into it
        m.mem.displacement = pct(30) ? FUZZ_HOLE - 1 - r(size) : FUZZ_HOLE + r(0x1000 - 16);
    } else if (k < 84 && on("pagefault")) {
        m.mem.displacement = aligned(FUZZ_RO + r(0x1000 - 16));
    } else if (on("fs_limit")) {  // FS: base = scratch, limit 0x1fff; some beyond it
        fs = true;
        m.mem.displacement = pct(85) ? out_of_env(FUZZ_SCRATCH + aligned(r(FUZZ_FS_LIMIT + 1 - 16)),
                                                  size) - FUZZ_SCRATCH
                                     : 0x1ff8 + r(0x100);
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

struct Entry {
    const char* name;
    bool (Gen::*fn)();
    int weight;
};
constexpr Entry kMenu[] = {
    {"alu2", &Gen::alu2, 14},
    {"alu1", &Gen::alu1, 5},
    {"shift", &Gen::shift, 7},
    {"bitop", &Gen::bitop, 4},
    {"muldiv", &Gen::muldiv, 5},
    {"movx", &Gen::movx, 8},
    {"lea", &Gen::lea, 3},
    {"stack", &Gen::stack, 6},
    {"string", &Gen::string, 5},
    {"bcd", &Gen::bcd, 2},
    {"lock", &Gen::lock, 3},
    {"prefix", &Gen::prefix, 3},
    {"x87", &Gen::x87, 8},
    {"x87_transc", &Gen::x87_transc, 1},
    {"x87_env", &Gen::x87_env, 1},
    {"sse", &Gen::sse, 8},
    {"sse_approx", &Gen::sse_approx, 1},
    {"mmx", &Gen::mmx, 2},
    {"cpuid", &Gen::cpuid, 1},
    {"rdtsc", &Gen::rdtsc, 1},
    {"sensitive", &Gen::sensitive, 5},
    {"segload", &Gen::segload, 2},
    {"priv", &Gen::priv, 3},
    {"fpuctl", &Gen::fpuctl, 1},
    {"io", &Gen::io, 2},
    {"int", &Gen::intr, 2},
    {"invalid", &Gen::invalid, 2},
    {"notoffered", &Gen::notoffered, 2},
    {"overlong", &Gen::overlong, 1},
    {"branch", &Gen::branch, 2},
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

}  // namespace fuzz
