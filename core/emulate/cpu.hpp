// The virtual CPU as emulation code drives it: architectural state, guest linear memory,
// the port bus, and the hooks through which an engine learns of state it mirrors in hardware.
// Shared by the trap engine's fault handlers and (later) the bt engine's callouts.
#pragma once

#include <cstdint>

#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/fault.hpp"
#include "core/emulate/linear_memory.hpp"
#include "core/vcpu_state.hpp"
#include "devices/bus.hpp"
#include "devices/local_apic.hpp"

namespace prevt {

// A decoded segment descriptor (8 bytes from the GDT or LDT).
struct Descriptor {
    uint32_t lo = 0, hi = 0;
    uint32_t base() const { return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000); }
    uint32_t raw_limit() const { return (lo & 0xffff) | (hi & 0xf0000); }
    bool g() const { return hi & (1u << 23); }
    uint32_t limit() const { return g() ? (raw_limit() << 12) | 0xfff : raw_limit(); }
    uint8_t type() const { return (hi >> 8) & 0xf; }
    bool s() const { return hi & (1u << 12); }
    uint8_t dpl() const { return (hi >> 13) & 3; }
    bool present() const { return hi & (1u << 15); }
    bool avl() const { return hi & (1u << 20); }
    bool db() const { return hi & (1u << 22); }
    bool is_code() const { return s() && (type() & 8); }
    bool is_data() const { return s() && !(type() & 8); }
    bool conforming() const { return is_code() && (type() & 4); }
    bool readable() const { return !is_code() || (type() & 2); }
    bool writable() const { return is_data() && (type() & 2); }
    // Gate fields (system descriptors)
    uint16_t gate_selector() const { return lo >> 16; }
    uint32_t gate_offset() const { return (lo & 0xffff) | (hi & 0xffff0000); }
    Segment to_segment(uint16_t selector) const;
};

// The linear address of a selector's descriptor in the GDT or LDT; false if the table's limit
// (or an absent LDT) leaves it out. (Cpu::descriptor reads it with the faults.)
inline bool descriptor_linear(const VcpuState& s, uint16_t selector, uint32_t* linear) {
    const bool local = selector & 4;
    const uint32_t base = local ? s.ldtr.base : s.gdtr.base;
    const uint32_t limit = local ? s.ldtr.limit : s.gdtr.limit;
    if ((local && !s.ldtr.present) || (selector & ~7u) + 7u > limit) return false;
    *linear = base + (selector & ~7u);
    return true;
}

// Whether loading `d` would give exactly `seg` again, the accessed bit already set in memory
// (so that a reload writes nothing): what lets bt's inline iret keep the cached CS.
inline bool reloads_as(const Segment& seg, const Descriptor& d) {
    const Segment again = d.to_segment(seg.selector);
    return (d.hi & (1u << 8)) && d.present() && again.base == seg.base &&
           again.limit == seg.limit && again.type == seg.type && again.s == seg.s &&
           again.dpl == seg.dpl && again.present == seg.present && again.db == seg.db &&
           again.g == seg.g && again.avl == seg.avl;
}

class CpuHooks {
public:
    virtual ~CpuHooks() = default;
    virtual void segment_loaded(SegReg) {}
    virtual void control_register_written(int /*cr*/) {}
    virtual void tlb_invalidate(uint32_t /*linear*/) {}
    // Whether the engine can run the guest with CR0.PG set (a shadow of its page tables).
    virtual bool supports_paging() const { return false; }
    // Whether the engine can run the guest with CR0.PE clear (real mode).
    virtual bool supports_real_mode() const { return false; }
    // The x87 FIP a native environment store saw (bt: a translation-cache address) as the
    // guest's EIP; left as it is by engines whose guest code runs where the guest put it.
    virtual void guest_fpu_ip(uint32_t* /*fip*/) const {}
    // Whether the guest's x87 registers are in the hardware now (bt, after a callout: the
    // monitor runs no x87 code) rather than only in VcpuState::fpu (after a signal exit).
    virtual bool fpu_in_hardware() const { return false; }
    // A selector the guest got natively from a segment register (mov/push of %cs under
    // trap: the host's shadow selector) and has since handed to the virtual CPU (an IDT gate,
    // an iret frame, a far pointer, a TSS): the guest selector it stands for. Engines whose
    // guest never sees a host selector return it unchanged.
    virtual uint16_t guest_selector(const VcpuState& /*s*/, uint16_t selector) const {
        return selector;
    }
};

struct Cpu {
    VcpuState& s;
    LinearMemory& mem;
    devices::Bus& ports;
    CpuHooks& hooks;
    const CpuProfile* profile = &default_profile();  // the instructions that exist
    // The local APIC, for IA32_APIC_BASE (null: no APIC, the MSR raises #GP).
    devices::LocalApic* apic = nullptr;

    bool user() const { return s.cpl() == 3; }
    // A selector from guest memory or a guest register (CpuHooks::guest_selector).
    uint16_t selector(uint32_t raw) const {
        return hooks.guest_selector(s, static_cast<uint16_t>(raw));
    }

    // Segment-relative access with the limit and type checks of the SDM (#GP(0), or #SS(0)
    // for the stack segment).
    uint32_t linear(SegReg sr, uint32_t offset, unsigned len, bool write) const;
    uint32_t read(SegReg sr, uint32_t offset, unsigned len);
    void write(SegReg sr, uint32_t offset, unsigned len, uint32_t value);
    // Supervisor-privileged access to system tables (GDT, IDT, TSS), by linear address.
    uint32_t read_linear(uint32_t linear, unsigned len, bool user = false);
    void write_linear(uint32_t linear, unsigned len, uint32_t value, bool user = false);
    // A data access done: the data breakpoints (DR0-DR3, kinds 01/11) it hits go into
    // VcpuState::debug_trap, the run loop's #DB trap after the instruction.
    void note_data_access(uint32_t linear, unsigned len, bool write);

    // The stack, with SS's address size (SS.B) and the given operand size.
    void push(uint32_t value, unsigned len);
    uint32_t pop(unsigned len);
    uint32_t stack_pointer() const;
    void set_stack_pointer(uint32_t sp);

    // Descriptor of a selector from the GDT or LDT; throws #GP(selector & ~3) (or the given
    // fault vector) if it lies beyond the table's limit.
    Descriptor descriptor(uint16_t selector, uint8_t fault_vector = vec::GP) const;
    void set_accessed(uint16_t selector);
    // The same, with the descriptor already read (`d`): no second read, no write if set.
    void set_accessed(uint16_t selector, const Descriptor& d);
};

}  // namespace prevt
