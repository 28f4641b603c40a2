// The local APIC's timer (Intel SDM vol. 3A, 11.5.4, "APIC Timer"): a 32-bit down-counter
// clocked by the APIC bus clock through the divide configuration register, in one-shot or
// periodic mode, that raises its LVT entry's interrupt when it reaches zero. State: new.
//
// Models: the divide configuration (÷1 to ÷128), the initial count (writing it starts the
// count; 0 stops it), the current count (computed from the clock when read, never ticked),
// one-shot and periodic mode, and a mode change while counting (the count goes on; the new
// mode applies at the next expiry). The bus clock is 1 GHz, as in QEMU, so counts mean the
// same on both. Periodic expiries missed while the vCPU was not served are coalesced into one
// interrupt (the IRR holds one bit per vector anyway). Missing: TSC-deadline mode (no prevt
// profile offers it yet: the LVT's mode field then keeps bit 18 clear). Ignored: nothing.
//
// Driven by the deadline queue: advance() fires the expiries due by now; next_deadline_ns()
// says when the next one is due.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "devices/clock.hpp"
#include "devices/deadline_queue.hpp"

namespace prevt::devices {

class LapicTimer final : public TimedDevice {
public:
    static constexpr uint64_t kBusHz = 1'000'000'000;

    // `expired` runs at each expiry (the LAPIC raises the LVT timer's vector if unmasked).
    LapicTimer(const Clock& clock, std::function<void()> expired);

    void set_periodic(bool periodic);
    // The divide configuration register (offset 0x3e0): bits 0, 1 and 3.
    void write_divide(uint32_t value);
    uint32_t divide_register() const { return divide_reg_; }
    void write_initial(uint32_t count);
    uint32_t initial() const { return initial_; }
    uint32_t current() const;
    // Counts a guest access to the timer's registers (the deadline queue then serves it).
    void accessed() { touch(); }
    // Back to the state after reset: stopped, ÷2.
    void reset();

    void advance() override;
    std::optional<uint64_t> next_deadline_ns() const override;

private:
    uint64_t ticks_since_start() const;

    const Clock& clock_;
    std::function<void()> expired_;
    bool periodic_ = false;
    uint32_t divide_reg_ = 0;
    unsigned shift_ = 1;  // log2 of the divisor
    uint32_t initial_ = 0;
    uint64_t start_ns_ = 0;                // when the count (re)started at initial_
    std::optional<uint64_t> next_expiry_;  // absent: not counting, or a one-shot that expired
};

}  // namespace prevt::devices
