// The Multiboot boot area (the information structure, spec 3.3, and the boot GDT) and the
// machine state at a Multiboot kernel's entry (spec 3.2). Used by the loader (multiboot.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "core/guest_memory.hpp"
#include "core/loaders/multiboot.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

// The longest command line the boot area holds (after the structure, GDT, map and name).
inline constexpr size_t kMaxMultibootCmdline = kBootAreaSize - 0x100 - 1;

// Writes the boot area at guest-physical `base` (kBootAreaSize bytes).
void write_boot_area(GuestMemory& mem, uint32_t base, const std::string& cmdline);

// The vCPU at the entry: protected mode, CS/DS.. flat from the boot GDT at `area`
// + kBootGdtOffset, EAX = kMultibootMagic, EBX = `area`, x87/SSE reset.
VcpuState multiboot_entry_state(uint32_t entry, uint32_t area);

}  // namespace prevt
