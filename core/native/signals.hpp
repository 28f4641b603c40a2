// Host signals as guest exits. Every signal that guest code can raise is caught on an
// alternate stack by prevt_signal_entry (world_switch.S); the C++ part records the guest
// state and the event in the active NativeContext and sends the thread back to the monitor.
// A synchronous fault in the monitor's own code is a bug in prevt: it is reported and the
// process dies with the default action of the signal.
#pragma once

#include <atomic>
#include <cstdint>

namespace prevt::native {

// Installs the handlers and the alternate stack once per process (idempotent).
void install_signal_handlers();

// Called by the fatal path (a fault in the monitor, a forbidden system call) before it _exits,
// with the host's FS/GS bases loaded: must be async-signal-safe. The console's terminal restore
// (core/console.hpp); null: none.
void set_monitor_fault_hook(void (*hook)() noexcept);

// Set by the timer signal; the run loop reads and clears it.
extern std::atomic<bool> g_timer_pending;

// Starts (interval_ms > 0) or stops (0) the periodic host timer that interrupts guest code.
void set_guest_timer(unsigned interval_ms);

// A one-shot SIGALRM at `deadline_ns` on CLOCK_MONOTONIC (the devices' clock: the PIT's next
// output edge); 0 disarms it. Re-arming replaces the previous deadline.
void arm_device_timer(uint64_t deadline_ns);

}  // namespace prevt::native
