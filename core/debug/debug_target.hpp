// The machine as a debugger sees it (the gdb stub's command set and the monitor use only
// this): the guest's architectural registers (the virtual CPU's state, never the shadow
// selectors or host registers the engines load), guest memory by linear address through the
// guest's own page tables or by physical address, and the stops. Implemented by
// core/debug/debugger.cpp over the Machine; a fake in the unit tests.
#pragma once

#include <cstdint>
#include <string>

#include "core/vcpu_state.hpp"

namespace prevt {

class DebugTarget {
public:
    enum class StopKind { kBreakpoint, kHardwareBreakpoint, kWriteWatchpoint };
    virtual ~DebugTarget() = default;
    virtual VcpuState& vcpu() = 0;
    // Guest memory, as a debugger reads it: page tables walked without setting accessed or
    // dirty bits, RAM and ROM only (never a device's MMIO). False: some byte does not
    // translate or is not memory; nothing is written then.
    virtual bool read_linear(uint32_t linear, uint8_t* out, uint32_t len) = 0;
    virtual bool write_linear(uint32_t linear, const uint8_t* in, uint32_t len) = 0;
    virtual bool read_physical(uint64_t phys, uint8_t* out, uint32_t len) = 0;
    // Stops by guest-linear address; false: not supported (then the stub replies empty).
    virtual bool insert_stop(StopKind kind, uint32_t linear, uint32_t len) = 0;
    virtual bool remove_stop(StopKind kind, uint32_t linear, uint32_t len) = 0;
    virtual void remove_all_stops() = 0;
};

}  // namespace prevt
