// An execution engine runs guest code on the virtual CPU until something needs the monitor,
// and reports why in the shared exit vocabulary (exit.hpp). The run loop does the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/emulate/cpu.hpp"
#include "core/exit.hpp"
#include "core/vcpu_state.hpp"

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
    // The guest-linear address from which the engine's native accesses fault (its segments end
    // there: the monitor's area, or bt's user ceiling at CPL 3): the run loop lets the virtual
    // CPU run an access at or above it (address-space compression). Engines that run no
    // guest code natively: 4 GiB.
    virtual uint64_t native_limit(const VcpuState&) const { return uint64_t(1) << 32; }
    // Engine-specific counters for --stats: (name, value) pairs.
    virtual std::vector<std::pair<std::string, uint64_t>> counters() const { return {}; }
};

}  // namespace prevt
