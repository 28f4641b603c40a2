// The local APIC's x2APIC interface (SDM vol. 3A, 11.12 "Extended XAPIC (x2APIC)"): the
// registers as MSRs 0x800 + (MMIO offset >> 4), with the x2APIC rules that differ from the
// MMIO page: a 32-bit ID and a derived LDR, both read-only; no DFR, APR or RRD; the ICR one
// 64-bit register (destination in bits 63:32) written in one go; the SELF IPI register; EOI
// and ESR writes of anything but 0, writes to read-only registers, reads of write-only ones,
// and bits 63:32 set in a 32-bit register all raise #GP. The register semantics themselves
// are local_apic.cpp's.
#include "devices/lapic_registers.hpp"
#include "devices/local_apic.hpp"

namespace prevt::devices {

using namespace lapic;

namespace {

bool in(unsigned reg, unsigned first, unsigned count) {
    return reg >= first && reg < first + count;
}

// Registers x2APIC reads through read_register unchanged.
bool plain_readable(unsigned reg) {
    return reg == kVersionReg || reg == kTpr || reg == kPpr || reg == kSpiv || in(reg, kIsr, 8) ||
           in(reg, kTmr, 8) || in(reg, kIrr, 8) || reg == kEsr || in(reg, kLvtFirst, 6) ||
           reg == kInitialCount || reg == kCurrentCount || reg == kDivide;
}

// Registers x2APIC writes through write_register unchanged.
bool plain_writable(unsigned reg) {
    return reg == kTpr || reg == kSpiv || in(reg, kLvtFirst, 6) || reg == kInitialCount ||
           reg == kDivide;
}

}  // namespace

bool LocalApic::read_x2apic_msr(uint32_t msr, uint64_t* value) {
    if (!x2apic_mode() || msr < kX2apicMsrFirst || msr > kX2apicMsrLast) return false;
    const unsigned reg = msr - kX2apicMsrFirst;
    if (reg == kId) {
        *value = 0;  // the x2APIC ID: the initial APIC ID
    } else if (reg == kLdr) {
        *value = x2apic_ldr();
    } else if (reg == kIcrLow) {
        *value = (uint64_t{icr_high_} << 32) | icr_low_;
    } else if (plain_readable(reg)) {
        *value = read_register(reg);
    } else {
        return false;  // write-only (EOI, SELF IPI), gone (DFR, APR, RRD, ICR2) or reserved
    }
    return true;
}

bool LocalApic::write_x2apic_msr(uint32_t msr, uint64_t value) {
    if (!x2apic_mode() || msr < kX2apicMsrFirst || msr > kX2apicMsrLast) return false;
    const unsigned reg = msr - kX2apicMsrFirst;
    if (reg == kIcrLow) {
        icr_high_ = static_cast<uint32_t>(value >> 32);
        icr_low_ = static_cast<uint32_t>(value) & 0x000ccfff;
        send_ipi();
        return true;
    }
    if (value >> 32) return false;
    const auto low = static_cast<uint32_t>(value);
    if (reg == kEoi || reg == kEsr) {
        if (low != 0) return false;
        write_register(reg, 0);
        return true;
    }
    if (reg == kSelfIpi) {
        if (low & ~0xffu) return false;
        const auto vector = static_cast<uint8_t>(low);
        if (vector < 16)
            error(1u << 5);  // send illegal vector
        else
            accept(vector);
        return true;
    }
    if (!plain_writable(reg)) return false;  // read-only or reserved
    write_register(reg, low);
    return true;
}

}  // namespace prevt::devices
