// The Multiboot v1 loader (Multiboot Specification 0.6.96): an ELF32 i386 kernel with a
// Multiboot header in its first 8 KiB is loaded by its program headers, and the Multiboot
// information structure is built at kMultibootInfo. Anything else is refused with InputError.
#pragma once

#include <cstdint>
#include <string>

#include "core/guest_memory.hpp"

namespace prevt {

// Where the information structure, its memory map and strings are placed (below 64 KiB,
// above the real-mode IVT, the BIOS data area and the boot GDT at 0x8000).
inline constexpr uint32_t kMultibootInfo = 0x9000;
inline constexpr uint32_t kMultibootInfoEnd = 0xa000;
inline constexpr uint32_t kMultibootMagic = 0x2badb002;

struct MultibootBoot {
    uint32_t entry;
    uint32_t info_phys;
    uint32_t kernel_start, kernel_end;
};

MultibootBoot load_multiboot(const std::string& path, GuestMemory& mem, const std::string& cmdline);

}  // namespace prevt
