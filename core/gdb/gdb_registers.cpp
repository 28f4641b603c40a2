// gdb's i386 register numbering over the guest's state (gdb_registers.hpp).
#include "core/gdb/gdb_registers.hpp"

#include <cstring>

namespace prevt::gdb {

namespace {

constexpr SegReg kSegments[6] = {SegReg::cs, SegReg::ss, SegReg::ds,
                                 SegReg::es, SegReg::fs, SegReg::gs};
constexpr uint32_t kWritableFlags = 0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 | 0x0400 |
                                    0x0800;  // CF PF AF ZF SF TF DF OF

// Offsets in the FXSAVE image (SDM vol. 1, table 10-2).
constexpr unsigned kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFcs = 12, kFdp = 16,
                   kFds = 20, kMxcsr = 24, kSt = 32, kXmm = 160;

uint32_t get16(const VcpuState& s, unsigned at) {
    uint16_t v;
    memcpy(&v, &s.fpu[at], 2);
    return v;
}

// The full tag of physical register `phys` (00 valid, 01 zero, 10 special, 11 empty) from
// the abridged tag and the register's contents (its stack position from TOP).
unsigned full_tag(const VcpuState& s, unsigned phys) {
    if (!(s.fpu[kFtw] & (1u << phys))) return 3;
    const unsigned top = (get16(s, kFsw) >> 11) & 7;
    const uint8_t* r = &s.fpu[kSt + 16 * ((phys - top) & 7)];
    uint64_t mantissa;
    memcpy(&mantissa, r, 8);
    const unsigned exponent = (r[8] | r[9] << 8) & 0x7fff;
    if (exponent == 0x7fff) return 2;
    if (exponent == 0) return mantissa == 0 ? 1 : 2;
    return (mantissa >> 63) ? 0 : 2;
}

uint32_t fpu_control(const VcpuState& s, int i) {
    switch (i) {
        case 0: return get16(s, kFcw);
        case 1: return get16(s, kFsw);
        case 2: {
            uint32_t tags = 0;
            for (unsigned p = 0; p < 8; ++p) tags |= full_tag(s, p) << (2 * p);
            return tags;
        }
        case 3: return get16(s, kFcs);
        case 4: {
            uint32_t v;
            memcpy(&v, &s.fpu[kFip], 4);
            return v;
        }
        case 5: return get16(s, kFds);
        case 6: {
            uint32_t v;
            memcpy(&v, &s.fpu[kFdp], 4);
            return v;
        }
        default: return get16(s, kFop) & 0x7ff;
    }
}

void set_fpu_control(VcpuState& s, int i, uint32_t v) {
    auto put16 = [&](unsigned at) {
        const uint16_t w = static_cast<uint16_t>(v);
        memcpy(&s.fpu[at], &w, 2);
    };
    switch (i) {
        case 0: put16(kFcw); break;
        case 1: put16(kFsw); break;
        case 2: {  // the abridged tag: non-empty registers
            uint8_t abridged = 0;
            for (unsigned p = 0; p < 8; ++p)
                if (((v >> (2 * p)) & 3) != 3) abridged |= static_cast<uint8_t>(1u << p);
            s.fpu[kFtw] = abridged;
            break;
        }
        case 3: put16(kFcs); break;
        case 4: memcpy(&s.fpu[kFip], &v, 4); break;
        case 5: put16(kFds); break;
        case 6: memcpy(&s.fpu[kFdp], &v, 4); break;
        default: v &= 0x7ff, put16(kFop); break;
    }
}

}  // namespace

unsigned register_size(int n) {
    if (n < 0 || n >= kRegisterCount) return 0;
    if (n >= 16 && n < 24) return 10;
    if (n >= 32 && n < 40) return 16;
    return 4;
}

void read_register(const VcpuState& s, int n, uint8_t* out) {
    uint32_t v = 0;
    if (n < 8)
        v = s.gpr[n];
    else if (n == 8)
        v = s.eip;
    else if (n == 9)
        v = s.eflags;
    else if (n < 16)
        v = s.sreg(kSegments[n - 10]).selector;
    else if (n < 24)
        return (void)memcpy(out, &s.fpu[kSt + 16 * (n - 16)], 10);
    else if (n < 32)
        v = fpu_control(s, n - 24);
    else if (n < 40)
        return (void)memcpy(out, &s.fpu[kXmm + 16 * (n - 32)], 16);
    else
        memcpy(&v, &s.fpu[kMxcsr], 4);
    memcpy(out, &v, 4);
}

bool write_register(VcpuState& s, int n, const uint8_t* in) {
    uint32_t v = 0;
    if (register_size(n) == 4) memcpy(&v, in, 4);
    if (n < 8)
        s.gpr[n] = v;
    else if (n == 8)
        s.eip = v;
    else if (n == 9)
        s.eflags = (s.eflags & ~kWritableFlags) | (v & kWritableFlags);
    else if (n < 16)
        return v == s.sreg(kSegments[n - 10]).selector;
    else if (n < 24)
        memcpy(&s.fpu[kSt + 16 * (n - 16)], in, 10);
    else if (n < 32)
        set_fpu_control(s, n - 24, v);
    else if (n < 40)
        memcpy(&s.fpu[kXmm + 16 * (n - 32)], in, 16);
    else if (n == 40)
        memcpy(&s.fpu[kMxcsr], &v, 4);
    else
        return false;
    return true;
}

std::vector<uint8_t> read_all_registers(const VcpuState& s) {
    std::vector<uint8_t> bytes;
    for (int n = 0; n < kRegisterCount; ++n) {
        uint8_t r[16];
        read_register(s, n, r);
        bytes.insert(bytes.end(), r, r + register_size(n));
    }
    return bytes;
}

bool write_all_registers(VcpuState& s, const std::vector<uint8_t>& bytes) {
    VcpuState next = s;
    size_t at = 0;
    for (int n = 0; n < kRegisterCount && at < bytes.size(); ++n) {
        const unsigned size = register_size(n);
        if (at + size > bytes.size()) return false;
        if (!write_register(next, n, &bytes[at])) return false;
        at += size;
    }
    s = next;
    return true;
}

}  // namespace prevt::gdb
