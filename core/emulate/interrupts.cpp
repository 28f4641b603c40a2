#include "core/emulate/interrupts.hpp"

#include "core/emulate/segments.hpp"
#include "core/emulate/task_switch.hpp"

namespace prevt {

namespace {

bool contributory(uint8_t v) {
    return v == vec::DE || v == vec::TS || v == vec::NP || v == vec::SS || v == vec::GP;
}

void deliver_real_mode(Cpu& cpu, const Event& ev) {
    const uint32_t entry = cpu.s.idtr.base + ev.vector * 4u;
    if (ev.vector * 4u + 3 > cpu.s.idtr.limit) throw fault_gp(0);
    const uint32_t target = cpu.read_linear(entry, 4);
    cpu.push(cpu.s.eflags & 0xffff, 2);
    cpu.push(cpu.s.sreg(SegReg::cs).selector, 2);
    cpu.push(ev.return_eip & 0xffff, 2);
    cpu.s.eflags &= ~(eflags::IF | eflags::TF | eflags::AC);
    load_segment(cpu, SegReg::cs, static_cast<uint16_t>(target >> 16));
    cpu.s.eip = target & 0xffff;
}

// New SS:ESP for privilege level `dpl`, from the current 32- or 16-bit TSS.
void stack_from_tss(Cpu& cpu, unsigned dpl, uint32_t ext, uint16_t* ss, uint32_t* sp,
                    Descriptor* ssd) {
    const Segment& tr = cpu.s.tr;
    const bool tss32 = (tr.type & 8) != 0;
    if (!tr.present || !(tr.type == 0x9 || tr.type == 0xb || tr.type == 0x1 || tr.type == 0x3))
        throw fault_ts(tr.selector & ~3u);
    const uint32_t at = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
    if (at + (tss32 ? 6 : 4) - 1 > tr.limit) throw fault_ts((tr.selector & ~3u) | ext);
    *sp = tss32 ? cpu.read_linear(tr.base + at, 4) : cpu.read_linear(tr.base + at, 2);
    *ss = static_cast<uint16_t>(cpu.read_linear(tr.base + at + (tss32 ? 4 : 2), 2));
    if ((*ss & ~3u) == 0) throw fault_ts(ext);
    *ssd = cpu.descriptor(*ss, vec::TS);
    if ((*ss & 3) != dpl || ssd->dpl() != dpl || !ssd->writable())
        throw fault_ts((*ss & ~3u) | ext);
    if (!ssd->present()) throw fault_ss((*ss & ~3u) | ext);
}

}  // namespace

bool makes_double_fault(uint8_t first, uint8_t second) {
    if (contributory(first)) return contributory(second);
    if (first == vec::PF) return contributory(second) || second == vec::PF;
    return false;
}

void deliver_event(Cpu& cpu, const Event& event) {
    // An unmasked SIMD floating-point exception is #XM only with CR4.OSXMMEXCPT; without it
    // the CPU raises #UD (SDM vol. 3A, 2.5), whichever engine saw the host's #XM.
    Event ev = event;
    if (ev.vector == vec::XM && ev.source == EventSource::kException &&
        !(cpu.s.cr4 & cr4::OSXMMEXCPT))
        ev.vector = vec::UD;
    if (!cpu.s.protected_mode()) return deliver_real_mode(cpu, ev);
    const uint32_t ext =
        (ev.source == EventSource::kException || ev.source == EventSource::kExternal) ? 1 : 0;
    const uint32_t idt_error = ev.vector * 8u + 2 + ext;
    if (ev.vector * 8u + 7 > cpu.s.idtr.limit) throw fault_gp(idt_error);
    Descriptor gate;
    gate.lo = cpu.read_linear(cpu.s.idtr.base + ev.vector * 8u, 4);
    gate.hi = cpu.read_linear(cpu.s.idtr.base + ev.vector * 8u + 4, 4);
    const uint8_t type = gate.type();
    const bool task_gate = !gate.s() && type == 0x5;
    if (gate.s() || !(task_gate || type == 0x6 || type == 0x7 || type == 0xe || type == 0xf))
        throw fault_gp(idt_error);
    const unsigned cpl = cpu.s.cpl();
    const bool software =
        ev.source == EventSource::kSoftware || ev.source == EventSource::kSoftwareException;
    if (software && gate.dpl() < cpl) throw fault_gp(idt_error);
    if (!gate.present()) throw fault_np(idt_error);
    if (task_gate) return interrupt_to_task(cpu, gate, ev);

    const uint16_t target_sel = cpu.selector(gate.gate_selector());
    if ((target_sel & ~3u) == 0) throw fault_gp(ext);
    const Descriptor code = cpu.descriptor(target_sel);
    if (!code.is_code() || code.dpl() > cpl) throw fault_gp((target_sel & ~3u) | ext);
    if (!code.present()) throw fault_np((target_sel & ~3u) | ext);
    const bool gate32 = type & 8;
    const unsigned size = gate32 ? 4 : 2;
    const uint32_t offset = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xffff);
    if (offset > code.limit()) throw fault_gp(ext);

    const Segment saved_ss = cpu.s.sreg(SegReg::ss);
    const uint32_t saved_esp = cpu.s.gpr[esp];
    const uint32_t flags = cpu.s.eflags;
    const uint16_t old_cs = cpu.s.sreg(SegReg::cs).selector;
    const unsigned new_cpl = code.conforming() ? cpl : code.dpl();
    try {
        if (new_cpl < cpl) {
            uint16_t ss_sel;
            uint32_t new_sp;
            Descriptor ssd;
            stack_from_tss(cpu, new_cpl, ext, &ss_sel, &new_sp, &ssd);
            const uint16_t old_ss = cpu.s.sreg(SegReg::ss).selector;
            const uint32_t old_sp = cpu.s.gpr[esp];
            cpu.s.sreg(SegReg::ss) = ssd.to_segment(ss_sel);
            cpu.s.gpr[esp] = new_sp;
            // The new stack is written with the new privilege (SDM 6.12.1): a kernel's stack
            // is in supervisor pages, which the interrupted CPL 3 could not write.
            cpu.s.set_cpl(new_cpl);
            cpu.push(old_ss, size);
            cpu.push(old_sp, size);
        }
        cpu.push(flags, size);
        cpu.push(old_cs, size);
        cpu.push(ev.return_eip, size);
        if (ev.has_error) cpu.push(ev.error, size);
    } catch (const GuestFault&) {
        cpu.s.sreg(SegReg::ss) = saved_ss;
        cpu.s.gpr[esp] = saved_esp;
        cpu.s.set_cpl(cpl);
        throw;
    }
    if (new_cpl < cpl) cpu.hooks.segment_loaded(SegReg::ss);
    load_code_segment(cpu, target_sel, code, new_cpl);
    cpu.s.eip = offset;
    cpu.s.eflags &= ~(eflags::TF | eflags::NT | eflags::RF | eflags::VM);
    if (!(type & 1)) cpu.s.eflags &= ~eflags::IF;  // interrupt gate (trap gates keep IF)
}

}  // namespace prevt
