// The run loop: one switch on the exit reason. Every exit is counted and timed; an exit the
// loop does not know is an error, never a silent continue.
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

namespace prevt {

class RunLoop {
public:
    explicit RunLoop(Machine& m)
        : m_(m), s_(m.vcpu_), cpu_{m.vcpu_, m.linear_, m.ports_, *m.engine_} {
        for (uint64_t port :
             {uint64_t(devices::I8254::kIoBase), uint64_t(devices::Port61::kIoBase)})
            pit_counters_.push_back(&m.ports_.entries().at(port).counters);
    }

    int run();

private:
    void serve(const Exit& x);
    void emulate(const Exit& x);
    void raise(Event ev);
    void trace_event(const Event& ev) const;
    void service_interrupts();
    bool touches_reserved_area();
    void wait_for_interrupt();
    bool timed_out() const;

    Machine& m_;
    VcpuState& s_;
    Cpu cpu_;
    Stats::Clock::time_point deadline_{};
    uint64_t armed_ns_ = 0;     // the device timer's deadline, 0 if disarmed
    uint64_t pit_io_ = 0;       // PIT and port 0x61 accesses when the PIT was last updated
    bool timer_fired_ = false;  // the host timer fired since run() last looked
    std::vector<const devices::BusCounters*> pit_counters_;
    bool window_ = false;  // the engine was asked for an interrupt window
};

// After every exit: the PIC's request delivered if the guest can take it now; otherwise the
// engine is told to exit when it can (IF set, or one instruction after sti). Time only moves
// the PIT when the host timer fired (armed for the PIT's next output edge) or after port I/O
// to the PIT (which may have reprogrammed it): reading the clock on every exit would cost a
// callout a third more.
void RunLoop::service_interrupts() {
    Machine& m = m_;
    const bool timer = native::g_timer_pending.load(std::memory_order_relaxed) &&
                       native::g_timer_pending.exchange(false);
    if (timer) timer_fired_ = true;  // run() looks at --timeout
    uint64_t pit_io = 0;             // accesses to the PIT and port 0x61 so far
    for (const devices::BusCounters* c : pit_counters_) pit_io += c->reads + c->writes;
    if (timer || pit_io != pit_io_ || s_.halted) {
        pit_io_ = pit_io;
        m.pit_->update();
        const uint64_t next = m.pit_->next_event_ns().value_or(0);
        if (next != armed_ns_ || timer) {
            native::arm_device_timer(next);
            armed_ns_ = next;
        }
    }
    const bool shadow = std::exchange(s_.interrupt_shadow, false);
    bool window = false;
    if (m.pic_.interrupt_pending()) {
        if (!(s_.eflags & eflags::IF)) {
            window = true;
        } else if (shadow) {
            m.engine_->step_one();
        } else {
            s_.halted = false;
            const uint8_t vector = m.pic_.acknowledge();
            raise(Event{vector, EventSource::kExternal, false, 0, s_.eip});
        }
    }
    if (window != window_) m.engine_->set_interrupt_window(window_ = window);
}

// Whether the instruction at EIP has a memory operand in [kMonitorBase, 4 GiB) of the
// guest-linear space (where the native engines' truncated segments cannot reach).
bool RunLoop::touches_reserved_area() {
    try {
        const Decoded d = decode_at(cpu_, s_.eip);
        for (unsigned i = 0; i < d.in.operand_count; ++i) {
            const ZydisDecodedOperand& op = d.ops[i];
            if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type != ZYDIS_MEMOP_TYPE_MEM)
                continue;
            const uint64_t linear =
                uint64_t(s_.sreg(operand_segment(d, i)).base) + effective_offset(cpu_, d, i);
            const uint64_t last = (linear & 0xffffffff) + op.size / 8 - 1;
            if (last >= native::kMonitorBase) return true;
        }
    } catch (const GuestFault&) {
    }
    return false;
}

bool RunLoop::timed_out() const {
    return deadline_ != Stats::Clock::time_point{} && Stats::Clock::now() >= deadline_;
}

// hlt with IF set: sleep until the PIT's next edge (or 10 ms, for terminal input and
// --timeout) until the PIC has something to deliver.
void RunLoop::wait_for_interrupt() {
    Machine& m = m_;
    for (;;) {
        m.pit_->update();
        if (m.pic_.interrupt_pending()) return;
        if (m.serial_input_) m.poll_serial_input();
        if (m.pic_.interrupt_pending()) return;
        const auto next = m.pit_->next_event_ns();
        if (!next && !m.serial_input_ && deadline_ == Stats::Clock::time_point{})
            throw GuestError(
                "the guest executed hlt and nothing can wake it (no timer armed, no input)");
        if (timed_out()) {  // run() reports it
            native::g_timer_pending.store(true);
            return;
        }
        uint64_t until = m.clock_.now_ns() + 10'000'000;
        if (next && *next < until) until = *next;
        timespec t{static_cast<time_t>(until / 1000000000), static_cast<long>(until % 1000000000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr);
    }
}

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
    const Outcome o = execute(cpu_, d);
    m_.stats_.instruction(d.in.mnemonic, m_.stats_.ticks() - t0);
    if (o == Outcome::kNotEmulated)  // the native fault was the guest's own
        return raise(Event{x.vector, EventSource::kException, x.has_error, x.error_code, s_.eip});
    if (o == Outcome::kHalt && !m_.stop_) {
        if (!(s_.eflags & eflags::IF))
            throw GuestError(
                "the guest executed hlt with interrupts disabled: nothing can wake it");
        wait_for_interrupt();
    }
    const auto mn = d.in.mnemonic;
    // The single-step trap after an emulated instruction (not after one that delivered an
    // interrupt: the handler starts with TF clear, as on the CPU).
    const bool interrupt = mn == ZYDIS_MNEMONIC_INT || mn == ZYDIS_MNEMONIC_INT3 ||
                           mn == ZYDIS_MNEMONIC_INTO || mn == ZYDIS_MNEMONIC_INT1;
    if (stepping && !interrupt && o == Outcome::kDone) {
        s_.dr6 |= 0x4000;  // BS
        raise(Event{vec::DB, EventSource::kException, false, 0, s_.eip});
    }
    if (mn == ZYDIS_MNEMONIC_INT || mn == ZYDIS_MNEMONIC_INT3 || mn == ZYDIS_MNEMONIC_INTO)
        if (m_.trace_.interrupts)
            fprintf(m_.trace_.out, "int: software %s delivered to %04x:%08x\n", d.text().c_str(),
                    s_.sreg(SegReg::cs).selector, s_.eip);
}

void RunLoop::serve(const Exit& x) {
    switch (x.reason) {
        case ExitReason::kEmulate: emulate(x); break;
        case ExitReason::kException:
            if (x.vector == vec::DB && x.detail[0]) {  // our own single-step: the exec trace
                fprintf(m_.trace_.out, "exec: %04x:%08x\n", s_.sreg(SegReg::cs).selector, s_.eip);
                break;
            }
            if (x.vector == vec::PF) s_.cr2 = x.address;
            // Address-space compression: the native engines' guest segments end below the
            // monitor's area, so an access there faults natively; the virtual CPU runs it.
            if ((x.vector == vec::GP || x.vector == vec::SS) && x.host_signal &&
                touches_reserved_area()) {
                emulate(x);
                break;
            }
            raise(Event{x.vector, EventSource::kException, x.has_error, x.error_code, s_.eip});
            break;
        case ExitReason::kSoftwareInt:
            raise(Event{x.vector, EventSource::kSoftware, false, 0, x.next_eip});
            break;
        case ExitReason::kUnassignedWrite:  // the store is dropped, as on a PC bus
            s_.eip = decode_at(cpu_, s_.eip).next_eip();
            break;
        case ExitReason::kTimer: m_.poll_serial_input(); break;  // deadline: see run()
        case ExitReason::kHalt:
            if (!(s_.eflags & eflags::IF))
                throw GuestError(
                    "the guest executed hlt with interrupts disabled: nothing can wake it");
            wait_for_interrupt();
            break;
        case ExitReason::kShutdown: throw GuestError("triple fault: the guest is shut down");
        case ExitReason::kEscape:
        case ExitReason::kHostLimit: throw GuestError(x.detail);
        case ExitReason::kIo:
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
        case ExitReason::kMmio: {
            uint32_t v = 0;
            if (x.write) {
                memcpy(&v, x.data, x.size);
                m_.mmio_.write(x.address, x.size, v);
            } else {
                v = m_.mmio_.read(x.address, x.size);
                memcpy(x.data, &v, x.size);
            }
            break;
        }
        case ExitReason::kCount: throw GuestError("engine reported an unknown exit");
    }
}

int RunLoop::run() {
    if (m_.config_.timeout_seconds > 0)
        deadline_ =
            Stats::Clock::now() +
            std::chrono::microseconds(static_cast<int64_t>(m_.config_.timeout_seconds * 1e6));
    // The host timer interrupts guest code every 10 ms: for --timeout and terminal input.
    if (m_.config_.timeout_seconds > 0 || m_.serial_input_) native::set_guest_timer(10);
    m_.stats_.set_timed(m_.config_.stats);
    native::install_guest_syscall_filter();  // before the first guest instruction
    while (!m_.stop_) {
        if (std::exchange(timer_fired_, false) && timed_out()) {
            native::set_guest_timer(0);
            fprintf(stderr, "prevt: --timeout of %g s reached\n", m_.config_.timeout_seconds);
            return kStatusTimeout;
        }
        const Exit x = m_.engine_->run(s_);
        const uint64_t t0 = m_.stats_.ticks();
        if (x.host_signal) m_.stats_.host_signal(x.host_signal);
        try {
            serve(x);
        } catch (const GuestFault& f) {
            if (f.vector == vec::PF) s_.cr2 = f.cr2;  // the faulting linear address
            raise(Event{f.vector, EventSource::kException, f.has_error, f.error, s_.eip});
        }
        if (!m_.stop_) service_interrupts();
        m_.stats_.exit(x.reason, m_.stats_.ticks() - t0);
    }
    native::set_guest_timer(0);
    native::arm_device_timer(0);
    return m_.exit_status_;
}

int Machine::run() {
    const auto start = Stats::Clock::now();
    int status;
    try {
        status = RunLoop(*this).run();
    } catch (const GuestError& e) {
        native::set_guest_timer(0);
        native::arm_device_timer(0);
        fprintf(stderr, "prevt: %s\n", e.what());
        dump_registers(stderr);
        status = kStatusGuestFailure;
    }
    if (config_.stats) {
        const double secs = std::chrono::duration<double>(Stats::Clock::now() - start).count();
        stats_.print(stderr, *engine_, ports_, secs);
    }
    return status;
}

}  // namespace prevt
