// System control port A at 0x92, the PS/2's fast A20 gate and fast reset, kept by every PC
// chipset since (Intel PIIX4 datasheet 290562, "Port 92h"; ICH datasheets, "Port 92h: INIT_NOW
// and ALT_A20_GATE"). State: new.
//
// Models: bit 1, the alternate A20 gate (read/write; 0 at reset); bit 0, fast init (read/write
// and not self-clearing, as on the PIIX4 and the ICHs: a 0 -> 1 transition requests a reset,
// and the bit must be written 0 before it can request another; a read-modify-write that keeps
// it at 1, as Linux's and SeaBIOS's A20 code do, resets nothing).
// The A20 gate: PIIX4 and the ICHs OR this bit with the keyboard controller's A20GATE output
// to drive the CPU's A20M#, so the machine should enable A20 while `port92.a20() ||
// i8042.a20()`. (QEMU sends both to one handler, so there the last change wins.)
// Missing: the PS/2's bits 2-7 (CMOS security lock, watchdog status, disk activity lights):
// reserved on the chipsets, they read 0. Ignored: writes to bits 2-7. The chipsets' INIT#
// (which keeps some CPU state) is reported as a plain reset request.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace prevt::devices {

class Port92 final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0x92;
    static constexpr unsigned kPortCount = 1;  // attach with this length

    // Either callback may be empty. They run inside the port write and should only record what
    // the machine must do: `a20` on each change of bit 1 (a20() already returns the new level),
    // `reset` on each 0 -> 1 transition of bit 0. The port keeps its value across the reset it
    // requests, as the chipset does.
    Port92(std::function<void(bool enabled)> a20, std::function<void()> reset);

    std::string_view name() const override { return "port92"; }
    // Only the first byte of an access is the port; the others read as all-ones and are dropped.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    bool a20() const { return value_ & 0x02; }

private:
    std::function<void(bool)> a20_;
    std::function<void()> reset_;
    uint8_t value_ = 0;  // bits 1:0 as written
};

}  // namespace prevt::devices
