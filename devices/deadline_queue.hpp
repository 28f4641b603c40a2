// The deadline queue: every device that counts time (the 8254 now; the RTC, the LAPIC timer,
// the floppy and ATA delays later) is registered here, and the run loop serves the queue after
// each exit instead of knowing any of them. Nothing ticks: a timed device computes its state
// from the clock when asked (advance()) and says when it next needs attention (an output edge
// that raises an interrupt); the queue reports the earliest of those deadlines, for which the
// engine arms one host timer.
//
// Reading the clock costs: the queue brings its devices up to date only when it must - the
// host timer fired (a deadline came), a device was touched since (port I/O may have
// reprogrammed it), or the vCPU waits (hlt).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace prevt::devices {

class TimedDevice {
public:
    virtual ~TimedDevice() = default;
    // Brings the device up to the clock's time now (drives its interrupt lines).
    virtual void advance() = 0;
    // When it next needs advance(), or nullopt if not unless it is reprogrammed.
    virtual std::optional<uint64_t> next_deadline_ns() const = 0;
    // Counts the guest's accesses (the device calls touch() on every port or MMIO access).
    uint64_t touches() const { return touches_; }

protected:
    void touch() { ++touches_; }

private:
    uint64_t touches_ = 0;
};

class DeadlineQueue {
public:
    void add(TimedDevice& device) { devices_.push_back({&device, ~0ull}); }

    struct Served {
        bool advanced = false;  // the devices were brought up to date
        uint64_t next_ns = 0;   // the earliest deadline then (0: none)
    };
    // After an exit: advances the devices if `timer_fired`, `waiting` or a device was touched
    // since the last time.
    Served serve(bool timer_fired, bool waiting);
    // Advances every device now; the earliest deadline (0: none).
    uint64_t advance_all();

private:
    struct Entry {
        TimedDevice* device;
        uint64_t touches_seen;
    };
    std::vector<Entry> devices_;
};

}  // namespace prevt::devices
