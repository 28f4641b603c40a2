// The Bochs/QEMU debug console, port 0xe9.
// Models: a byte written goes to the output sink; a read returns 0xe9, so that guests can
// detect the port (as Bochs and QEMU's isa-debugcon do).
// Missing: nothing. Ignored: the access width (the low byte is written).
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace prevt::devices {

class DebugConsole final : public IoDevice {
public:
    explicit DebugConsole(std::function<void(uint8_t)> sink) : sink_(std::move(sink)) {}
    std::string_view name() const override { return "debugcon"; }
    uint32_t read(uint64_t, unsigned) override { return 0xe9; }
    void write(uint64_t, unsigned, uint32_t value) override { sink_(static_cast<uint8_t>(value)); }

private:
    std::function<void(uint8_t)> sink_;
};

}  // namespace prevt::devices
