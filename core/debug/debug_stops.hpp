// What a debugger (core/debug/debugger.hpp: the gdb stub and the monitor) asks of an engine:
// the one contract between them. Addresses are guest-linear (CS base + EIP), as QEMU's
// gdbstub compares them, so a breakpoint means the same under any CS.
//
// The engine's side (Engine::set_debug_stops):
//   - before it runs an instruction that starts at a breakpoint address it exits with
//     ExitReason::kDebugStop, EIP at the breakpoint, nothing of it executed; except at the
//     first entry after the debugger resumed (`resume_at`: the instruction the debugger
//     continues from runs, as a CPU's RF lets it);
//   - with `step`, it exits after each whole guest instruction: kDebugStop, or the exit the
//     instruction itself made (a callout, a fault), after which the run loop counts the step
//     done.
// Nothing is written into guest memory (no int3 patched in): the guest cannot see a stop.
#pragma once

#include <cstdint>
#include <unordered_set>

namespace prevt {

struct DebugStops {
    std::unordered_set<uint32_t> breakpoints;
    bool step = false;
    // A breakpoint at this linear address is passed over once (the resume point), if set.
    bool resume_set = false;
    uint32_t resume_at = 0;

    bool active() const { return step || !breakpoints.empty(); }
};

// The engines' check at an entry: whether to stop before the instruction at `linear`. Takes
// the resume pass: the first check after a resume never stops where the debugger resumed.
inline bool stops_before(DebugStops& d, uint32_t linear) {
    const bool resumed = d.resume_set && d.resume_at == linear;
    d.resume_set = false;
    return !resumed && d.breakpoints.count(linear) != 0;
}

}  // namespace prevt
