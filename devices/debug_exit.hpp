// QEMU's isa-debug-exit (iobase 0xf4, iosize 4): how test guests end a run with a status.
// Models: a write of V, of any width, asks the machine to stop with exit status (V << 1) | 1,
// exactly as QEMU computes it (the process keeps the low 8 bits). Reads return all-ones.
// Missing: nothing. Ignored: which of the four ports is written.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace prevt::devices {

class DebugExit final : public IoDevice {
public:
    explicit DebugExit(std::function<void(int status)> on_exit) : on_exit_(std::move(on_exit)) {}
    std::string_view name() const override { return "debug-exit"; }
    uint32_t read(uint64_t, unsigned size) override {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    void write(uint64_t, unsigned, uint32_t value) override {
        on_exit_(static_cast<int>((value << 1) | 1));
    }

private:
    std::function<void(int)> on_exit_;
};

}  // namespace prevt::devices
