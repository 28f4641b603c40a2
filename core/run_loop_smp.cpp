// -smp N under bt: the vCPUs take turns on the one host thread (docs/interrupts.md, "Several
// vCPUs"). Each has its own architectural state (Machine::vcpus_, the running one in
// Machine::vcpu_) and its own local APIC on the APIC bus; they share memory, the devices and
// the engine (one translation cache, one shadow MMU: a TLB shared by all vCPUs, so that an
// invlpg or CR3 write on one drops mappings for all, a legal over-invalidation).
//
// The state machine per vCPU: running; halted (hlt; woken by an interrupt it accepts, an NMI,
// an INIT); waiting for a SIPI (an AP from power-on, any AP after an INIT; a SIPI starts it in
// real mode at vector * 0x1000, core/vcpu_startup.hpp). The vCPU to run is chosen after each
// exit: a vCPU an IPI reached or an interrupt woke from hlt runs at once (an IPI's sender
// usually spins waiting for it); the running one keeps the host thread until it halts,
// executes pause (a spin-wait: bt translates it as a callout with -smp) or the host timer's
// tick (every 10 ms) finds its turn older than the quantum (4 ms); then the next runnable
// one in index order takes it. With none runnable, the run loop
// sleeps as for hlt until one can run.
#include <cstdio>

#include "core/errors.hpp"
#include "core/run_loop.hpp"
#include "core/vcpu_startup.hpp"

namespace prevt {

using VcpuRun = Machine::VcpuRun;

// Whether halted vCPU i leaves hlt: an interrupt it accepts (IF set), an NMI not blocked.
bool RunLoop::wakes(unsigned i) {
    const VcpuState& st = state_of(i);
    devices::LocalApic& a = m_.apic_bus_->apic(i);
    return (a.interrupt_pending() && (st.eflags & eflags::IF)) ||
           (a.nmi_pending() && !st.nmi_blocked);
}

// INIT and SIPI taken by each vCPU, halted ones woken (noted in woken_); true if some vCPU
// can run.
bool RunLoop::update_run_states() {
    Machine& m = m_;
    bool runnable = false;
    for (unsigned i = 0; i < m.vcpus_.size(); ++i) {
        Machine::VcpuSlot& v = m.vcpus_[i];
        devices::LocalApic& a = m.apic_bus_->apic(i);
        if (a.take_init()) {
            if (i == 0)
                throw GuestError(
                    "an INIT IPI reached the BSP (vCPU 0): resetting the BSP is not built");
            v.run = VcpuRun::kWaitForSipi;
        }
        uint8_t vector = 0;
        if (a.take_sipi(&vector) && v.run == VcpuRun::kWaitForSipi) {
            VcpuState& st = state_of(i);
            st = startup_state(vector, st.msr);
            v.run = VcpuRun::kRunning;
            woken_ |= 1u << i;
            if (m.trace_.interrupts)
                fprintf(m.trace_.out, "int: vCPU %u started by SIPI at %04x:0000\n", i,
                        vector << 8);
        }
        if (v.run == VcpuRun::kHalted && wakes(i)) {
            v.run = VcpuRun::kRunning;
            woken_ |= 1u << i;
        }
        runnable |= v.run == VcpuRun::kRunning;
    }
    return runnable;
}

void RunLoop::schedule(bool quantum_over, bool paused, bool hold) {
    Machine& m = m_;
    const unsigned n = static_cast<unsigned>(m.vcpus_.size());
    const unsigned cur = m.current_;
    bool runnable = update_run_states();
    if (!runnable && m.vcpus_[0].run == VcpuRun::kHalted &&
        !(state_of(0).eflags & eflags::IF)) {  // the BSP's cli; hlt, the last to stop
        fprintf(stderr, "prevt: the guest halted with interrupts disabled: powered off\n");
        m.exit_status_ = kStatusPowerOff;
        m.stop_ = true;
        return;
    }
    if (!runnable) {  // every vCPU halted or waiting: as hlt does
        wait_for_interrupt();
        if (!update_run_states()) return;  // stopped, timed out: run() ends the run
    }
    unsigned next = n;
    // A vCPU an IPI reached or an interrupt woke goes first (its sender may spin waiting).
    for (uint32_t woken = m.apic_bus_->take_woken() | std::exchange(woken_, 0); woken;
         woken &= woken - 1) {
        const unsigned i = static_cast<unsigned>(__builtin_ctz(woken));
        if (i != cur && m.vcpus_[i].run == VcpuRun::kRunning) {
            next = i;
            break;
        }
    }
    // The time quantum: the host timer's tick ends a run after kQuantumNs of the vCPU's turn
    // (the tick comes every 10 ms: a turn lasts one or two), a pause ends it at once.
    if (quantum_over && !paused && m.clock_.now_ns() - turn_started_ns_ < kQuantumNs)
        quantum_over = false;
    if (next == n && (quantum_over || paused || m.vcpus_[cur].run != VcpuRun::kRunning))
        for (unsigned k = 1; k <= n && next == n; ++k)
            if (m.vcpus_[(cur + k) % n].run == VcpuRun::kRunning) next = (cur + k) % n;
    if (hold && m.vcpus_[cur].run == VcpuRun::kRunning) return;
    if (next != n && next != cur) switch_to(next);
}

// The running vCPU leaves the host thread to `next`: what the engine holds of it in the
// hardware back into its state (bt: the x87 registers), its derived host state forgotten (bt:
// the shadow selectors, the prepared fast paths, the TPR slot moved to next's APIC), the
// interrupt window closed (the next exit asks again for the new vCPU).
void RunLoop::switch_to(unsigned next) {
    Machine& m = m_;
    const uint64_t t0 = m.stats_.ticks();
    if (m.trace_.interrupts)
        fprintf(m.trace_.out, "int: vCPU %u -> vCPU %u at %04x:%08x\n", m.current_, next,
                s_.sreg(SegReg::cs).selector, s_.eip);
    if (window_) m.engine_->set_interrupt_window(window_ = false);
    m.engine_->switch_vcpu(s_, m.apic_bus_->apic(next));
    m.vcpus_[m.current_].state = s_;
    s_ = m.vcpus_[next].state;
    m.current_ = next;
    m.apic_bus_->set_current(next);
    cpu_.apic = &m.apic_bus_->apic(next);
    turn_started_ns_ = m.clock_.now_ns();
    m.stats_.vcpu_switch(m.stats_.ticks() - t0);
}

}  // namespace prevt
