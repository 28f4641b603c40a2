// VcpuState <-> KVM's register structures (kvm_regs, kvm_sregs), and the comparisons the kvm
// engine uses to write back only what the monitor changed between two KVM_RUNs.
#include "core/engines/kvm_engine.hpp"

namespace prevt::kvm_state {

kvm_segment to_kvm(const Segment& g) {
    kvm_segment k{};
    k.base = g.base;
    k.limit = g.limit;  // KVM takes the byte-granular limit, as VcpuState keeps it
    k.selector = g.selector;
    k.type = g.type;
    k.present = g.present;
    k.dpl = g.dpl;
    k.db = g.db;
    k.s = g.s;
    // VT-x checks G against the limit (G=1 needs the low 12 bits set, a limit above 1 MiB
    // needs G=1); a descriptor always agrees, a state built by hand might not.
    k.g = g.limit > 0xfffff ? 1 : ((g.limit & 0xfff) == 0xfff ? g.g : 0);
    k.avl = g.avl;
    k.unusable = !g.present;
    return k;
}

Segment from_kvm(const kvm_segment& k) {
    Segment g;
    g.base = static_cast<uint32_t>(k.base);
    g.limit = k.limit;
    g.selector = k.selector;
    g.type = k.type;
    g.present = k.present && !k.unusable;
    g.dpl = k.dpl;
    g.db = k.db;
    g.s = k.s;
    g.g = k.g;
    g.avl = k.avl;
    return g;
}

void to_kvm(const VcpuState& s, kvm_regs& r) {
    r = kvm_regs{};
    r.rax = s.gpr[eax], r.rcx = s.gpr[ecx], r.rdx = s.gpr[edx], r.rbx = s.gpr[ebx];
    r.rsp = s.gpr[esp], r.rbp = s.gpr[ebp], r.rsi = s.gpr[esi], r.rdi = s.gpr[edi];
    r.rip = s.eip;
    r.rflags = s.eflags | eflags::kFixed1;
}

void to_kvm(const VcpuState& s, kvm_sregs& sr) {
    kvm_segment* segs[kSegRegCount] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
    for (int i = 0; i < kSegRegCount; ++i) *segs[i] = to_kvm(s.seg[i]);
    sr.ldt = to_kvm(s.ldtr);
    if (!s.ldtr.present || s.ldtr.selector < 4) {  // no LDT: unusable, but a well-formed one
        sr.ldt.unusable = 1, sr.ldt.present = 0, sr.ldt.type = 2, sr.ldt.s = 0;
    }
    sr.tr = to_kvm(s.tr);
    if (!s.tr.present || s.tr.s || (s.tr.type != 11 && s.tr.type != 3)) {
        // VT-x wants a usable busy TSS even before the guest loads one (as after reset).
        sr.tr.present = 1, sr.tr.unusable = 0, sr.tr.type = 11, sr.tr.s = 0;
    }
    sr.gdt = kvm_dtable{};
    sr.gdt.base = s.gdtr.base, sr.gdt.limit = s.gdtr.limit;
    sr.idt = kvm_dtable{};
    sr.idt.base = s.idtr.base, sr.idt.limit = s.idtr.limit;
    sr.cr0 = s.cr0, sr.cr2 = s.cr2, sr.cr3 = s.cr3, sr.cr4 = s.cr4;
    sr.efer = 0;  // an i686: no long mode, no NX
}

void from_kvm(const kvm_regs& r, const kvm_sregs& sr, VcpuState& s) {
    s.gpr = {static_cast<uint32_t>(r.rax), static_cast<uint32_t>(r.rcx),
             static_cast<uint32_t>(r.rdx), static_cast<uint32_t>(r.rbx),
             static_cast<uint32_t>(r.rsp), static_cast<uint32_t>(r.rbp),
             static_cast<uint32_t>(r.rsi), static_cast<uint32_t>(r.rdi)};
    s.eip = static_cast<uint32_t>(r.rip);
    s.eflags = static_cast<uint32_t>(r.rflags);
    const kvm_segment* segs[kSegRegCount] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
    for (int i = 0; i < kSegRegCount; ++i) s.seg[i] = from_kvm(*segs[i]);
    s.set_cpl(sr.ss.dpl);  // (SS.DPL is CPL in protected mode, as KVM keeps it)
    s.ldtr = from_kvm(sr.ldt);
    s.tr = from_kvm(sr.tr);
    s.gdtr = {static_cast<uint32_t>(sr.gdt.base), sr.gdt.limit};
    s.idtr = {static_cast<uint32_t>(sr.idt.base), sr.idt.limit};
    s.cr0 = static_cast<uint32_t>(sr.cr0), s.cr2 = static_cast<uint32_t>(sr.cr2);
    s.cr3 = static_cast<uint32_t>(sr.cr3), s.cr4 = static_cast<uint32_t>(sr.cr4);
}

namespace {

bool same(const Segment& a, const Segment& b) {
    return a.selector == b.selector && a.base == b.base && a.limit == b.limit && a.type == b.type &&
           a.s == b.s && a.dpl == b.dpl && a.present == b.present && a.db == b.db && a.g == b.g &&
           a.avl == b.avl;
}

}  // namespace

bool same_regs(const VcpuState& a, const VcpuState& b) {
    return a.gpr == b.gpr && a.eip == b.eip && a.eflags == b.eflags;
}

bool same_sregs(const VcpuState& a, const VcpuState& b) {
    for (int i = 0; i < kSegRegCount; ++i)
        if (!same(a.seg[i], b.seg[i])) return false;
    return same(a.ldtr, b.ldtr) && same(a.tr, b.tr) && a.gdtr.base == b.gdtr.base &&
           a.gdtr.limit == b.gdtr.limit && a.idtr.base == b.idtr.base &&
           a.idtr.limit == b.idtr.limit && a.cr0 == b.cr0 && a.cr2 == b.cr2 && a.cr3 == b.cr3 &&
           a.cr4 == b.cr4;
}

}  // namespace prevt::kvm_state
