#include "core/emulate/segments.hpp"

#include <string>

#include "core/emulate/task_switch.hpp"
#include "core/errors.hpp"

namespace prevt {

namespace {

uint32_t sel_error(uint16_t selector) {
    return selector & ~3u;
}

[[noreturn]] void unsupported_system_target(uint16_t selector, const Descriptor& d) {
    throw GuestError("far transfer to selector " + std::to_string(selector) +
                     " (system descriptor type " + std::to_string(d.type()) +
                     "): call gates are not supported");
}

// After a return to an outer privilege level, data segments the new CPL may not use are nulled.
void drop_inaccessible_data_segments(Cpu& cpu) {
    for (SegReg sr : {SegReg::es, SegReg::ds, SegReg::fs, SegReg::gs}) {
        Segment& seg = cpu.s.sreg(sr);
        const bool conforming_code = seg.s && (seg.type & 8) && (seg.type & 4);
        if (seg.present && !conforming_code && seg.dpl < cpu.s.cpl()) {
            seg = Segment{};
            seg.present = false;
            cpu.hooks.segment_loaded(sr);
        }
    }
}

// The checks of RET/IRET on the code segment they return to (RPL >= CPL already checked).
Descriptor checked_return_target(Cpu& cpu, uint16_t selector) {
    if ((selector & ~3u) == 0) throw fault_gp(0);
    const Descriptor d = cpu.descriptor(selector);
    const unsigned rpl = selector & 3;
    if (rpl < cpu.s.cpl() || !d.is_code()) throw fault_gp(sel_error(selector));
    if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) throw fault_gp(sel_error(selector));
    if (!d.present()) throw fault_np(sel_error(selector));
    return d;
}

// SS for a return to outer level `rpl`: the checks of RET and IRET.
Descriptor checked_outer_stack(Cpu& cpu, uint16_t selector, unsigned rpl) {
    if ((selector & ~3u) == 0) throw fault_gp(0);
    const Descriptor d = cpu.descriptor(selector);
    if ((selector & 3) != rpl || !d.writable() || d.dpl() != rpl)
        throw fault_gp(sel_error(selector));
    if (!d.present()) throw fault_ss(sel_error(selector));
    return d;
}

// The common end of RET and IRET to an outer privilege level: the checked CS and SS are
// loaded (CPL becomes the RPL of CS), then data segments the new CPL may not use are nulled.
void return_to_outer_level(Cpu& cpu, uint16_t selector, const Descriptor& d, uint32_t eip,
                           uint16_t ss_sel, const Descriptor& ssd, uint32_t esp) {
    load_code_segment(cpu, selector, d, selector & 3);
    cpu.s.eip = eip;
    cpu.set_accessed(ss_sel, ssd);
    cpu.s.sreg(SegReg::ss) = ssd.to_segment(ss_sel);
    cpu.hooks.segment_loaded(SegReg::ss);
    cpu.set_stack_pointer(esp);
    drop_inaccessible_data_segments(cpu);
}

// A far jmp/call in protected mode to a TSS or a task gate: a task switch (task_switch.cpp).
bool switches_task(Cpu& cpu, uint16_t selector, TaskEntry why, uint32_t next_eip) {
    if (!cpu.s.protected_mode() || (selector & ~3u) == 0) return false;
    const Descriptor d = cpu.descriptor(selector);
    if (!is_task_target(d)) return false;
    far_transfer_to_task(cpu, selector, d, why, next_eip);
    return true;
}

}  // namespace

void load_segment(Cpu& cpu, SegReg sr, uint16_t selector) {
    if (cpu.s.protected_mode()) selector = cpu.selector(selector);
    Segment& seg = cpu.s.sreg(sr);
    if (!cpu.s.protected_mode()) {
        seg.selector = selector;
        seg.base = uint32_t(selector) << 4;
        cpu.hooks.segment_loaded(sr);
        return;
    }
    const unsigned cpl = cpu.s.cpl();
    if ((selector & ~3u) == 0) {
        if (sr == SegReg::ss) throw fault_gp(0);
        seg = Segment{};
        seg.selector = selector;
        seg.present = false;
        cpu.hooks.segment_loaded(sr);
        return;
    }
    const Descriptor d = cpu.descriptor(selector);
    const unsigned rpl = selector & 3;
    if (sr == SegReg::ss) {
        if (rpl != cpl || !d.writable() || d.dpl() != cpl) throw fault_gp(sel_error(selector));
        if (!d.present()) throw fault_ss(sel_error(selector));
    } else {
        if (!d.readable() || !d.s()) throw fault_gp(sel_error(selector));
        if (!d.conforming() && (rpl > d.dpl() || cpl > d.dpl()))
            throw fault_gp(sel_error(selector));
        if (!d.present()) throw fault_np(sel_error(selector));
    }
    cpu.set_accessed(selector, d);
    seg = d.to_segment(selector);
    cpu.hooks.segment_loaded(sr);
}

void load_code_segment(Cpu& cpu, uint16_t selector, const Descriptor& d, unsigned cpl) {
    cpu.set_accessed(selector, d);
    cpu.s.sreg(SegReg::cs) = d.to_segment(static_cast<uint16_t>((selector & ~3u) | cpl));
    cpu.s.set_cpl(cpl);
    cpu.hooks.segment_loaded(SegReg::cs);
}

Descriptor checked_code_target(Cpu& cpu, uint16_t selector) {
    if ((selector & ~3u) == 0) throw fault_gp(0);
    const Descriptor d = cpu.descriptor(selector);
    const unsigned cpl = cpu.s.cpl();
    if (!d.s()) {
        // Call gates (4, 12) are real targets prevt does not implement (task gates and TSSs
        // are the callers' task switches); any other system type is #GP(selector).
        const uint8_t t = d.type();
        if (t == 4 || t == 12) unsupported_system_target(selector, d);
        throw fault_gp(sel_error(selector));
    }
    if (!d.is_code()) throw fault_gp(sel_error(selector));
    if (d.conforming() ? d.dpl() > cpl : ((selector & 3) > cpl || d.dpl() != cpl))
        throw fault_gp(sel_error(selector));
    if (!d.present()) throw fault_np(sel_error(selector));
    return d;
}

void far_jump(Cpu& cpu, uint16_t selector, uint32_t offset, unsigned operand_size,
              uint32_t next_eip) {
    if (cpu.s.protected_mode()) selector = cpu.selector(selector);
    if (switches_task(cpu, selector, TaskEntry::kJump, next_eip)) return;
    if (operand_size == 2) offset &= 0xffff;
    if (!cpu.s.protected_mode()) {
        load_segment(cpu, SegReg::cs, selector);
        cpu.s.eip = offset;
        return;
    }
    const Descriptor d = checked_code_target(cpu, selector);
    if (offset > d.limit()) throw fault_gp(0);
    load_code_segment(cpu, selector, d, cpu.s.cpl());
    cpu.s.eip = offset;
}

void far_call(Cpu& cpu, uint16_t selector, uint32_t offset, unsigned operand_size,
              uint32_t return_eip) {
    if (cpu.s.protected_mode()) selector = cpu.selector(selector);
    if (switches_task(cpu, selector, TaskEntry::kCall, return_eip)) return;
    if (operand_size == 2) offset &= 0xffff;
    const uint32_t saved_esp = cpu.s.gpr[esp];
    const uint16_t old_cs = cpu.s.sreg(SegReg::cs).selector;
    Descriptor d;
    if (cpu.s.protected_mode()) {
        d = checked_code_target(cpu, selector);
        if (offset > d.limit()) throw fault_gp(0);
    }
    try {
        cpu.push(old_cs, operand_size);
        cpu.push(return_eip, operand_size);
    } catch (const GuestFault&) {
        cpu.s.gpr[esp] = saved_esp;
        throw;
    }
    if (cpu.s.protected_mode())
        load_code_segment(cpu, selector, d, cpu.s.cpl());
    else
        load_segment(cpu, SegReg::cs, selector);
    cpu.s.eip = offset;
}

void far_return(Cpu& cpu, unsigned operand_size, uint16_t release_bytes) {
    const uint32_t sp = cpu.stack_pointer();
    uint32_t eip = cpu.read(SegReg::ss, sp, operand_size);
    auto selector = static_cast<uint16_t>(cpu.read(SegReg::ss, sp + operand_size, 2));
    if (!cpu.s.protected_mode()) {
        load_segment(cpu, SegReg::cs, selector);
        cpu.s.eip = eip;
        cpu.set_stack_pointer(sp + 2 * operand_size + release_bytes);
        return;
    }
    selector = cpu.selector(selector);
    const Descriptor d = checked_return_target(cpu, selector);
    if (eip > d.limit()) throw fault_gp(0);
    const unsigned rpl = selector & 3;
    if (rpl == cpu.s.cpl()) {
        load_code_segment(cpu, selector, d, rpl);
        cpu.s.eip = eip;
        cpu.set_stack_pointer(sp + 2 * operand_size + release_bytes);
        return;
    }
    const uint32_t outer = sp + 2 * operand_size + release_bytes;
    const uint32_t new_esp = cpu.read(SegReg::ss, outer, operand_size);
    const uint16_t ss_sel = cpu.selector(cpu.read(SegReg::ss, outer + operand_size, 2));
    const Descriptor ssd = checked_outer_stack(cpu, ss_sel, rpl);
    return_to_outer_level(cpu, selector, d, eip, ss_sel, ssd, new_esp + release_bytes);
}

void write_eflags(Cpu& cpu, uint32_t value, unsigned operand_size, bool iret) {
    using namespace eflags;
    const unsigned cpl = cpu.s.cpl();
    const unsigned iopl = (cpu.s.eflags & IOPL) >> 12;
    uint32_t mask = CF | PF | AF | ZF | SF | TF | DF | OF | NT | AC | ID | (iret ? RF : 0);
    if (cpl == 0) mask |= IOPL;
    if (cpl <= iopl) mask |= IF;
    if (operand_size == 2) mask &= 0xffff;
    cpu.s.eflags = (cpu.s.eflags & ~mask) | (value & mask) | kFixed1;
}

void interrupt_return(Cpu& cpu, unsigned operand_size) {
    using namespace eflags;
    if (!cpu.s.protected_mode()) {
        const uint32_t eip = cpu.pop(operand_size);
        const auto selector = static_cast<uint16_t>(cpu.pop(operand_size));
        const uint32_t flags = cpu.pop(operand_size);
        load_segment(cpu, SegReg::cs, selector);
        cpu.s.eip = eip;
        // The SDM's real-mode IRET: tempEFLAGS AND 257FD5H (32-bit; the low word's 7FD5H for
        // 16-bit), VM, VIF and VIP kept: the reserved bits (3, 5, 15, 22-31) never load.
        uint32_t mask = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | AC | ID;
        if (operand_size == 2) mask &= 0xffff;
        cpu.s.eflags = (cpu.s.eflags & ~mask) | (flags & mask) | kFixed1;
        return;
    }
    if (cpu.s.eflags & NT)  // (execute.cpp: a task return)
        throw GuestError("internal error: iret with EFLAGS.NT reached the same-task return");
    const uint32_t sp = cpu.stack_pointer();
    const uint32_t eip = cpu.read(SegReg::ss, sp, operand_size);
    const uint16_t selector = cpu.selector(cpu.read(SegReg::ss, sp + operand_size, 2));
    const uint32_t flags = cpu.read(SegReg::ss, sp + 2 * operand_size, operand_size);
    if (operand_size == 4 && (flags & VM) && cpu.s.cpl() == 0)
        throw GuestError("iret to virtual-8086 mode is not supported");
    const Descriptor d = checked_return_target(cpu, selector);
    if (eip > d.limit()) throw fault_gp(0);
    const unsigned rpl = selector & 3;
    if (rpl == cpu.s.cpl()) {
        load_code_segment(cpu, selector, d, rpl);
        cpu.s.eip = eip;
        cpu.set_stack_pointer(sp + 3 * operand_size);
        write_eflags(cpu, flags, operand_size, true);
        return;
    }
    const uint32_t new_esp = cpu.read(SegReg::ss, sp + 3 * operand_size, operand_size);
    const uint16_t ss_sel = cpu.selector(cpu.read(SegReg::ss, sp + 4 * operand_size, 2));
    const Descriptor ssd = checked_outer_stack(cpu, ss_sel, rpl);
    write_eflags(cpu, flags, operand_size, true);  // at the old CPL, as the SDM orders it
    return_to_outer_level(cpu, selector, d, eip, ss_sel, ssd, new_esp);
}

}  // namespace prevt
