#include "core/loaders/guest_loader.hpp"

#include <elf.h>

#include <cstring>

#include "core/errors.hpp"
#include "core/loaders/elf32.hpp"
#include "core/loaders/linux_boot.hpp"
#include "core/loaders/multiboot.hpp"

namespace prevt {

VcpuState load_guest(const GuestImage& image, GuestMemory& mem) {
    bool elf = false, bzimage = false;
    {
        const loaders::KernelFile file(image.kernel);  // the checks, and the first 8 KiB
        const std::vector<uint8_t>& head = file.head();
        elf = head.size() >= SELFMAG && memcmp(head.data(), ELFMAG, SELFMAG) == 0;
        bzimage = is_linux_boot_image(head.data(), head.size());
    }
    if (bzimage) return load_linux(image.kernel, mem, image.cmdline, image.initrd).state;
    if (!elf)
        loaders::refuse(image.kernel,
                        "neither an ELF file (a Multiboot kernel) nor a Linux bzImage (\"HdrS\" "
                        "at offset 0x202)");
    if (!image.initrd.empty())
        loaders::refuse(image.initrd,
                        "-initrd needs a Linux bzImage kernel; prevt's Multiboot loader takes "
                        "no modules");
    return load_multiboot(image.kernel, mem, image.cmdline.empty() ? image.kernel : image.cmdline)
        .state;
}

}  // namespace prevt
