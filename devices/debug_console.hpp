// The Bochs/QEMU debug console ("port e9 hack"), at port 0xe9. State: stable.
// Models: Bochs' port 0xe9 and QEMU's isa-debugcon (hw/char/debugcon.c): a byte written goes to
// the output sink; a read returns 0xe9, so that guests can detect the port before using it.
// Missing: nothing a guest can observe.
// Ignored: the access width; a write sends only its low byte (as QEMU), a wider read returns
// 0xe9 zero-extended.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace prevt::devices {

class DebugConsole final : public IoDevice {
public:
    static constexpr uint16_t kPort = 0xe9;
    static constexpr uint8_t kReadback = 0xe9;

    explicit DebugConsole(std::function<void(uint8_t)> sink);

    std::string_view name() const override { return "debugcon"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

private:
    std::function<void(uint8_t)> sink_;
};

}  // namespace prevt::devices
