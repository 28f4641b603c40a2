// The Linux/x86 boot protocol's 32-bit entry (Documentation/arch/x86/boot.rst, "32-bit Boot
// Protocol"; the zero page: Documentation/arch/x86/zero-page.rst), as QEMU's -kernel/-initrd/
// -append: a bzImage's setup header (offset 0x1f1, magic "HdrS" at 0x202) is checked, the
// protected-mode kernel after the (setup_sects + 1) * 512 bytes of real-mode code goes to
// 1 MiB, boot_params (the "zero page") gets the setup header, an e820 map of guest RAM, the
// command line and the initrd, and the kernel starts at code32_start in flat protected mode.
// The real-mode setup code is never run: prevt has no BIOS for it.
//
// Refused with one InputError line naming the file: no "HdrS" (an Image/zImage or no kernel),
// a boot protocol older than 2.04 (Linux 2.6.14: the first with a 4-byte syssize, so that the
// image's size can be checked), a zImage (LOADED_HIGH clear: loaded at 0x10000), a 64-bit
// kernel (xloadflags XLF_KERNEL_64: prevt's guests are 32-bit CPUs), a kernel that is not
// relocatable and does not start at 1 MiB, a truncated or malformed image, a command line
// longer than the kernel's cmdline_size, a kernel or initrd that does not fit in guest RAM.
// Both files are checked before they are read and never read whole (loaders::KernelFile).
#pragma once

#include <cstdint>
#include <string>

#include "core/guest_memory.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

// Low memory as the loader lays it out (all below the EBDA at 0x9fc00, above the real-mode
// IVT and BIOS data area; the kernel copies boot_params and the command line before it uses
// low memory for anything): the boot GDT (null, unused, __BOOT_CS 0x10, __BOOT_DS 0x18) at
// the start of its page, the entry stack below boot_params, boot_params (4 KiB), then the
// command line.
inline constexpr uint32_t kLinuxGdt = 0x6000;
inline constexpr uint32_t kLinuxBootParams = 0x7000;
inline constexpr uint32_t kLinuxCmdline = 0x8000;
inline constexpr uint32_t kLinuxCmdlineSpace = 0x9fc00 - kLinuxCmdline;  // with the NUL
inline constexpr uint32_t kLinuxKernelBase = 0x100000;                   // the bzImage address
inline constexpr uint16_t kLinuxBootCs = 0x10, kLinuxBootDs = 0x18;
// type_of_loader: 0xff, "undefined" in the protocol's table (prevt has no assigned ID).
inline constexpr uint8_t kLinuxLoaderType = 0xff;

struct LinuxBoot {
    uint16_t protocol;     // the header's version, e.g. 0x020f
    uint32_t entry;        // code32_start: kLinuxKernelBase
    uint32_t boot_params;  // kLinuxBootParams (ESI at the entry)
    // The protected-mode kernel as loaded, [kernel_start, kernel_end); and the end of what
    // it needs before it reads the memory map (its runtime address + init_size), which
    // nothing else the loader places may overlap.
    uint32_t kernel_start, kernel_end, kernel_reserved_end;
    uint32_t initrd_start, initrd_size;  // 0, 0 without an initrd
    // The machine state at the entry (boot.rst, "32-bit Boot Protocol"): protected mode,
    // paging and interrupts off, CS = __BOOT_CS, DS = ES = FS = GS = SS = __BOOT_DS, all flat
    // from the boot GDT, ESI = boot_params, EBX = EBP = EDI = 0; x87 and SSE in their reset
    // state.
    VcpuState state;
};

// Loads the bzImage at `kernel` (and the initrd at `initrd` unless it is empty) into guest
// memory for the 32-bit boot protocol, with `cmdline` as the kernel command line exactly.
// Every check comes before the first write: a refused kernel leaves `mem` as it was (only a
// read error of a file itself, after the checks, can leave part of it written).
LinuxBoot load_linux(const std::string& kernel, GuestMemory& mem, const std::string& cmdline,
                     const std::string& initrd);

// Whether the head of a kernel file (its first bytes) carries the setup header's "HdrS" at
// 0x202: a Linux boot-protocol image, for the machine to pick this loader.
bool is_linux_boot_image(const uint8_t* head, size_t size);

}  // namespace prevt
