// An execution engine runs guest code on the virtual CPU until something needs the monitor,
// and reports why in the shared exit vocabulary (exit.hpp). The run loop does the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/debug/debug_stops.hpp"
#include "core/emulate/cpu.hpp"
#include "core/exit.hpp"
#include "core/vcpu_state.hpp"

namespace prevt::devices {
class LocalApic;
}

namespace prevt {

class Engine : public CpuHooks {
public:
    ~Engine() override = default;
    virtual const char* name() const = 0;
    // Runs the guest from `s` until an exit; `s` holds the complete guest state afterwards.
    virtual Exit run(VcpuState& s) = 0;
    // Single-step every guest instruction (the `exec` trace), if the engine can.
    virtual void set_single_step(bool on) = 0;
    // An interrupt waits while the guest has IF clear: exit as soon as the guest may set IF
    // (engines that run cli/sti/popf/iret natively or inline must be told; the default: the
    // run loop looks at every exit anyway).
    virtual void set_interrupt_window(bool /*on*/) {}
    // Run exactly one more guest instruction, then exit (the interrupt shadow after sti).
    virtual void step_one() {}
    // The debugger's breakpoints and single-step (core/debug/debug_stops.hpp: what the engine
    // must guarantee). The engine keeps a copy; false if it cannot stop so (then the debugger
    // refuses to start).
    virtual bool set_debug_stops(const DebugStops& /*stops*/) { return false; }
    // Whether the engine keeps guest code from the host (bt: every guest instruction is
    // translated; kvm: hardware). The trap engine runs guest code natively, from executable
    // guest RAM: it is not contained, and the seccomp filter lets it map executable memory.
    virtual bool contained() const { return true; }
    // Whether every guest iret reaches the virtual CPU while VcpuState::nmi_blocked is set
    // (trap: always; bt: its inline iret calls out then), so that the run loop may hold NMIs
    // until the handler's iret. kvm's iret runs in hardware: NMIs are not held there.
    virtual bool iret_ends_nmi_blocking() const { return false; }
    // Whether a guest iret may still run natively unseen (trap: through a frame the guest
    // built with its natively read %cs): then the run loop steps the NMI handler one
    // instruction at a time while an NMI waits, and the engine ends the blocking at an iret.
    virtual bool iret_may_run_natively() const { return false; }
    // The virtual CPU ran an instruction that faulted natively only because the host's
    // segments are shorter than the guest's (address-space compression; at `s`, before it
    // ran): an engine may translate that instruction differently from now on.
    virtual void note_compressed_access(const VcpuState& /*s*/) {}
    // The virtual CPU is about to run an instruction whose access no host mapping serves (MMIO,
    // ROM or unassigned memory; at `s`, before it ran).
    virtual void note_memory_map_access(const VcpuState& /*s*/) {}
    // The machine's local APIC: an engine may keep its TPR where translated code reaches it.
    virtual void attach_local_apic(devices::LocalApic& /*apic*/) {}
    // -smp (bt): the running vCPU, whose state is `leaving`, gives the host thread to another,
    // whose local APIC is `next`: what the engine keeps of `leaving` in the hardware goes
    // back into it, and nothing derived from it is used for the next one.
    virtual void switch_vcpu(VcpuState& /*leaving*/, devices::LocalApic& /*next*/) {}
    // The A20 gate changed (port 0x92, the 8042): while it is off, address bit 20 is 0
    // (docs/real-mode.md: which engines apply it, and where).
    virtual void set_a20(bool /*enabled*/) {}
    // For the monitor (core/debug/monitor.hpp). `info tlb`: the shadow MMU's host mappings of
    // guest-linear pages (none: the engine has no shadow, or paging is off and the guest's
    // memory is mapped whole). `info tc`: the translation cache's use (bt).
    struct ShadowMapping {
        uint32_t linear, frame;  // guest-linear page, guest-physical frame address
        bool writable, large;
    };
    virtual std::vector<ShadowMapping> shadow_mappings() const { return {}; }
    virtual std::vector<std::pair<std::string, uint64_t>> cache_use() const { return {}; }
    // Engine-specific counters for --stats: (name, value) pairs.
    virtual std::vector<std::pair<std::string, uint64_t>> counters() const { return {}; }
};

}  // namespace prevt
