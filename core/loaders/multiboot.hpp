// The Multiboot v1 loader (Multiboot Specification 0.6.96): an ELF32 i386 kernel with a
// Multiboot header in its first 8 KiB is loaded by its program headers, or, when the header
// sets the a.out kludge (flag 16), by the header's address fields as QEMU and GRUB do (checked
// as the spec defines them: nonsense is refused). The Multiboot information structure is built
// in low memory. Anything else is refused with one InputError line naming the file. The file
// is checked before it is read and never read whole (loaders::KernelFile). Before the load the
// machine gives the kernel the state SeaBIOS leaves under QEMU (bios_left_state.hpp: the 8259As,
// PIT channel 0, the IVT, the BDA), as QEMU boots a Multiboot kernel after SeaBIOS's POST.
#pragma once

#include <cstdint>
#include <string>

#include "core/guest_memory.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

// The boot area: one page with the boot GDT (the selectors QEMU's Multiboot loader uses:
// code 0x10, data 0x18) and the Multiboot information structure, its memory map and strings
// (boot loader name, command line). At kDefaultBootArea, in conventional memory above the
// real-mode IVT and BIOS data area as QEMU's (0x9500) is, unless the kernel is loaded there
// (kvm-unit-tests' realmode.flat is linked at 0x8000): then on the first page after the
// kernel's end, as QEMU puts its information after the kernel.
inline constexpr uint32_t kDefaultBootArea = 0x9000;
inline constexpr uint32_t kBootAreaSize = 0x1000;
inline constexpr uint32_t kBootGdtOffset = 0x60;  // in the area: 4 descriptors, 32 bytes
inline constexpr uint16_t kBootCs = 0x10, kBootDs = 0x18;
// What the loader puts in EAX at the entry (EBX = MultibootBoot::info_phys).
inline constexpr uint32_t kMultibootMagic = 0x2badb002;

struct MultibootBoot {
    uint32_t entry;      // physical: e_entry translated through the segment that holds it
    uint32_t info_phys;  // the boot area (kDefaultBootArea, or the page after the kernel)
    uint32_t kernel_start, kernel_end;  // lowest p_paddr, highest p_paddr + p_memsz (exclusive)
    // The machine state at the entry (spec 3.2): 32-bit protected mode, flat segments from
    // the boot GDT, paging and interrupts off, EAX = the magic, EBX = info_phys; the x87 and
    // SSE in their reset state. The loader owns it: Machine only starts the vCPU there.
    VcpuState state;
};

// Loads a Multiboot v1 ELF32 kernel into guest memory and builds the Multiboot information
// structure (flags 0, 2, 6, 9: memory sizes, `cmdline`, memory map, "prevt"). All checks come
// before the first write: a refused kernel leaves `mem` as it was (only a read error of the
// file itself, after the checks, can leave part of it written).
MultibootBoot load_multiboot(const std::string& path, GuestMemory& mem, const std::string& cmdline);

}  // namespace prevt
