// The run loop (run_loop.cpp: one switch on the exit reason) and what it does around each
// exit: interrupts from the local APIC (and the PIC behind it) delivered, hlt waited out, accesses
// in the monitor's top recognised (run_loop_events.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/emulate/cpu.hpp"
#include "core/emulate/interrupts.hpp"
#include "core/machine.hpp"

namespace prevt {

class RunLoop {
public:
    explicit RunLoop(Machine& m)
        : m_(m), s_(m.vcpu_), cpu_{m.vcpu_, m.linear_, m.ports_, *m.engine_, m.config_.cpu} {
        cpu_.apic = &m.lapic_;
    }

    int run();

private:
    void serve(const Exit& x);
    void finish_held_trap(const Exit& x);
    void emulate(const Exit& x);
    void raise(Event ev);
    void trace_event(const Event& ev) const;
    // -d exec / cpu: the instruction `text` at cs:eip ran (`how`: null natively or from the
    // translation cache, else how the monitor ran it) (run_loop_trace.cpp).
    void trace_exec(uint16_t cs, uint32_t eip, const std::string& text, const char* how);
    // The instruction an entry at the current CS:EIP will run, as text (before it runs: a far
    // transfer changes CS).
    std::string entry_text();
    void service_interrupts();
    void halt();  // hlt: wait for an interrupt, or (IF clear) power off
    void wait_for_interrupt();
    bool timed_out() const;
    // The running vCPU's local APIC.
    devices::LocalApic& apic() { return *cpu_.apic; }
    // Whether hlt waits no more: for the running vCPU alone, or (-smp) for any vCPU.
    bool wake_pending();
    // -smp N (run_loop_smp.cpp): after each exit, INIT and SIPI taken, halted vCPUs woken and
    // the vCPU to run next chosen (`quantum_over`: the host timer's tick ended the last run;
    // `paused`: it executed pause; `hold`: keep the running one while it can run).
    bool smp() const { return m_.vcpus_.size() > 1; }
    void schedule(bool quantum_over, bool paused, bool hold);
    static constexpr uint64_t kQuantumNs = 4'000'000;
    uint32_t woken_ = 0;            // vCPUs woken from hlt or started since schedule() looked
    uint64_t turn_started_ns_ = 0;  // when the running vCPU's turn began
    bool update_run_states();       // true if some vCPU can run
    bool wakes(unsigned i);
    void switch_to(unsigned next);
    VcpuState& state_of(unsigned i) { return i == m_.current_ ? s_ : m_.vcpus_[i].state; }

    Machine& m_;
    VcpuState& s_;
    Cpu cpu_;
    Stats::Clock::time_point deadline_{};
    uint64_t armed_ns_ = 0;     // the device timer's deadline, 0 if disarmed
    bool timer_fired_ = false;  // the host timer fired since run() last looked
    bool window_ = false;       // the engine was asked for an interrupt window
    // Where the last entry into the guest started: the instruction a step ran (-d exec).
    uint16_t entry_cs_ = 0;
    uint32_t entry_eip_ = 0;
    std::string entry_text_;
    bool paused_ = false;  // the last exit emulated a pause
};

}  // namespace prevt
