// The APIC bus of a multiprocessor PC: the local APICs of all CPUs (index = initial APIC ID),
// the 4 KiB xAPIC page at 0xfee00000 routed to the running CPU's own APIC (every CPU sees its
// own registers at the same address), and the interprocessor interrupts between them (Intel
// SDM vol. 3A 11.6 "Issuing interprocessor interrupts"). State: new.
//
// Models: the ICR's destination shorthand (none, self, all including self, all excluding
// self), physical destinations (an APIC ID, 0xff broadcast) and logical ones (flat or cluster,
// by each target's LDR and DFR), the delivery modes fixed, lowest priority (delivered to the
// lowest-numbered CPU addressed: no priority arbitration), NMI, INIT and start-up (SIPI); the
// INIT level de-assert (INIT with the level bit clear) has no effect, as on P6 and later.
// Which CPUs an IPI woke is kept for the scheduler (take_woken).
// Missing: SMI (dropped: no SMM), the focus processor, lowest-priority arbitration by the
// task priority, the ICR's delivery status ever reading busy (an IPI arrives at once), the
// remote read (RRD). Ignored: the ICR's trigger mode for anything but the de-assert.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "devices/bus.hpp"

namespace prevt::devices {

class LocalApic;

// The delivery modes of the ICR (bits 10:8) and the LVT entries.
enum IpiMode : uint32_t {
    kIpiFixed = 0,
    kIpiLowestPriority = 1,
    kIpiSmi = 2,
    kIpiNmi = 4,
    kIpiInit = 5,
    kIpiStartup = 6,
    kIpiExtInt = 7,
};

// Delivers the IPI `icr_low`/`icr_high` (the 32-bit xAPIC destination in icr_high's bits
// 31:24, or all 32 bits in x2APIC mode) from `from` to those of `apics` it addresses; returns
// the bit mask of the indexes it reached.
uint32_t route_ipi(std::span<LocalApic* const> apics, const LocalApic& from, uint32_t icr_low,
                   uint32_t icr_high);

class ApicBus final : public IoDevice {
public:
    static constexpr unsigned kMaxCpus = 8;

    // The APICs in index order (index 0: the BSP); each must outlive the bus.
    explicit ApicBus(std::vector<LocalApic*> apics);

    std::string_view name() const override { return "lapic"; }
    // The page as the running CPU sees it: its own APIC's registers.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    unsigned size() const { return static_cast<unsigned>(apics_.size()); }
    LocalApic& apic(unsigned i) { return *apics_[i]; }
    unsigned current() const { return current_; }
    void set_current(unsigned i) { current_ = i; }

    // An APIC's ICR was written (LocalApic::send_ipi).
    void send(const LocalApic& from, uint32_t icr_low, uint32_t icr_high);
    // The CPUs (bit per index) that IPIs reached since the last call, other than the sender.
    uint32_t take_woken() {
        const uint32_t w = woken_;
        woken_ = 0;
        return w;
    }

private:
    std::vector<LocalApic*> apics_;
    unsigned current_ = 0;
    uint32_t woken_ = 0;
};

}  // namespace prevt::devices
