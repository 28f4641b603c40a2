// The PC/AT's system control port B at 0x61 (IBM PC AT Technical Reference, "System Board I/O
// Port B"; the same bits as the PIIX's NMI status and control register). State: new.
//
// Models: bit 0, the 8254 counter 2 GATE (read/write); bit 1, speaker data enable (read/write,
// observable with speaker_enabled()); bits 2 and 3, parity and channel check enables (stored);
// bit 4, the refresh request toggle, derived from the clock (it flips every 15.085 us, as
// counter 1 programmed for DRAM refresh makes it); bit 5, counter 2's OUT.
// Missing: the speaker itself (no sound); NMI sources: bits 6 (IOCHK) and 7 (parity error)
// always read as 0. Ignored: writes to bits 4-7.
#pragma once

#include <cstdint>

#include "devices/bus.hpp"
#include "devices/clock.hpp"
#include "devices/i8254.hpp"

namespace prevt::devices {

class Port61 final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0x61;
    static constexpr unsigned kPortCount = 1;  // attach with this length
    static constexpr uint64_t kRefreshToggleNs = 15'085;

    // Drives `pit`'s counter 2 GATE low, as bit 0 is after reset. Both must outlive the port.
    Port61(I8254& pit, const Clock& clock);

    std::string_view name() const override { return "port61"; }
    // Only the first byte of an access is the port; the others read as all-ones and are dropped.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // Counter 2 gated on and its OUT connected to the speaker.
    bool speaker_enabled() const { return (control_ & 3) == 3; }

private:
    I8254& pit_;
    const Clock& clock_;
    uint8_t control_ = 0;  // bits 3:0 as written
};

}  // namespace prevt::devices
