// QEMU's isa-debug-exit (hw/misc/debugexit.c; iobase 0xf4, iosize 4): how test guests end a
// run with a status. State: stable.
// Models: a write of V, of any width and to any of the ports, asks the machine to stop with
// status (V << 1) | 1, computed in 32 bits as QEMU does; the callback gets the full value and
// the machine keeps the low 8 bits for the process exit status. A guest can therefore never
// request status 0, and 1 (V = 0) is also what a failed run looks like: use V = 0x10 (-> 0x21)
// or similar for success.
// Missing: nothing. Ignored: which of the four ports is written. Reads return all-ones of the
// access width, like an unassigned port.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace prevt::devices {

class DebugExit final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0xf4;
    static constexpr unsigned kIoSize = 4;

    explicit DebugExit(std::function<void(int status)> on_exit);

    std::string_view name() const override { return "debug-exit"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

private:
    std::function<void(int status)> on_exit_;
};

}  // namespace prevt::devices
