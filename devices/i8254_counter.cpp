#include "devices/i8254_counter.hpp"

namespace prevt::devices {

namespace {

constexpr uint8_t kStatusOut = 0x80, kStatusNullCount = 0x40;

// Mode 3 keeps OUT high for the first (N+1)/2 ticks of each period and low for the rest.
uint64_t square_wave_high_ticks(uint32_t n) {
    return (uint64_t{n} + 1) / 2;
}

bool gate_triggered(uint8_t mode) {
    return mode == 1 || mode == 5;
}

bool periodic(uint8_t mode) {
    return mode == 2 || mode == 3;
}

}  // namespace

void I8254Counter::connect_out(IrqLine* out) {
    out_line_ = out;
    if (out_line_) out_line_->set_level(driven_);
}

bool I8254Counter::counting() const {
    return loaded_ && !stopped_by_first_byte_ && (gate_ || gate_triggered(mode_));
}

uint64_t I8254Counter::elapsed(uint64_t tick) const {
    return counting() ? base_elapsed_ + (tick - base_tick_) : base_elapsed_;
}

void I8254Counter::rebase(uint64_t tick) {
    base_elapsed_ = elapsed(tick);
    base_tick_ = tick;
}

void I8254Counter::start(uint64_t tick) {
    n_ = written_count();
    loaded_ = true;
    null_count_ = false;
    pending_n_.reset();
    base_tick_ = tick;
    base_elapsed_ = 0;
}

void I8254Counter::program(uint8_t control_word, uint64_t tick) {
    settle(tick);
    rebase(tick);
    mode_bits_ = (control_word >> 1) & 7;
    mode_ = mode_bits_ > 5 ? mode_bits_ - 4 : mode_bits_;  // 110 and 111 are modes 2 and 3
    access_ = static_cast<Access>((control_word >> 4) & 3);
    bcd_ = control_word & 1;
    loaded_ = false;
    count_written_ = false;
    null_count_ = true;
    stopped_by_first_byte_ = false;
    write_msb_next_ = read_msb_next_ = false;
    pending_n_.reset();
    latched_count_.reset();
    latched_status_.reset();
    resync(tick);
}

void I8254Counter::write_byte(uint8_t value, uint64_t tick) {
    settle(tick);
    switch (access_) {
        case kLsb: count_register_ = value; break;
        case kMsb: count_register_ = static_cast<uint16_t>(value << 8); break;
        case kLatch:
        case kLsbThenMsb:
            if (!write_msb_next_) {
                count_register_ = value;
                write_msb_next_ = true;
                if (mode_ == 0) {  // the first byte of a new count stops mode 0 and drops OUT
                    rebase(tick);
                    stopped_by_first_byte_ = true;
                    resync(tick);
                }
                return;
            }
            count_register_ = static_cast<uint16_t>(count_register_ | (value << 8));
            write_msb_next_ = false;
            rebase(tick);
            stopped_by_first_byte_ = false;
            break;
    }
    load_written_count(tick);
    resync(tick);
}

void I8254Counter::load_written_count(uint64_t tick) {
    count_written_ = true;
    null_count_ = true;
    if (gate_triggered(mode_)) return;  // waits for the next trigger
    if (!periodic(mode_) || !loaded_) return start(tick);
    // Modes 2 and 3 finish the current period (half-cycle in mode 3) with the old count; with
    // the gate low the count is reloaded by the gate's rising edge anyway.
    if (!counting()) return;
    const uint64_t e = elapsed(tick);
    const uint64_t phase = e % n_;
    pending_n_ = written_count();
    if (mode_ == 2) {
        pending_at_elapsed_ = e - phase + n_;
        pending_start_elapsed_ = 0;
    } else if (phase < square_wave_high_ticks(n_)) {
        pending_at_elapsed_ = e - phase + square_wave_high_ticks(n_);
        pending_start_elapsed_ = square_wave_high_ticks(*pending_n_);  // into the low half
    } else {
        pending_at_elapsed_ = e - phase + n_;
        pending_start_elapsed_ = 0;
    }
}

uint8_t I8254Counter::read_byte(uint64_t tick) {
    settle(tick);
    if (latched_status_) {
        const uint8_t status = *latched_status_;
        latched_status_.reset();
        return status;
    }
    uint16_t value;
    bool msb;
    if (latched_count_) {
        value = *latched_count_;
        msb = access_ == kMsb || (access_ == kLsbThenMsb && latched_msb_next_);
        latched_msb_next_ = !latched_msb_next_;
        if (access_ != kLsbThenMsb || !latched_msb_next_) latched_count_.reset();
    } else {
        value = count_at(elapsed(tick));
        msb = access_ == kMsb || (access_ == kLsbThenMsb && read_msb_next_);
        if (access_ == kLsbThenMsb) read_msb_next_ = !read_msb_next_;
    }
    return static_cast<uint8_t>(msb ? value >> 8 : value);
}

void I8254Counter::latch_count(uint64_t tick) {
    settle(tick);
    if (latched_count_) return;
    latched_count_ = count_at(elapsed(tick));
    latched_msb_next_ = false;
}

void I8254Counter::latch_status(uint64_t tick) {
    settle(tick);
    if (latched_status_) return;
    latched_status_ =
        static_cast<uint8_t>((driven_ ? kStatusOut : 0) | (null_count_ ? kStatusNullCount : 0) |
                             (access_ << 4) | (mode_bits_ << 1) | (bcd_ ? 1 : 0));
}

void I8254Counter::set_gate(bool high, uint64_t tick) {
    settle(tick);
    if (high == gate_) return;
    rebase(tick);
    gate_ = high;
    if (high) {
        if (gate_triggered(mode_) && count_written_) start(tick);
        if (periodic(mode_) && loaded_) start(tick);
    }
    resync(tick);
}

void I8254Counter::settle(uint64_t tick) {
    if (pending_n_ && counting()) {
        const uint64_t boundary = base_tick_ + (pending_at_elapsed_ - base_elapsed_);
        if (boundary <= tick) {
            const uint32_t next_n = *pending_n_;
            pending_n_.reset();
            settle(boundary);  // the old count's edges, up to and including the boundary
            n_ = next_n;
            null_count_ = false;
            base_tick_ = boundary;
            base_elapsed_ = settled_elapsed_ = pending_start_elapsed_;
        }
    }
    const uint64_t e = elapsed(tick);
    if (rising_edge_between(settled_elapsed_, e)) {
        if (driven_) drive(false);
        drive(true);
    }
    drive(out_at(e));
    settled_elapsed_ = e;
}

bool I8254Counter::out(uint64_t tick) {
    settle(tick);
    return driven_;
}

uint16_t I8254Counter::count(uint64_t tick) {
    settle(tick);
    return count_at(elapsed(tick));
}

std::optional<uint64_t> I8254Counter::next_transition_tick() const {
    if (!counting()) return std::nullopt;
    const uint64_t e = settled_elapsed_;
    std::optional<uint64_t> next;  // in elapsed ticks
    switch (mode_) {
        case 0:
        case 1:
            if (e < n_) next = n_;
            break;
        case 2:
        case 3: {
            if (n_ == 1) break;
            const uint64_t phase = e % n_;
            const uint64_t falls_at = mode_ == 2 ? n_ - 1 : square_wave_high_ticks(n_);
            next = e - phase + (phase < falls_at ? falls_at : n_);
            break;
        }
        case 4:
        case 5:
            if (e <= n_) next = e < n_ ? n_ : n_ + 1;
            break;
    }
    if (!next) return std::nullopt;
    return base_tick_ + (*next - base_elapsed_);
}

bool I8254Counter::out_at(uint64_t e) const {
    // Mode 0 drives OUT low from its control word, and from the first byte of a new count, on.
    if (!loaded_ || stopped_by_first_byte_) return mode_ != 0;
    switch (mode_) {
        case 0:
        case 1: return e >= n_;
        case 2: return !gate_ || n_ == 1 || e % n_ != n_ - 1;
        case 3: return !gate_ || e % n_ < square_wave_high_ticks(n_);
        default: return e != n_;  // modes 4 and 5: one tick low at terminal count
    }
}

uint16_t I8254Counter::count_at(uint64_t e) const {
    switch (mode_) {
        case 2: return static_cast<uint16_t>(n_ - e % n_);
        case 3: {
            // Counts down by two from N (N-1 when odd) in each half-cycle.
            const uint64_t phase = e % n_, high = square_wave_high_ticks(n_);
            const uint64_t into_half = phase < high ? phase : phase - high;
            return static_cast<uint16_t>((n_ & ~1u) - 2 * into_half);
        }
        default: return static_cast<uint16_t>(n_ - e);  // wraps past terminal count
    }
}

bool I8254Counter::rising_edge_between(uint64_t from, uint64_t to) const {
    if (to <= from || !loaded_) return false;
    switch (mode_) {
        case 0:
        case 1: return from < n_ && n_ <= to;
        case 2:
        case 3: return n_ != 1 && to / n_ > from / n_;
        default: return from < n_ + 1 && n_ + 1 <= to;
    }
}

void I8254Counter::drive(bool level) {
    if (level == driven_) return;
    driven_ = level;
    if (out_line_) out_line_->set_level(level);
}

void I8254Counter::resync(uint64_t tick) {
    settled_elapsed_ = elapsed(tick);
    drive(out_at(settled_elapsed_));
}

}  // namespace prevt::devices
