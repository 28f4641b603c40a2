#include "devices/local_apic.hpp"

#include "devices/apic_bus.hpp"
#include "devices/lapic_registers.hpp"

namespace prevt::devices {

using namespace lapic;

namespace {

constexpr uint32_t kMasked = 1u << 16, kTimerPeriodic = 1u << 17;
constexpr uint32_t kSpivEnable = 1u << 8;
// ESR bits (SDM figure 11-9).
constexpr uint32_t kSendIllegalVector = 1u << 5, kReceiveIllegalVector = 1u << 6,
                   kIllegalRegister = 1u << 7;
// Delivery modes (LVT and ICR bits 10:8).
constexpr uint32_t kFixed = kIpiFixed, kLowestPriority = kIpiLowestPriority, kNmi = kIpiNmi,
                   kExtInt = kIpiExtInt;

// The writable bits of each LVT entry (SDM figure 11-8): vector, delivery mode where the
// entry has one, polarity and trigger for LINT0/1, mask, timer mode (bit 18, TSC-deadline,
// is not offered).
constexpr uint32_t kLvtWritable[] = {
    0x000300ff,  // timer
    0x000107ff,  // thermal
    0x000107ff,  // performance counter
    0x0001a7ff,  // LINT0
    0x0001a7ff,  // LINT1
    0x000100ff,  // error
};

}  // namespace

LocalApic::LocalApic(const Clock& clock, ExtIntSource* pic, uint8_t initial_id)
    : pic_(pic),
      initial_id_(initial_id),
      timer_(clock,
             [this] {
                 const uint32_t lvt = lvt_[kLvtTimer];
                 if (!(lvt & kMasked)) accept(static_cast<uint8_t>(lvt));
             }),
      base_msr_(kDefaultBase | kMsrEnable | (initial_id == 0 ? kMsrBsp : 0)) {
    reset();
    wait_for_sipi_ = initial_id != 0;  // an AP out of power-on waits for a SIPI (as in QEMU)
}

void LocalApic::reset() {
    id_ = uint32_t{initial_id_} << 24;
    ldr_ = 0;
    dfr_ = 0xffffffff;
    spiv_ = 0xff;
    esr_ = esr_pending_ = 0;
    icr_low_ = icr_high_ = 0;
    lvt_.fill(kMasked);
    if (base_msr_ & kMsrBsp) lvt_[kLvtLint0] = kExtInt << 8;  // virtual wire, as a BIOS leaves it
    irr_.reset();
    isr_.reset();
    tmr_.reset();
    tpr_slot_->tpr = 0;
    irr_changed();
    nmi_pending_ = false;
    timer_.reset();
}

void LocalApic::bind_tpr_slot(TprSlot* slot) {
    *slot = *tpr_slot_;
    tpr_slot_ = slot;
}

void LocalApic::unbind_tpr_slot() {
    own_tpr_slot_ = *tpr_slot_;
    tpr_slot_ = &own_tpr_slot_;
}

bool LocalApic::write_base_msr(uint64_t value) {
    // Reserved: bits 7:0, 9, 10 unless x2APIC is offered, and 63:32 (MAXPHYADDR is 32).
    const uint64_t writable =
        0xfffff000ull | kMsrEnable | kMsrBsp | (x2apic_offered_ ? kMsrX2apic : 0);
    if (value & ~writable) return false;
    // SDM 11.12.5: x2APIC mode needs the APIC enabled, and it is left only by disabling.
    const bool x2 = value & kMsrX2apic, enable = value & kMsrEnable;
    if ((x2 && !enable) || (x2apic_mode() && !x2 && enable)) return false;
    const bool was_enabled = globally_enabled();
    base_msr_ = (value & ~kMsrBsp) | (base_msr_ & kMsrBsp);
    if (was_enabled && !globally_enabled()) spiv_ &= ~kSpivEnable;  // as QEMU does
    return true;
}

bool LocalApic::pic_passes() const {
    if (!globally_enabled() || !software_enabled()) return true;
    const uint32_t lint0 = lvt_[kLvtLint0];
    return !(lint0 & kMasked) && ((lint0 >> 8) & 7) == kExtInt;
}

uint32_t LocalApic::ppr() const {
    const uint32_t tpr = tpr_slot_->tpr & 0xff;
    const int isrv = isr_.highest();
    const uint32_t isr_class = isrv < 0 ? 0 : static_cast<uint32_t>(isrv) & 0xf0;
    return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

bool LocalApic::interrupt_pending() const {
    if (globally_enabled() && software_enabled()) {
        const int v = irr_.highest();
        if (v >= 0 && static_cast<uint32_t>(v >> 4) > (ppr() >> 4)) return true;
    }
    return pic_ && pic_passes() && pic_->interrupt_pending();
}

uint8_t LocalApic::acknowledge() {
    if (globally_enabled() && software_enabled()) {
        const int v = irr_.highest();
        if (v >= 0 && static_cast<uint32_t>(v >> 4) > (ppr() >> 4)) {
            const auto vector = static_cast<uint8_t>(v);
            irr_.clear(vector);
            isr_.set(vector);
            irr_changed();
            return vector;
        }
    }
    if (pic_ && pic_passes() && pic_->interrupt_pending()) return pic_->acknowledge();
    return static_cast<uint8_t>(spiv_);  // nothing left by the INTA cycle: the spurious vector
}

void LocalApic::accept(uint8_t vector) {
    if (vector < 16) return error(kReceiveIllegalVector);
    irr_.set(vector);
    tmr_.clear(vector);  // edge-triggered: everything here is
    irr_changed();
}

void LocalApic::error(uint32_t bits) {
    esr_pending_ |= bits;
    const uint32_t lvt = lvt_[kLvtError];
    // An error vector below 16 would be an error of its own: it is dropped, not raised again.
    if (!(lvt & kMasked) && (lvt & 0xff) >= 16) accept(static_cast<uint8_t>(lvt));
}

uint32_t LocalApic::x2apic_ldr() const {
    return ((initial_id_ >> 4) << 16) | (1u << (initial_id_ & 0xf));
}

bool LocalApic::addressed(uint32_t destination, bool logical) const {
    if (x2apic_mode()) {  // SDM 11.12.9/10: 32-bit IDs, logical is cluster:16 bitmap:16
        if (destination == 0xffffffff) return true;
        if (!logical) return destination == initial_id_;
        const uint32_t ldr = x2apic_ldr();
        return (destination >> 16) == (ldr >> 16) && (destination & ldr & 0xffff);
    }
    if (destination == 0xff) return true;  // broadcast, physical or logical
    if (!logical) return destination == (id_ >> 24);
    const auto ldr = static_cast<uint8_t>(ldr_ >> 24);
    if ((dfr_ >> 28) == 0xf) return ldr & destination;                     // flat
    return (ldr >> 4) == (destination >> 4) && (ldr & destination & 0xf);  // cluster
}

void LocalApic::send_ipi() {
    const uint32_t mode = (icr_low_ >> 8) & 7;
    if ((mode == kFixed || mode == kLowestPriority) && static_cast<uint8_t>(icr_low_) < 16)
        return error(kSendIllegalVector);
    if (bus_) return bus_->send(*this, icr_low_, icr_high_);
    LocalApic* const self[] = {this};
    route_ipi(self, *this, icr_low_, icr_high_);
}

void LocalApic::receive(uint32_t mode, uint8_t vector) {
    switch (mode) {
        case kFixed:
        case kLowestPriority: accept(vector); break;
        case kNmi:  // (a CPU waiting for a SIPI ignores it)
            if (!wait_for_sipi_) nmi_pending_ = true;
            break;
        case kIpiInit: {  // everything but the ID and IA32_APIC_BASE (SDM 11.4.7.3)
            const uint32_t id = id_;
            reset();
            id_ = id;
            init_pending_ = wait_for_sipi_ = true;
            sipi_pending_ = false;
            break;
        }
        case kIpiStartup:  // only the first after an INIT counts
            if (!std::exchange(wait_for_sipi_, false)) break;
            sipi_pending_ = true;
            sipi_vector_ = vector;
            break;
        default: break;  // SMI, ExtINT (reserved in the ICR)
    }
}

void LocalApic::write_lvt(unsigned which, uint32_t value) {
    value &= kLvtWritable[which];
    if (!software_enabled()) value |= kMasked;
    lvt_[which] = value;
    if (which == kLvtTimer) {
        timer_.set_periodic(value & kTimerPeriodic);
        timer_.accessed();
    }
}

uint32_t LocalApic::read_register(unsigned reg) {
    if (reg >= kIsr && reg < kIsr + 8) return isr_.word(reg - kIsr);
    if (reg >= kTmr && reg < kTmr + 8) return tmr_.word(reg - kTmr);
    if (reg >= kIrr && reg < kIrr + 8) return irr_.word(reg - kIrr);
    if (reg >= kLvtFirst && reg < kLvtFirst + kLvtCount) return lvt_[reg - kLvtFirst];
    switch (reg) {
        case kId: return id_;
        case kVersionReg: return kVersion;
        case kTpr: return tpr_slot_->tpr & 0xff;
        case kApr:
        case kEoi:
        case kRrd: return 0;
        case kPpr: return ppr();
        case kLdr: return ldr_;
        case kDfr: return dfr_;
        case kSpiv: return spiv_;
        case kEsr: return esr_;
        case kIcrLow: return icr_low_;  // delivery status (bit 12) idle: sent at once
        case kIcrHigh: return icr_high_;
        case kInitialCount: timer_.accessed(); return timer_.initial();
        case kCurrentCount: timer_.accessed(); return timer_.current();
        case kDivide: return timer_.divide_register();
        default: error(kIllegalRegister); return 0;
    }
}

void LocalApic::write_register(unsigned reg, uint32_t value) {
    if (reg >= kLvtFirst && reg < kLvtFirst + kLvtCount) return write_lvt(reg - kLvtFirst, value);
    if (reg >= kIsr && reg < kIrr + 8) return;  // ISR, TMR, IRR: read-only
    switch (reg) {
        case kId: id_ = value & 0xff000000; return;
        case kTpr: tpr_slot_->tpr = value & 0xff; return;
        case kEoi: {
            const int v = isr_.highest();
            if (v >= 0) {
                isr_.clear(static_cast<uint8_t>(v));
                tmr_.clear(static_cast<uint8_t>(v));
            }
            return;
        }
        case kLdr: ldr_ = value & 0xff000000; return;
        case kDfr: dfr_ = value | 0x0fffffff; return;
        case kSpiv:
            spiv_ = value & 0x3ff;
            if (!software_enabled())
                for (uint32_t& lvt : lvt_) lvt |= kMasked;
            return;
        case kEsr:  // write, then read: the errors since the last write
            esr_ = esr_pending_;
            esr_pending_ = 0;
            return;
        case kIcrLow:
            icr_low_ = value & 0x000ccfff;
            send_ipi();
            return;
        case kIcrHigh: icr_high_ = value & 0xff000000; return;
        case kInitialCount:
            timer_.write_initial(value);
            timer_.accessed();
            return;
        case kDivide:
            timer_.write_divide(value);
            timer_.accessed();
            return;
        case kVersionReg:
        case kApr:
        case kPpr:
        case kRrd:
        case kCurrentCount: return;  // read-only
        default: error(kIllegalRegister); return;
    }
}

uint32_t LocalApic::read(uint64_t offset, unsigned size) {
    const uint32_t all_ones = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (!globally_enabled() || x2apic_mode()) return all_ones;  // not decoded: the bus's all-ones
    const unsigned within = offset & 0xf;
    if (within >= 4) return 0;  // bytes 4-15 of each 16-byte slot are reserved
    const uint32_t value = read_register(static_cast<unsigned>(offset >> 4)) >> (8 * within);
    return value & all_ones;
}

void LocalApic::write(uint64_t offset, unsigned size, uint32_t value) {
    if (!globally_enabled() || x2apic_mode() || size != 4 || (offset & 0xf)) return;
    write_register(static_cast<unsigned>(offset >> 4), value);
}

}  // namespace prevt::devices
