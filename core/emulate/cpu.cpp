#include "core/emulate/cpu.hpp"

#include "core/emulate/debug_registers.hpp"

namespace prevt {

Segment Descriptor::to_segment(uint16_t selector) const {
    Segment seg;
    seg.selector = selector;
    seg.base = base();
    seg.limit = limit();
    seg.type = type() | 1;  // loading a segment sets the accessed bit
    seg.s = s();
    seg.dpl = dpl();
    seg.present = present();
    seg.db = db();
    seg.g = g();
    seg.avl = avl();
    return seg;
}

uint32_t Cpu::linear(SegReg sr, uint32_t offset, unsigned len, bool write) const {
    const Segment& seg = s.sreg(sr);
    if (!s.protected_mode()) return seg.base + offset;  // real mode: 64 KiB limit not checked
    const auto fault = [&] { return sr == SegReg::ss ? fault_ss(0) : fault_gp(0); };
    if (!seg.present) throw fault();
    if (write && !(seg.s && !(seg.type & 8) && (seg.type & 2))) throw fault();
    if (!write && seg.s && (seg.type & 8) && !(seg.type & 2)) throw fault();
    const uint64_t last = uint64_t(offset) + len - 1;
    const bool expand_down = seg.s && !(seg.type & 8) && (seg.type & 4);
    if (expand_down) {
        const uint64_t upper = seg.db ? 0xffffffffull : 0xffffull;
        if (offset <= seg.limit || last > upper) throw fault();
    } else if (last > seg.limit) {
        throw fault();
    }
    return seg.base + offset;
}

// Every data access of the virtual CPU is checked against the data breakpoints (after it
// succeeded: an access that faults hits none); the instruction's fetch is not a data access.
void Cpu::note_data_access(uint32_t lin, unsigned len, bool write) {
    if (s.dr7 & 0xff) s.debug_trap |= dr7::data_hits(s.dr, s.dr7, lin, len, write);
}

uint32_t Cpu::read(SegReg sr, uint32_t offset, unsigned len) {
    return read_linear(linear(sr, offset, len, false), len, user());
}

void Cpu::write(SegReg sr, uint32_t offset, unsigned len, uint32_t value) {
    write_linear(linear(sr, offset, len, true), len, value, user());
}

uint32_t Cpu::read_linear(uint32_t lin, unsigned len, bool as_user) {
    uint32_t v = 0;
    mem.read(lin, &v, len, as_user);
    note_data_access(lin, len, false);
    return v;
}

void Cpu::write_linear(uint32_t lin, unsigned len, uint32_t value, bool as_user) {
    mem.write(lin, &value, len, as_user);
    note_data_access(lin, len, true);
}

uint32_t Cpu::stack_pointer() const {
    return s.sreg(SegReg::ss).db ? s.gpr[esp] : (s.gpr[esp] & 0xffff);
}

void Cpu::set_stack_pointer(uint32_t sp) {
    if (s.sreg(SegReg::ss).db)
        s.gpr[esp] = sp;
    else
        s.gpr[esp] = (s.gpr[esp] & 0xffff0000) | (sp & 0xffff);
}

void Cpu::push(uint32_t value, unsigned len) {
    uint32_t sp = stack_pointer() - len;
    if (!s.sreg(SegReg::ss).db) sp &= 0xffff;
    write(SegReg::ss, sp, len, value);  // faults leave ESP unchanged
    set_stack_pointer(sp);
}

uint32_t Cpu::pop(unsigned len) {
    const uint32_t sp = stack_pointer();
    const uint32_t v = read(SegReg::ss, sp, len);
    set_stack_pointer(sp + len);
    return v;
}

Descriptor Cpu::descriptor(uint16_t selector, uint8_t fault_vector) const {
    const bool local = selector & 4;
    const uint32_t base = local ? s.ldtr.base : s.gdtr.base;
    const uint32_t limit = local ? s.ldtr.limit : s.gdtr.limit;
    const uint32_t index = selector & ~7u;
    if ((local && !s.ldtr.present) || index + 7 > limit)
        throw GuestFault{fault_vector, true, uint32_t(selector & ~3u)};
    Descriptor d;
    mem.read(base + index, &d.lo, 4, false);
    mem.read(base + index + 4, &d.hi, 4, false);
    return d;
}

void Cpu::set_accessed(uint16_t selector) {
    set_accessed(selector, descriptor(selector));
}

void Cpu::set_accessed(uint16_t selector, const Descriptor& d) {
    if (d.s() && !(d.hi & (1u << 8))) {
        const uint32_t base = (selector & 4) ? s.ldtr.base : s.gdtr.base;
        write_linear(base + (selector & ~7u) + 4, 4, d.hi | (1u << 8));
    }
}

}  // namespace prevt
