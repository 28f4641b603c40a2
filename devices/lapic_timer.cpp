#include "devices/lapic_timer.hpp"

#include <utility>

namespace prevt::devices {

namespace {

// 1 GHz: a bus tick is a nanosecond.
static_assert(LapicTimer::kBusHz == 1'000'000'000);

// SDM figure 11-10: bits 0, 1 and 3 give the divisor; 0b111 is ÷1, else ÷2^(value+1).
unsigned divide_shift(uint32_t reg) {
    const uint32_t v = (reg & 3) | ((reg >> 1) & 4);
    return (v + 1) & 7;
}

}  // namespace

LapicTimer::LapicTimer(const Clock& clock, std::function<void()> expired)
    : clock_(clock), expired_(std::move(expired)) {}

void LapicTimer::reset() {
    periodic_ = false;
    divide_reg_ = 0;
    shift_ = divide_shift(0);
    initial_ = 0;
    next_expiry_.reset();
}

void LapicTimer::set_periodic(bool periodic) {
    if (periodic == periodic_) return;
    periodic_ = periodic;
    // A one-shot that already expired stays expired; a running count keeps its next expiry.
}

void LapicTimer::write_divide(uint32_t value) {
    divide_reg_ = value & 0xb;
    const unsigned shift = divide_shift(divide_reg_);
    if (shift == shift_) return;
    // The count goes on from where it is, at the new rate.
    if (next_expiry_) {
        const uint64_t now = clock_.now_ns();
        const uint64_t left = current();
        shift_ = shift;
        start_ns_ = now - ((uint64_t{initial_} - left) << shift_);
        next_expiry_ = now + (left << shift_);
    } else {
        shift_ = shift;
    }
}

void LapicTimer::write_initial(uint32_t count) {
    initial_ = count;
    start_ns_ = clock_.now_ns();
    if (count == 0)
        next_expiry_.reset();
    else
        next_expiry_ = start_ns_ + (uint64_t{count} << shift_);
}

uint64_t LapicTimer::ticks_since_start() const {
    return (clock_.now_ns() - start_ns_) >> shift_;
}

uint32_t LapicTimer::current() const {
    if (!next_expiry_ || initial_ == 0) return 0;
    const uint64_t ticks = ticks_since_start();
    if (!periodic_) return ticks >= initial_ ? 0 : static_cast<uint32_t>(initial_ - ticks);
    return static_cast<uint32_t>(initial_ - ticks % initial_);
}

void LapicTimer::advance() {
    if (!next_expiry_) return;
    const uint64_t now = clock_.now_ns();
    if (now < *next_expiry_) return;
    const uint64_t period = uint64_t{initial_} << shift_;
    if (periodic_) {
        // The next expiry after now, on the grid the count started on.
        const uint64_t periods = (now - start_ns_) / period;
        start_ns_ += periods * period;
        next_expiry_ = start_ns_ + period;
    } else {
        next_expiry_.reset();
    }
    if (expired_) expired_();
}

std::optional<uint64_t> LapicTimer::next_deadline_ns() const {
    return next_expiry_;
}

}  // namespace prevt::devices
