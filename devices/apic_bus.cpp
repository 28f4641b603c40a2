#include "devices/apic_bus.hpp"

#include "devices/local_apic.hpp"

namespace prevt::devices {

uint32_t route_ipi(std::span<LocalApic* const> apics, const LocalApic& from, uint32_t icr_low,
                   uint32_t icr_high) {
    const auto vector = static_cast<uint8_t>(icr_low);
    const uint32_t mode = (icr_low >> 8) & 7;
    const bool logical = icr_low & (1u << 11);
    const bool asserted = icr_low & (1u << 14);
    if (mode == kIpiInit && !asserted) return 0;  // INIT level de-assert: nothing (P6 and later)
    const uint32_t destination = from.x2apic_mode() ? icr_high : icr_high >> 24;
    uint32_t reached = 0;
    for (unsigned i = 0; i < apics.size(); ++i) {
        const LocalApic& to = *apics[i];
        const bool self = &to == &from;
        bool addressed = false;
        switch ((icr_low >> 18) & 3) {
            case 0: addressed = to.addressed(destination, logical); break;
            case 1: addressed = self; break;   // self
            case 2: addressed = true; break;   // all including self
            case 3: addressed = !self; break;  // all excluding self
        }
        if (addressed) reached |= 1u << i;
    }
    // Lowest priority: one CPU of those addressed (the lowest-numbered: no arbitration).
    if (mode == kIpiLowestPriority) reached &= ~(reached - 1);
    for (unsigned i = 0; i < apics.size(); ++i)
        if (reached & (1u << i)) apics[i]->receive(mode, vector);
    return reached;
}

ApicBus::ApicBus(std::vector<LocalApic*> apics) : apics_(std::move(apics)) {
    for (LocalApic* a : apics_) a->attach_bus(this);
}

uint32_t ApicBus::read(uint64_t offset, unsigned size) {
    return apics_[current_]->read(offset, size);
}

void ApicBus::write(uint64_t offset, unsigned size, uint32_t value) {
    apics_[current_]->write(offset, size, value);
}

void ApicBus::send(const LocalApic& from, uint32_t icr_low, uint32_t icr_high) {
    uint32_t reached = route_ipi(apics_, from, icr_low, icr_high);
    for (unsigned i = 0; i < apics_.size(); ++i)
        if (apics_[i] == &from) reached &= ~(1u << i);
    woken_ |= reached;
}

}  // namespace prevt::devices
