#include "core/emulate/task_switch.hpp"

#include "core/emulate/debug_registers.hpp"
#include "core/emulate/task_state.hpp"
#include "core/errors.hpp"

namespace prevt {

namespace {

constexpr uint32_t kBusy = 2u << 8;  // the busy bit of a TSS descriptor's type, in its high word

bool is_tss(const Descriptor& d) {
    const uint8_t t = d.type();
    return !d.s() && (t == 1 || t == 3 || t == 9 || t == 11);
}
bool is_busy(const Descriptor& d) {
    return d.hi & kBusy;
}
bool is_32bit(uint8_t type) {
    return type & 8;
}

// The TSS descriptor a task gate, a far jmp/call or an iret names: in the GDT, within its
// limit, a TSS of the wanted state (available to enter, busy to return to), present.
// `fault`: the exception a bad selector or type raises (#GP for jmp/call/int, #TS for iret).
Descriptor checked_tss(Cpu& cpu, uint16_t selector, bool busy, uint8_t fault, uint32_t ext) {
    const GuestFault bad{fault, true, (selector & ~3u) | ext};
    uint32_t at;
    if ((selector & 4) || !descriptor_linear(cpu.s, selector, &at)) throw bad;
    Descriptor d;
    d.lo = cpu.read_linear(at, 4);
    d.hi = cpu.read_linear(at + 4, 4);
    if (!is_tss(d) || is_busy(d) != busy) throw bad;
    if (!d.present()) throw fault_np((selector & ~3u) | ext);
    return d;
}

void set_busy(Cpu& cpu, uint16_t selector, bool busy) {
    const uint32_t at = cpu.s.gdtr.base + (selector & ~7u) + 4;
    const uint32_t hi = cpu.read_linear(at, 4);
    cpu.write_linear(at, 4, busy ? hi | kBusy : hi & ~kBusy);
}

}  // namespace

bool switch_task(Cpu& cpu, uint16_t selector, const Descriptor& tss, TaskEntry why,
                 uint32_t saved_eip, uint32_t ext) {
    VcpuState& s = cpu.s;
    const bool new32 = is_32bit(tss.type());
    if (tss.limit() < minimum_tss_limit(new32)) throw fault_ts((selector & ~3u) | ext);
    const Segment old_tr = s.tr;
    const bool old32 = is_32bit(old_tr.type);
    if (!old_tr.present || old_tr.s || old_tr.limit < minimum_tss_limit(old32))
        throw fault_ts((old_tr.selector & ~3u) | ext);

    // Before the commit point: every fault leaves the old task as it was (restartable).
    const TaskImage t = read_task_image(cpu, tss.base(), new32);
    uint32_t old_flags = s.eflags;
    if (why == TaskEntry::kIret) old_flags &= ~eflags::NT;
    save_task_state(cpu, old_tr.base, old32, saved_eip, old_flags);
    if (why == TaskEntry::kJump || why == TaskEntry::kIret) set_busy(cpu, old_tr.selector, false);
    const bool nests = why == TaskEntry::kCall || why == TaskEntry::kInterrupt;
    if (nests) cpu.write_linear(tss.base(), 2, old_tr.selector);
    if (why != TaskEntry::kIret) set_busy(cpu, selector, true);

    // The commit point: from here on a fault belongs to the new task.
    s.tr = tss.to_segment(selector);
    s.tr.type = static_cast<uint8_t>(tss.type() | 2);
    s.dr7 &= ~dr7::kLocalEnables;  // the local breakpoints are the old task's (SDM 18.2.4)
    s.cr0 |= cr0::TS;
    cpu.hooks.control_register_written(0);
    if (new32 && s.paging()) {
        s.cr3 = t.cr3 & 0xfffff018;
        cpu.hooks.control_register_written(3);
    }
    uint32_t flags = t.eflags;
    if (!new32) flags = (s.eflags & 0xffff0000) | (flags & 0xffff);
    if (nests) flags |= eflags::NT;
    if (new32 && (flags & eflags::VM))
        throw GuestError("a task switch into virtual-8086 mode: not supported");
    s.eflags = (flags & ~eflags::VM) | eflags::kFixed1;
    s.eip = new32 ? t.eip : (t.eip & 0xffff);
    for (int i = 0; i < 8; ++i)
        s.gpr[i] = new32 ? t.gpr[i] : ((s.gpr[i] & 0xffff0000) | (t.gpr[i] & 0xffff));
    load_task_segments(cpu, t, ext);
    return t.trap;
}

// The new task's TSS has its T bit: #DB with DR6.BT, a trap after the switch (before the new
// task's first instruction; the run loop delivers it at the new EIP). QEMU TCG does not
// implement the T bit.
void trap_on_entry(Cpu& cpu, bool trap) {
    if (!trap) return;
    cpu.s.dr6 |= dr7::kDr6Bt;
    throw GuestFault{vec::DB, false, 0};
}

void far_transfer_to_task(Cpu& cpu, uint16_t selector, const Descriptor& d, TaskEntry why,
                          uint32_t next_eip) {
    const unsigned cpl = cpu.s.cpl(), rpl = selector & 3;
    // A TSS or a task gate is a target only for code at least as privileged as its DPL.
    if (d.dpl() < cpl || d.dpl() < rpl) throw fault_gp(selector & ~3u);
    if (!d.present()) throw fault_np(selector & ~3u);
    uint16_t tss_selector = selector;
    if (d.type() == 5) tss_selector = d.gate_selector();
    const Descriptor tss = checked_tss(cpu, tss_selector, false, vec::GP, 0);
    const bool trap = switch_task(cpu, tss_selector, tss, why, next_eip, 0);
    if (cpu.s.eip > cpu.s.sreg(SegReg::cs).limit) throw fault_gp(0);
    trap_on_entry(cpu, trap);
}

void interrupt_to_task(Cpu& cpu, const Descriptor& gate, const Event& ev) {
    const uint32_t ext =
        (ev.source == EventSource::kException || ev.source == EventSource::kExternal) ? 1 : 0;
    const uint16_t tss_selector = gate.gate_selector();
    const Descriptor tss = checked_tss(cpu, tss_selector, false, vec::GP, ext);
    const bool trap =
        switch_task(cpu, tss_selector, tss, TaskEntry::kInterrupt, ev.return_eip, ext);
    if (ev.has_error) cpu.push(ev.error, is_32bit(tss.type()) ? 4 : 2);
    if (cpu.s.eip > cpu.s.sreg(SegReg::cs).limit) throw fault_gp(ext);
    // (Not for #DF: the run loop would take a #DB while delivering it for a triple fault.)
    trap_on_entry(cpu, trap && ev.vector != vec::DF);
}

void return_from_task(Cpu& cpu, uint32_t next_eip) {
    const Segment& tr = cpu.s.tr;
    if (!tr.present || tr.s) throw fault_ts(tr.selector & ~3u);
    const auto link = static_cast<uint16_t>(cpu.read_linear(tr.base, 2));
    const Descriptor tss = checked_tss(cpu, link, true, vec::TS, 0);
    const bool trap = switch_task(cpu, link, tss, TaskEntry::kIret, next_eip, 0);
    if (cpu.s.eip > cpu.s.sreg(SegReg::cs).limit) throw fault_gp(0);
    trap_on_entry(cpu, trap);
}

}  // namespace prevt
