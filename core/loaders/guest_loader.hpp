// Which loader boots the guest, picked by what the kernel file is (as QEMU's -kernel does):
// an ELF file goes to the Multiboot v1 loader (multiboot.hpp), a file with the Linux setup
// header's "HdrS" at 0x202 to the Linux boot protocol loader (linux_boot.hpp); anything else
// is refused with one InputError line naming the file.
#pragma once

#include <string>

#include "core/guest_memory.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

struct GuestImage {
    std::string kernel;
    // -append. Multiboot: the kernel's path, a space, then `cmdline` (QEMU's multiboot.c).
    // Linux: the kernel command line exactly, as QEMU passes it (empty: an empty line).
    std::string cmdline;
    std::string initrd;  // -initrd: Linux only (Multiboot modules are not supported)
    // Bytes at the top of the guest's linear 4 GiB the engine's monitor occupies (bt, trap:
    // address-space compression serves guest accesses there, slowly). A Linux kernel puts its
    // fixmap and cpu_entry_area there, touched on every system call: unless its command line
    // sets reservetop= itself, the loader appends reservetop= with this size (Linux's own
    // parameter for a hypervisor at the top) and says so on stderr. 0: nothing reserved.
    uint64_t reserved_top = 0;
};

// Which loader a kernel file goes to, by its first bytes (an ELF file: Multiboot; "HdrS" at
// 0x202: Linux); kUnknown is refused by load_guest. Throws InputError if it cannot be read.
enum class GuestKind { kMultiboot, kLinux, kUnknown };
GuestKind guest_kind(const std::string& kernel);

// Loads the guest into `mem`; returns the vCPU state its loader says it starts in.
VcpuState load_guest(const GuestImage& image, GuestMemory& mem);

}  // namespace prevt
