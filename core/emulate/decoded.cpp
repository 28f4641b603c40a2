#include "core/emulate/decoded.hpp"

#include <array>
#include <cstring>
#include <string>

#include "core/emulate/code_bytes.hpp"
#include "core/emulate/cpu_profiles.hpp"
#include "core/errors.hpp"

namespace prevt {

// Zydis numbers the segment registers in the CPU's encoding order, which is SegReg's: one
// order, checked here, never a default.
namespace {

ZyanStatus decode(const uint8_t* bytes, unsigned avail, bool code32, bool stack32, uint32_t eip,
                  Decoded* out) {
    ZydisDecoder decoder;
    init_guest_decoder(&decoder, code32, stack32, default_profile());  // as bt decodes
    if (out->bytes != bytes) memcpy(out->bytes, bytes, avail < 16 ? avail : 16);
    out->eip = eip;
    return ZydisDecoderDecodeFull(&decoder, out->bytes, avail, &out->in, out->ops);
}

}  // namespace

Decoded decode_at(Cpu& cpu, uint32_t eip) {
    Decoded d{};
    d.eip = eip;
    const Segment& cs = cpu.s.sreg(SegReg::cs);
    unsigned within_limit = 15;
    if (cpu.s.protected_mode()) {
        if (eip > cs.limit) throw fault_gp(0);
        if (cs.limit - eip < 14) within_limit = cs.limit - eip + 1;
    }
    const uint32_t linear = cs.base + eip;
    // Page by page: a short instruction at the end of a page needs no byte of the next.
    const unsigned avail = read_code_bytes(
        linear, d.bytes, within_limit, [&](uint32_t at, uint8_t* out, unsigned len) -> unsigned {
            try {
                cpu.mem.fetch(at, out, len, cpu.user());
                return len;
            } catch (const GuestFault&) {
                return 0;
            }
        });
    const bool code32 = cpu.s.protected_mode() && cs.db;
    const bool stack32 = cpu.s.sreg(SegReg::ss).db;
    // A small cache of decoded instructions (the same few privileged instructions are
    // emulated over and over), keyed by linear address and mode and validated against the
    // bytes just read, so that modified code is simply decoded again.
    struct CacheEntry {
        uint32_t linear = 0;
        uint8_t mode = 0xff;
        Decoded decoded;
    };
    static std::array<CacheEntry, 64> cache;
    const uint8_t mode = static_cast<uint8_t>(code32 * 2 + stack32);
    CacheEntry& e = cache[(linear ^ (linear >> 6)) & 63];
    if (e.linear == linear && e.mode == mode && e.decoded.in.length <= avail &&
        memcmp(e.decoded.bytes, d.bytes, e.decoded.in.length) == 0) {
        e.decoded.eip = eip;
        return e.decoded;
    }
    const ZyanStatus status = decode(d.bytes, avail, code32, stack32, eip, &d);
    if (!ZYAN_SUCCESS(status)) {
        if (status == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) throw fault_gp(0);  // > 15 bytes
        if (status == ZYDIS_STATUS_NO_MORE_DATA) {
            if (avail < within_limit) {  // the bytes it needs are on a page that faults
                uint8_t byte;
                cpu.mem.fetch(linear + avail, &byte, 1, cpu.user());  // raises that #PF
            }
            throw fault_gp(0);  // beyond the CS limit, or longer than 15 bytes
        }
        throw fault_ud();
    }
    e.linear = linear;
    e.mode = mode;
    e.decoded = d;
    return d;
}

bool decode_bytes(const uint8_t* bytes, unsigned avail, bool code32, bool stack32, uint32_t eip,
                  Decoded* out) {
    return ZYAN_SUCCESS(decode(bytes, avail, code32, stack32, eip, out));
}

std::string Decoded::text() const {
    ZydisFormatter f;
    ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_ATT);
    char buf[96];
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &in, ops, in.operand_count_visible, buf,
                                                      sizeof buf, eip, nullptr)))
        return "(?)";
    return buf;
}

uint32_t read_register(const VcpuState& s, ZydisRegister r) {
    switch (ZydisRegisterGetClass(r)) {
        case ZYDIS_REGCLASS_GPR32: return s.gpr[ZydisRegisterGetId(r)];
        case ZYDIS_REGCLASS_GPR16: return s.gpr[ZydisRegisterGetId(r)] & 0xffff;
        case ZYDIS_REGCLASS_GPR8: {
            const int id = ZydisRegisterGetId(r);
            return id < 4 ? s.gpr[id] & 0xff : (s.gpr[id - 4] >> 8) & 0xff;
        }
        case ZYDIS_REGCLASS_SEGMENT: return s.sreg(to_segreg(r)).selector;
        default: return 0;
    }
}

void write_register(VcpuState& s, ZydisRegister r, uint32_t v) {
    switch (ZydisRegisterGetClass(r)) {
        case ZYDIS_REGCLASS_GPR32: s.gpr[ZydisRegisterGetId(r)] = v; break;
        case ZYDIS_REGCLASS_GPR16: {
            uint32_t& g = s.gpr[ZydisRegisterGetId(r)];
            g = (g & 0xffff0000) | (v & 0xffff);
            break;
        }
        case ZYDIS_REGCLASS_GPR8: {
            const int id = ZydisRegisterGetId(r);
            uint32_t& g = s.gpr[id < 4 ? id : id - 4];
            g = id < 4 ? (g & ~0xffu) | (v & 0xff) : (g & ~0xff00u) | ((v & 0xff) << 8);
            break;
        }
        default: break;
    }
}

SegReg operand_segment(const Decoded& d, unsigned i) {
    return to_segreg(d.ops[i].mem.segment);
}

uint32_t effective_offset(Cpu& cpu, const Decoded& d, unsigned i) {
    const ZydisDecodedOperandMem& m = d.ops[i].mem;
    uint32_t off = static_cast<uint32_t>(m.disp.value);
    if (m.base != ZYDIS_REGISTER_NONE) off += read_register(cpu.s, m.base);
    if (m.index != ZYDIS_REGISTER_NONE) off += read_register(cpu.s, m.index) * m.scale;
    return d.address_size() == 2 ? off & 0xffff : off;
}

uint32_t read_operand(Cpu& cpu, const Decoded& d, unsigned i) {
    const ZydisDecodedOperand& op = d.ops[i];
    switch (op.type) {
        case ZYDIS_OPERAND_TYPE_REGISTER: return read_register(cpu.s, op.reg.value);
        case ZYDIS_OPERAND_TYPE_IMMEDIATE: return static_cast<uint32_t>(op.imm.value.u);
        case ZYDIS_OPERAND_TYPE_MEMORY:
            return cpu.read(operand_segment(d, i), effective_offset(cpu, d, i), op.size / 8);
        default: throw fault_ud();
    }
}

void write_operand(Cpu& cpu, const Decoded& d, unsigned i, uint32_t value) {
    const ZydisDecodedOperand& op = d.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) return write_register(cpu.s, op.reg.value, value);
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) throw fault_ud();
    cpu.write(operand_segment(d, i), effective_offset(cpu, d, i), op.size / 8, value);
}

}  // namespace prevt
