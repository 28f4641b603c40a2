#include "core/emulate/task_state.hpp"

#include "core/emulate/segments.hpp"

namespace prevt {

namespace {

// Offsets in a 32-bit TSS (SDM figure 7-2) and a 16-bit one (figure 7-11).
struct TssLayout {
    uint32_t cr3, eip, eflags, gpr, sel, ldt;
    unsigned width;     // of EIP, EFLAGS and the general registers
    unsigned segments;  // selectors saved (ES, CS, SS, DS, then FS and GS in a 32-bit TSS)
};
constexpr TssLayout kTss32{0x1c, 0x20, 0x24, 0x28, 0x48, 0x60, 4, 6};
constexpr TssLayout kTss16{0, 0x0e, 0x10, 0x12, 0x22, 0x2a, 2, 4};

const TssLayout& layout(bool tss32) {
    return tss32 ? kTss32 : kTss16;
}

GuestFault ts(uint16_t selector, uint32_t ext) {
    return fault_ts((selector & ~3u) | ext);
}

// A descriptor a task switch loads: beyond its table's limit is #TS.
Descriptor task_descriptor(Cpu& cpu, uint16_t selector, uint32_t ext) {
    uint32_t at;
    if (!descriptor_linear(cpu.s, selector, &at)) throw ts(selector, ext);
    Descriptor d;
    d.lo = cpu.read_linear(at, 4);
    d.hi = cpu.read_linear(at + 4, 4);
    return d;
}

void load_ldt(Cpu& cpu, uint16_t selector, uint32_t ext) {
    Segment& ldtr = cpu.s.ldtr;
    if ((selector & ~3u) == 0) {
        ldtr = Segment{};
        ldtr.selector = selector;
        ldtr.present = false;
        return;
    }
    if (selector & 4) throw ts(selector, ext);
    const Descriptor d = task_descriptor(cpu, selector, ext);
    if (d.s() || d.type() != 2 || !d.present()) throw ts(selector, ext);
    ldtr = d.to_segment(selector);
    ldtr.type = 2;
}

void load_code(Cpu& cpu, uint16_t selector, uint32_t ext) {
    if ((selector & ~3u) == 0) throw ts(selector, ext);
    const Descriptor d = task_descriptor(cpu, selector, ext);
    const unsigned rpl = selector & 3;
    if (!d.is_code() || (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)) throw ts(selector, ext);
    if (!d.present()) throw fault_np((selector & ~3u) | ext);
    load_code_segment(cpu, selector, d, rpl);
}

void load_stack(Cpu& cpu, uint16_t selector, uint32_t ext) {
    if ((selector & ~3u) == 0) throw ts(selector, ext);
    const Descriptor d = task_descriptor(cpu, selector, ext);
    const unsigned cpl = cpu.s.cpl();
    if ((selector & 3) != cpl || !d.writable() || d.dpl() != cpl) throw ts(selector, ext);
    if (!d.present()) throw fault_ss((selector & ~3u) | ext);
    cpu.set_accessed(selector, d);
    cpu.s.sreg(SegReg::ss) = d.to_segment(selector);
    cpu.hooks.segment_loaded(SegReg::ss);
}

void load_data(Cpu& cpu, SegReg sr, uint16_t selector, uint32_t ext) {
    if ((selector & ~3u) == 0) return;  // null: left unusable, with its selector
    const Descriptor d = task_descriptor(cpu, selector, ext);
    if (!d.s() || !d.readable()) throw ts(selector, ext);
    if (!d.conforming() && ((selector & 3) > d.dpl() || cpu.s.cpl() > d.dpl()))
        throw ts(selector, ext);
    if (!d.present()) throw fault_np((selector & ~3u) | ext);
    cpu.set_accessed(selector, d);
    cpu.s.sreg(sr) = d.to_segment(selector);
    cpu.hooks.segment_loaded(sr);
}

}  // namespace

TaskImage read_task_image(Cpu& cpu, uint32_t base, bool tss32) {
    const TssLayout& l = layout(tss32);
    TaskImage t;
    t.link = static_cast<uint16_t>(cpu.read_linear(base, 2));
    if (tss32) t.cr3 = cpu.read_linear(base + l.cr3, 4);
    t.eip = cpu.read_linear(base + l.eip, l.width);
    t.eflags = cpu.read_linear(base + l.eflags, l.width);
    for (int i = 0; i < 8; ++i) t.gpr[i] = cpu.read_linear(base + l.gpr + l.width * i, l.width);
    for (unsigned i = 0; i < l.segments; ++i)
        t.sel[i] = cpu.selector(cpu.read_linear(base + l.sel + l.width * i, 2));
    t.ldt = static_cast<uint16_t>(cpu.read_linear(base + l.ldt, 2));
    if (tss32) t.trap = cpu.read_linear(base + 0x64, 2) & 1;
    return t;
}

void save_task_state(Cpu& cpu, uint32_t base, bool tss32, uint32_t eip, uint32_t flags) {
    const TssLayout& l = layout(tss32);
    cpu.write_linear(base + l.eip, l.width, eip);
    cpu.write_linear(base + l.eflags, l.width, flags);
    for (int i = 0; i < 8; ++i) cpu.write_linear(base + l.gpr + l.width * i, l.width, cpu.s.gpr[i]);
    for (unsigned i = 0; i < l.segments; ++i)
        cpu.write_linear(base + l.sel + l.width * i, 2, cpu.s.seg[i].selector);
}

void load_task_segments(Cpu& cpu, const TaskImage& t, uint32_t ext) {
    VcpuState& s = cpu.s;
    // The selectors first, their descriptors unusable until checked (SDM 7.3, step 12).
    for (int i = 0; i < kSegRegCount; ++i) {
        s.seg[i] = Segment{};
        s.seg[i].selector = t.sel[i];
        s.seg[i].present = false;
        cpu.hooks.segment_loaded(static_cast<SegReg>(i));
    }
    s.set_cpl(t.sel[static_cast<int>(SegReg::cs)] & 3);
    load_ldt(cpu, t.ldt, ext);
    load_code(cpu, t.sel[static_cast<int>(SegReg::cs)], ext);
    load_stack(cpu, t.sel[static_cast<int>(SegReg::ss)], ext);
    for (SegReg sr : {SegReg::ds, SegReg::es, SegReg::fs, SegReg::gs})
        load_data(cpu, sr, t.sel[static_cast<int>(sr)], ext);
}

}  // namespace prevt
