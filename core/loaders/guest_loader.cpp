#include "core/loaders/guest_loader.hpp"

#include <elf.h>

#include <cstdio>
#include <cstring>

#include "core/errors.hpp"
#include "core/loaders/elf32.hpp"
#include "core/loaders/linux_boot.hpp"
#include "core/loaders/multiboot.hpp"

namespace prevt {

GuestKind guest_kind(const std::string& kernel) {
    const loaders::KernelFile file(kernel);  // the checks, and the first 8 KiB
    const std::vector<uint8_t>& head = file.head();
    if (is_linux_boot_image(head.data(), head.size())) return GuestKind::kLinux;
    if (head.size() >= SELFMAG && memcmp(head.data(), ELFMAG, SELFMAG) == 0)
        return GuestKind::kMultiboot;
    return GuestKind::kUnknown;
}

VcpuState load_guest(const GuestImage& image, GuestMemory& mem) {
    const GuestKind kind = guest_kind(image.kernel);
    const bool elf = kind == GuestKind::kMultiboot;
    if (kind == GuestKind::kLinux) {
        std::string cmdline = image.cmdline;
        char arg[48] = "";
        if (image.reserved_top && cmdline.find("reservetop=") == std::string::npos) {
            snprintf(arg, sizeof arg, "reservetop=0x%llx",
                     static_cast<unsigned long long>(image.reserved_top));
            cmdline += (cmdline.empty() ? "" : " ") + std::string(arg);
        }
        VcpuState state = load_linux(image.kernel, mem, cmdline, image.initrd).state;
        if (arg[0])  // (after the loader's checks: bad input gets its one line only)
            fprintf(stderr,
                    "prevt: appended %s to the kernel command line (the monitor occupies the "
                    "top of the guest's 4 GiB; pass reservetop= yourself to choose)\n",
                    arg);
        return state;
    }
    if (!elf)
        loaders::refuse(image.kernel,
                        "neither an ELF file (a Multiboot kernel) nor a Linux bzImage (\"HdrS\" "
                        "at offset 0x202)");
    if (!image.initrd.empty())
        loaders::refuse(image.initrd,
                        "-initrd needs a Linux bzImage kernel; prevt's Multiboot loader takes "
                        "no modules");
    // QEMU's Multiboot command line (hw/i386/multiboot.c): the kernel's path, a space, then
    // -append's text (empty: the path and the space).
    return load_multiboot(image.kernel, mem, image.kernel + " " + image.cmdline).state;
}

}  // namespace prevt
