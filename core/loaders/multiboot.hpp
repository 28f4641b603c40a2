// The Multiboot v1 loader (Multiboot Specification 0.6.96): an ELF32 i386 kernel with a
// Multiboot header in its first 8 KiB is loaded by its program headers, or, when the header
// sets the a.out kludge (flag 16), by the header's address fields as QEMU and GRUB do (checked
// as the spec defines them: nonsense is refused). The Multiboot information structure is built
// in low memory. Anything else is refused with one InputError line naming the file. The file
// is checked before it is read and never read whole (loaders::KernelFile).
#pragma once

#include <cstdint>
#include <string>

#include "core/guest_memory.hpp"

namespace prevt {

// [kBootAreaStart, kMultibootInfoEnd) is kept free of kernel segments: the caller writes its
// boot GDT at 0x8000 (machine.cpp), the loader writes the information structure, its memory
// map and its strings (boot loader name, command line) at kMultibootInfo. Both lie in
// conventional memory above the real-mode IVT and BIOS data area, as QEMU's (0x9500) does.
inline constexpr uint32_t kBootAreaStart = 0x8000;
inline constexpr uint32_t kMultibootInfo = 0x9000;
inline constexpr uint32_t kMultibootInfoEnd = 0xa000;
// What the caller puts in EAX at the entry (EBX = MultibootBoot::info_phys).
inline constexpr uint32_t kMultibootMagic = 0x2badb002;

struct MultibootBoot {
    uint32_t entry;      // physical: e_entry translated through the segment that holds it
    uint32_t info_phys;  // kMultibootInfo
    uint32_t kernel_start, kernel_end;  // lowest p_paddr, highest p_paddr + p_memsz (exclusive)
};

// Loads a Multiboot v1 ELF32 kernel into guest memory and builds the Multiboot information
// structure (flags 0, 2, 6, 9: memory sizes, `cmdline`, memory map, "prevt"). All checks come
// before the first write: a refused kernel leaves `mem` as it was (only a read error of the
// file itself, after the checks, can leave part of it written).
MultibootBoot load_multiboot(const std::string& path, GuestMemory& mem, const std::string& cmdline);

}  // namespace prevt
