// The time source of device models that count time (the 8254 PIT, port 0x61's refresh bit).
// Devices compute their state from the time they are asked at; nothing ticks. Tests inject a
// fake clock; an engine gives the host's monotonic clock, or a virtual clock of its own.
#pragma once

#include <chrono>
#include <cstdint>

namespace prevt::devices {

class Clock {
public:
    virtual ~Clock() = default;
    // Nanoseconds since an arbitrary origin; never decreases.
    virtual uint64_t now_ns() const = 0;
};

// The host's monotonic clock.
class HostClock final : public Clock {
public:
    uint64_t now_ns() const override {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
    }
};

}  // namespace prevt::devices
