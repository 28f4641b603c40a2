// The run loop: one switch on the exit reason. Every exit is counted and timed; an exit the
// loop does not know is an error, never a silent continue.
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/interrupts.hpp"
#include "core/emulate/memory_operands.hpp"
#include "core/errors.hpp"
#include "core/machine.hpp"
#include "core/native/layout.hpp"
#include "core/native/seccomp.hpp"
#include "core/native/signals.hpp"

#include "core/run_loop.hpp"
#include "core/stop_signals.hpp"

namespace prevt {

void RunLoop::trace_event(const Event& ev) const {
    if (!m_.trace_.interrupts) return;
    fprintf(m_.trace_.out, "int: v=%02x e=%04x i=%d cpl=%u IP=%04x:%08x SP=%04x:%08x EAX=%08x\n",
            ev.vector, ev.has_error ? ev.error : 0, ev.source == EventSource::kSoftware ? 1 : 0,
            s_.cpl(), s_.sreg(SegReg::cs).selector, ev.return_eip, s_.sreg(SegReg::ss).selector,
            s_.gpr[esp], s_.gpr[eax]);
}

// Delivers an exception, applying the double-fault rules of SDM table 6-5; a fault while
// delivering #DF is a triple fault.
void RunLoop::raise(Event ev) {
    for (;;) {
        trace_event(ev);
        try {
            deliver_event(cpu_, ev);
            m_.stats_.event(ev.vector, ev.source == EventSource::kSoftware);
            return;
        } catch (const GuestFault& f) {
            if (f.vector == vec::PF) s_.cr2 = f.cr2;
            if (ev.vector == vec::DF && ev.source == EventSource::kException)
                throw GuestError(
                    "triple fault (a fault while delivering #DF): the guest is shut down");
            if (ev.source == EventSource::kException && makes_double_fault(ev.vector, f.vector))
                ev = Event{vec::DF, EventSource::kException, true, 0, s_.eip};
            else
                ev = Event{f.vector, EventSource::kException, f.has_error, f.error, s_.eip};
        }
    }
}

void RunLoop::emulate(const Exit& x) {
    const uint64_t t0 = m_.stats_.ticks();
    Decoded fetched;
    const Decoded& d =
        x.decoded && x.decoded->eip == s_.eip ? *x.decoded : (fetched = decode_at(cpu_, s_.eip));
    if (m_.trace_.traps)
        fprintf(m_.trace_.out, "trap: %04x:%08x %-28s (%s)\n", s_.sreg(SegReg::cs).selector, s_.eip,
                d.text().c_str(), x.host_signal ? sigabbrev_np(x.host_signal) : "callout");
    const bool stepping = s_.eflags & eflags::TF;  // TF at the start: #DB after it
    const uint16_t cs = s_.sreg(SegReg::cs).selector;
    const uint32_t eip = s_.eip;
    // (An interrupt frame pushed since is no access of this instruction; a mov %ss's hits held
    // for the instruction after it are, in effect: one #DB after this one reports both.)
    s_.debug_trap = std::exchange(s_.held_debug_trap, 0);
    const Outcome o = execute(cpu_, d);
    m_.stats_.instruction(d.in.mnemonic, m_.stats_.ticks() - t0);
    if (o != Outcome::kNotEmulated && m_.trace_.steps()) trace_exec(cs, eip, d.text(), "emulated");
    if (o == Outcome::kNotEmulated) {
        // A callout of a cs: read the virtual CPU has no form for (bt copies the others with
        // CS as data in FS): stop the guest rather than fault it with a made-up #UD.
        if (!x.host_signal && accesses_through(d.in, d.ops, ZYDIS_REGISTER_CS))
            throw GuestError("not emulated: " + d.text() +
                             " (a cs: data access the virtual CPU has no form for)");
        // An access no host mapping serves, by an instruction the virtual CPU cannot run:
        // stop the guest rather than drop or invent its effects.
        if (x.reason == ExitReason::kMemoryMap) {
            char at[16];
            snprintf(at, sizeof at, "%08x", x.address);
            throw GuestError("not emulated: " + d.text() + " (its access at linear address " + at +
                             " is MMIO, ROM, unassigned memory or on a data breakpoint's page)");
        }
        // After a native fault: the fault was the guest's own.
        return raise(Event{x.vector, EventSource::kException, x.has_error, x.error_code, s_.eip});
    }
    if (o == Outcome::kHalt && !m_.stop_) halt();
    const auto mn = d.in.mnemonic;
    if (mn == ZYDIS_MNEMONIC_PAUSE) paused_ = true;  // -smp: a spin-wait, another vCPU's turn
    // The single-step trap after an emulated instruction (not after one that delivered an
    // interrupt: the handler starts with TF clear, as on the CPU).
    const bool interrupt = mn == ZYDIS_MNEMONIC_INT || mn == ZYDIS_MNEMONIC_INT3 ||
                           mn == ZYDIS_MNEMONIC_INTO || mn == ZYDIS_MNEMONIC_INT1;
    // mov/pop %ss hold the #DB (and interrupts) until the next instruction is done (SDM
    // 6.8.3): its own single-step trap then reports both.
    const bool loads_ss = (mn == ZYDIS_MNEMONIC_MOV || mn == ZYDIS_MNEMONIC_POP) &&
                          d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                          d.ops[0].reg.value == ZYDIS_REGISTER_SS;
    if (loads_ss && o == Outcome::kDone) s_.interrupt_shadow = true;
    // I/O breakpoints (io.cpp) or data breakpoints (Cpu::note_data_access) hit: a trap.
    if (s_.debug_trap && o == Outcome::kDone && loads_ss) {
        s_.held_debug_trap = s_.debug_trap;  // after the next instruction (finish_held_trap)
        m_.engine().step_one();
    } else if (s_.debug_trap && o == Outcome::kDone) {
        s_.dr6 = (s_.dr6 & ~0xfu) | s_.debug_trap | (stepping ? 0x4000 : 0);  // (BS too)
        s_.debug_trap = 0;
        raise(Event{vec::DB, EventSource::kException, false, 0, s_.eip});
    } else if (stepping && !interrupt && !loads_ss && o == Outcome::kDone) {
        s_.dr6 |= 0x4000;  // BS
        raise(Event{vec::DB, EventSource::kException, false, 0, s_.eip});
    }
    s_.debug_trap = 0;  // (an instruction that faulted: no trap)
    if (mn == ZYDIS_MNEMONIC_INT || mn == ZYDIS_MNEMONIC_INT3 || mn == ZYDIS_MNEMONIC_INTO)
        if (m_.trace_.interrupts)
            fprintf(m_.trace_.out, "int: software %s delivered to %04x:%08x\n", d.text().c_str(),
                    s_.sreg(SegReg::cs).selector, s_.eip);
}

// The instruction after a mov/pop %ss that hit a data breakpoint ran natively (the engine
// stepped it: step_one), or was emulated (emulate() took the bits over): its #DB now, with
// both's B bits. A single-step #DB delivered for it reports them too; a fault in it drops
// them (SDM 6.8.3: the #DB is held until the instruction after completes).
void RunLoop::finish_held_trap(const Exit& x) {
    const uint8_t bits = std::exchange(s_.held_debug_trap, 0);
    if (x.reason == ExitReason::kException) {
        if (x.vector == vec::DB) s_.dr6 |= bits;
        return;
    }
    s_.dr6 = (s_.dr6 & ~0xfu) | bits;
    raise(Event{vec::DB, EventSource::kException, false, 0, s_.eip});
}

void RunLoop::serve(const Exit& x) {
    switch (x.reason) {
        case ExitReason::kEmulate: emulate(x); break;
        case ExitReason::kException:
            if (x.vector == vec::PF) s_.cr2 = x.address;
            // Address-space compression: the native engines' host segments end below the
            // monitor's area (or are empty, host_descriptor.hpp), so an access the guest's own
            // segment allows can fault natively with #GP(0)/#SS(0), whatever its operands
            // (explicit, a stack push at the wrap, a string instruction). The virtual CPU is
            // the authority: it runs the instruction with the guest's segments, or raises the
            // guest's own fault; an instruction it does not emulate gets the native fault.
            if ((x.vector == vec::GP || x.vector == vec::SS) && x.host_signal &&
                x.error_code == 0) {
                m_.engine().note_compressed_access(s_);
                emulate(x);
                break;
            }
            raise(Event{x.vector, EventSource::kException, x.has_error, x.error_code, s_.eip});
            break;
        case ExitReason::kSoftwareInt:
            if (m_.trace_.steps())
                trace_exec(entry_cs_, entry_eip_, entry_text_, "delivered by the monitor");
            raise(Event{x.vector, EventSource::kSoftware, false, 0, x.next_eip});
            break;
        case ExitReason::kMemoryMap:  // MMIO, stores into ROM/unassigned
            m_.engine().note_memory_map_access(s_);
            emulate(x);
            break;
        case ExitReason::kTimer:  // deadline: see run()
            m_.poll_serial_input();
            m_.refresh_display();
            break;
        case ExitReason::kHalt:  // (kvm: the hlt ran; trap and bt emulate it)
            if (m_.trace_.steps()) trace_exec(entry_cs_, entry_eip_, entry_text_, "exit to prevt");
            halt();
            break;
        case ExitReason::kShutdown: throw GuestError("triple fault: the guest is shut down");
        case ExitReason::kEscape:
        case ExitReason::kHostLimit: throw GuestError(x.detail);
        case ExitReason::kIo:  // (kvm: the instruction completes in KVM, from these values)
            if (m_.trace_.steps()) trace_exec(entry_cs_, entry_eip_, entry_text_, "exit to prevt");
            for (uint32_t i = 0; i < x.count; ++i) {
                uint8_t* p = x.data + i * x.size;
                uint32_t v = 0;
                if (x.write) {
                    memcpy(&v, p, x.size);
                    m_.ports_.write(x.port, x.size, v);
                } else {
                    v = m_.ports_.read(x.port, x.size);
                    memcpy(p, &v, x.size);
                }
            }
            break;
        case ExitReason::kMmio:  // (kvm) no slot, or a store into a read-only one (ROM)
            // Through the memory map: MMIO to the bus, unassigned all-ones, ROM stores dropped.
            // KVM's buffer holds 8 bytes; a larger size would be a KVM bug, never trusted.
            if (m_.trace_.steps()) trace_exec(entry_cs_, entry_eip_, entry_text_, "exit to prevt");
            if (x.size == 0 || x.size > 8)
                throw HostError("KVM reported an MMIO access of " + std::to_string(x.size) +
                                " bytes");
            if (x.write)
                m_.ram_.store(x.address, x.data, x.size);
            else
                m_.ram_.load(x.address, x.data, x.size);
            break;
        case ExitReason::kDebugStop:  // the exec trace's single-step; the debugger's stops
            // The step ran the instruction the entry started at (EIP is past it now).
            if (m_.trace_.steps()) trace_exec(entry_cs_, entry_eip_, entry_text_, nullptr);
            break;  // (the debugger looks at every exit: Debugger::after_exit)
        case ExitReason::kHandled:
            throw HostError("internal error: the engine returned an exit it had handled");
        case ExitReason::kCount:
        default: throw HostError("internal error: the engine reported an unknown exit");
    }
}

int RunLoop::run() {
    if (m_.config_.timeout_seconds > 0)
        deadline_ =
            Stats::Clock::now() +
            std::chrono::microseconds(static_cast<int64_t>(m_.config_.timeout_seconds * 1e6));
    m_.set_output_deadline(deadline_);  // a blocked reader cannot hold the run past it
    // The host timer interrupts guest code every 10 ms: for --timeout and terminal input.
    // (And for --display text's redraws, and the debuggers: gdb's Ctrl-C, the monitor's input.)
    // (-smp: the vCPUs' time quantum.)
    if (m_.config_.timeout_seconds > 0 || m_.serial_input_ || m_.display_ || m_.debugger_ || smp())
        native::set_guest_timer(10);
    m_.stats_.set_timed(m_.config_.stats);
    if (m_.config_.stats) catch_stop_signals();  // --stats however the run ends
    // Before the first guest instruction.
    native::install_guest_syscall_filter(!m_.engine_->contained());
    if (m_.debugger_) m_.debugger_->start();  // -S: gdb or the monitor lets it run
    while (!m_.stop_) {
        if (const int sig = stop_signal()) {  // Machine::run prints --stats, then dies by it
            fprintf(stderr, "prevt: terminating on signal %d (%s)\n", sig, sigabbrev_np(sig));
            break;
        }
        if (std::exchange(timer_fired_, false) && timed_out()) {
            native::set_guest_timer(0);
            fprintf(stderr, "prevt: --timeout of %g s reached\n", m_.config_.timeout_seconds);
            return kStatusTimeout;
        }
        entry_cs_ = s_.sreg(SegReg::cs).selector;
        entry_eip_ = s_.eip;
        if (m_.trace_.steps()) entry_text_ = entry_text();
        const Exit x = m_.engine_->run(s_);
        const uint64_t t0 = m_.stats_.ticks();
        if (x.host_signal) m_.stats_.host_signal(x.host_signal);
        const bool held = s_.held_debug_trap;  // a mov %ss's #DB, for after this exit
        try {
            serve(x);
            if (held && s_.held_debug_trap) finish_held_trap(x);
        } catch (const GuestFault& f) {
            if (f.vector == vec::PF) s_.cr2 = f.cr2;  // the faulting linear address
            raise(Event{f.vector, EventSource::kException, f.has_error, f.error, s_.eip});
        }
        if (m_.debugger_ && !m_.stop_) m_.debugger_->after_exit(x);  // may stop the guest
        // (While the debugger steps, the running vCPU keeps the host thread if it can run.)
        if (smp() && !m_.stop_)
            schedule(x.reason == ExitReason::kTimer, std::exchange(paused_, false),
                     m_.debugger_ && m_.debugger_->stepping());
        // Interrupts wait while the debugger steps (QEMU's SSTEP_NOIRQ): stepi stays put.
        if (!m_.stop_ && !(m_.debugger_ && m_.debugger_->stepping())) service_interrupts();
        m_.stats_.exit(x.reason, m_.stats_.ticks() - t0);
    }
    native::set_guest_timer(0);
    native::arm_device_timer(0);
    return m_.exit_status_;
}

int Machine::run() {
    started_ = Stats::Clock::now();
    int status;
    try {
        status = RunLoop(*this).run();
    } catch (const GuestError& e) {
        native::set_guest_timer(0);
        native::arm_device_timer(0);
        finish_screen();
        fprintf(stderr, "prevt: %s\n", e.what());
        dump_registers(stderr);
        status = kStatusGuestFailure;
    } catch (const HostError&) {  // --stats however the run ends; main reports the error
        native::set_guest_timer(0);
        native::arm_device_timer(0);
        finish_screen();  // --screen-dump however the run ends
        if (config_.stats) print_stats(stderr);
        throw;
    } catch (...) {
        finish_screen();
        throw;
    }
    finish_screen();  // (once: a second call finds nothing left to do)
    if (debugger_) debugger_->run_ended(status);
    if (config_.stats) print_stats(stderr);
    if (const int sig = stop_signal()) {  // the death it would have had without --stats
        if (console_) console_->restore();
        die_by_signal(sig);
    }
    return status;
}

}  // namespace prevt
