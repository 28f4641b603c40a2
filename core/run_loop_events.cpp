// Around each exit: the timed devices brought up to date and the local APIC's interrupt (the
// PIC's, through it) delivered (or an
// interrupt window asked of the engine), hlt waited out, and native faults on accesses into the
// monitor's top 32 MiB recognised so that the virtual CPU runs them (docs/interrupts.md,
// docs/shadow-mmu.md).
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/interrupts.hpp"
#include "core/errors.hpp"
#include "core/machine.hpp"
#include "core/native/layout.hpp"
#include "core/native/seccomp.hpp"
#include "core/native/signals.hpp"

#include "core/run_loop.hpp"
#include "core/stop_signals.hpp"

namespace prevt {

// After every exit: an NMI from the local APIC delivered (NMIs ignore IF; the next waits for
// the handler's iret where the engine lets the virtual CPU see every iret), else its maskable
// request (a fixed vector, or the PIC's through ExtINT) if the guest can take it now; otherwise the
// engine is told to exit when it can (IF set, or one instruction after sti). Time moves the timed
// devices (the deadline queue) only when the host timer fired (armed for the earliest deadline) or
// a device was touched (port I/O may have reprogrammed it): reading the clock on every exit would
// cost a callout a third more.
void RunLoop::service_interrupts() {
    Machine& m = m_;
    const bool timer = native::g_timer_pending.load(std::memory_order_relaxed) &&
                       native::g_timer_pending.exchange(false);
    if (timer) timer_fired_ = true;  // run() looks at --timeout
    const devices::DeadlineQueue::Served served = m.timers_.serve(timer, s_.halted);
    if (served.advanced && (served.next_ns != armed_ns_ || timer)) {
        native::arm_device_timer(served.next_ns);
        armed_ns_ = served.next_ns;
    }
    const bool shadow = std::exchange(s_.interrupt_shadow, false);
    bool window = false;
    if (apic().nmi_pending() && !s_.nmi_blocked) {
        if (shadow) {
            m.engine_->step_one();
        } else {
            s_.halted = false;
            apic().nmi_taken();
            raise(Event{vec::NMI, EventSource::kExternal, false, 0, s_.eip});
            s_.nmi_blocked = m.engine_->iret_ends_nmi_blocking();
            // A maskable request waits for the handler's iret (IF is clear in it).
            window = apic().interrupt_pending() && !(s_.eflags & eflags::IF);
        }
    } else if (apic().interrupt_pending()) {
        if (!(s_.eflags & eflags::IF)) {
            window = true;
        } else if (shadow) {
            m.engine_->step_one();
        } else {
            s_.halted = false;
            const uint8_t vector = apic().acknowledge();
            raise(Event{vector, EventSource::kExternal, false, 0, s_.eip});
        }
    }
    // An NMI waiting for the handler's iret, which this engine may run natively unseen: one
    // instruction at a time until it (the engine ends the blocking there).
    if (apic().nmi_pending() && s_.nmi_blocked && m.engine_->iret_may_run_natively())
        m.engine_->step_one();
    if (window != window_) m.engine_->set_interrupt_window(window_ = window);
}

bool RunLoop::timed_out() const {
    return deadline_ != Stats::Clock::time_point{} && Stats::Clock::now() >= deadline_;
}

// hlt. With IF clear nothing but an NMI can wake the CPU: that is how a kernel
// powers a PC off when it has no ACPI (Linux's `poweroff -f`: "System halted"), so the run ends
// as a power-off, status 0, saying so. With IF set: wait for an interrupt.
void RunLoop::halt() {
    // -smp: the vCPU sleeps and another runs (schedule); one with IF clear sleeps until an
    // NMI or INIT, but the BSP's is the power-off below once no other vCPU runs.
    bool others_run = false;
    for (unsigned i = 0; i < m_.vcpus_.size(); ++i)
        others_run |= i != m_.current_ && m_.vcpus_[i].run == Machine::VcpuRun::kRunning;
    if (smp() && (m_.current_ != 0 || (s_.eflags & eflags::IF) || others_run)) {
        m_.vcpus_[m_.current_].run = Machine::VcpuRun::kHalted;
        return;
    }
    if ((s_.eflags & eflags::IF) || (apic().nmi_pending() && !s_.nmi_blocked))
        return wait_for_interrupt();
    fprintf(stderr, "prevt: the guest halted with interrupts disabled: powered off\n");
    m_.exit_status_ = kStatusPowerOff;
    m_.stop_ = true;
}

bool RunLoop::wake_pending() {
    if (smp()) return update_run_states();
    return apic().interrupt_pending() || (apic().nmi_pending() && !s_.nmi_blocked);
}

// hlt with IF set: sleep until the next device deadline (or 10 ms, for terminal input and
// --timeout) until the local APIC has something to deliver (-smp: until a vCPU can run).
void RunLoop::wait_for_interrupt() {
    Machine& m = m_;
    for (;;) {
        const uint64_t next = m.timers_.advance_all();  // 0: no device has a deadline
        if (wake_pending()) return;
        if (m.serial_input_) m.poll_serial_input();
        m.refresh_display();
        if (wake_pending() || m.stop_) return;                        // stop_: Ctrl-A x
        if (m.debugger_ && m.debugger_->poll_while_halted()) return;  // gdb's Ctrl-C, stop
        if (stop_signal()) return;                                    // SIGTERM with --stats
        if (!next && !m.serial_input_ && deadline_ == Stats::Clock::time_point{})
            throw GuestError(
                "the guest executed hlt and nothing can wake it (no timer armed, no input)");
        if (timed_out()) {  // run() reports it
            native::g_timer_pending.store(true);
            return;
        }
        uint64_t until = m.clock_.now_ns() + 10'000'000;
        if (next && next < until) until = next;
        timespec t{static_cast<time_t>(until / 1000000000), static_cast<long>(until % 1000000000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr);
    }
}

}  // namespace prevt
