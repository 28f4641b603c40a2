// The local APIC's register map, shared by its xAPIC (MMIO, local_apic.cpp) and x2APIC (MSR,
// lapic_x2apic.cpp) interfaces: a register's number is its MMIO offset >> 4, and its x2APIC
// MSR 0x800 + that number (SDM vol. 3A, tables 11-1 and 11-6). Private to those two files.
#pragma once

namespace prevt::devices::lapic {

enum Reg : unsigned {
    kId = 0x02,
    kVersionReg = 0x03,
    kTpr = 0x08,
    kApr = 0x09,
    kPpr = 0x0a,
    kEoi = 0x0b,
    kRrd = 0x0c,
    kLdr = 0x0d,
    kDfr = 0x0e,
    kSpiv = 0x0f,
    kIsr = 0x10,
    kTmr = 0x18,
    kIrr = 0x20,
    kEsr = 0x28,
    kIcrLow = 0x30,
    kIcrHigh = 0x31,
    kLvtFirst = 0x32,
    kInitialCount = 0x38,
    kCurrentCount = 0x39,
    kDivide = 0x3e,
    kSelfIpi = 0x3f,  // x2APIC only
};

}  // namespace prevt::devices::lapic
