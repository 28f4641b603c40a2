// The xAPIC's MMIO register offsets (SDM vol. 3A, table 11-1), written out from the manual for
// the local APIC's tests - on purpose not the device's own register map
// (devices/lapic_registers.hpp), so that a wrong number there fails here.
#pragma once

#include <cstdint>

#include "devices/local_apic.hpp"

namespace prevt::devices::lapic_mmio {

constexpr uint64_t kBase = LocalApic::kDefaultBase;
enum : uint32_t {
    kId = 0x20,
    kVersion = 0x30,
    kTpr = 0x80,
    kPpr = 0xa0,
    kEoi = 0xb0,
    kLdr = 0xd0,
    kDfr = 0xe0,
    kSpiv = 0xf0,
    kIsr = 0x100,
    kTmr = 0x180,
    kIrr = 0x200,
    kEsr = 0x280,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
    kLvtTimer = 0x320,
    kLvtLint0 = 0x350,
    kLvtLint1 = 0x360,
    kLvtError = 0x370,
    kInitial = 0x380,
    kCurrent = 0x390,
    kDivide = 0x3e0,
};

}  // namespace prevt::devices::lapic_mmio
