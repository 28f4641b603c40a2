// The Linux boot protocol loader: the setup header's checks and where everything goes. The zero
// page and the entry state: linux_boot_params.cpp.
#include "core/loaders/linux_boot.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "core/errors.hpp"
#include "core/loaders/elf32.hpp"
#include "core/loaders/linux_boot_params.hpp"

namespace prevt {

namespace {

using loaders::hex;
using loaders::refuse;

std::string mib(uint64_t bytes) {
    return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                   : std::to_string(bytes >> 10) + " KiB";
}

std::string version_text(uint16_t v) {
    char buf[16];
    snprintf(buf, sizeof buf, "%u.%02u", v >> 8, v & 0xff);
    return buf;
}

// The checked setup header and the placement it leads to.
struct Plan {
    SetupHeader hdr;
    uint64_t setup_bytes;   // (setup_sects + 1) * 512: the protected-mode kernel's file offset
    uint64_t kernel_bytes;  // the rest of the file: loaded at kLinuxKernelBase
    uint64_t reserved_end;  // runtime start + init_size (or the loaded end, if larger)
};

Plan check_setup_header(const loaders::KernelFile& file) {
    const std::string& path = file.path();
    const std::vector<uint8_t>& f = file.head();
    const std::string size = " (the file has " + std::to_string(file.size()) + " bytes)";
    if (!is_linux_boot_image(f.data(), f.size())) {
        if (f.size() < kHdrMagicOffset + 4) refuse(path, "too small for a Linux kernel" + size);
        refuse(path, "no Linux boot header (\"HdrS\" at offset 0x202): not a bzImage");
    }
    Plan p{};
    const uint16_t version = le16(f, kHdrVersion);
    if (version < kMinProtocol)
        refuse(path, "Linux boot protocol " + version_text(version) +
                         " is too old: prevt loads 2.04 (Linux 2.6.14) and later");
    if (le16(f, kHdrBootFlag) != 0xaa55)
        refuse(path, "boot_flag at 0x1fe is " + hex(le16(f, kHdrBootFlag)) + ", not 0xaa55");
    // The header runs from 0x1f1 to 0x202 + the jump's displacement (boot.rst, "32-bit Boot
    // Protocol"); it must lie in the zero page's hole for it and in the file's head.
    if (f[kHdrJump] != 0xeb)
        refuse(path, "the setup header's jump at 0x200 is " + hex(f[kHdrJump]) +
                         ", not a short jmp (0xeb): malformed header");
    const size_t end = kHdrJumpEnd + f[kHdrJump + 1];
    if (end > kHdrEndLimit || end > f.size() || end < kHdrMinEnd)
        refuse(path, "the setup header ends at " + hex(end) + " (jump at 0x200), outside " +
                         hex(kHdrMinEnd) + ".." + hex(kHdrEndLimit) + ": malformed header");
    p.hdr.bytes.assign(f.begin() + kHdrStart, f.begin() + static_cast<long>(end));
    const uint8_t loadflags = f[kHdrLoadflags];
    if (!(loadflags & kLoadedHigh))
        refuse(path,
               "a zImage (loadflags bit 0 LOADED_HIGH clear: loaded at 0x10000); prevt "
               "loads bzImage kernels only");
    if (version >= 0x020c && (p.hdr.get16(kHdrXloadflags) & kXlfKernel64))
        refuse(path,
               "a 64-bit kernel (xloadflags XLF_KERNEL_64); prevt's guests are 32-bit "
               "CPUs: use an i386 kernel");

    unsigned setup_sects = f[kHdrSetupSects];
    if (setup_sects == 0) setup_sects = 4;  // boot.rst: 0 means 4
    p.setup_bytes = (setup_sects + 1ull) * 512;
    if (p.setup_bytes >= file.size())
        refuse(path, "truncated: the protected-mode kernel starts at offset " + hex(p.setup_bytes) +
                         " (setup_sects " + std::to_string(setup_sects) +
                         ") but the file ends there" + size);
    p.kernel_bytes = file.size() - p.setup_bytes;
    const uint64_t syssize = uint64_t{le32(f, kHdrSyssize)} * 16;
    if (syssize == 0 || syssize > p.kernel_bytes)
        refuse(path, "truncated or malformed: syssize says " + std::to_string(syssize) +
                         " bytes of protected-mode kernel, the file holds " +
                         std::to_string(p.kernel_bytes) + " after offset " + hex(p.setup_bytes));

    // Where the kernel runs from (boot.rst, init_size): a relocatable kernel at the load
    // address aligned up to kernel_alignment, another at pref_address (2.10+) or 1 MiB.
    const bool relocatable = version >= 0x0205 && p.hdr.get8(kHdrRelocatable) != 0;
    const uint32_t code32 = p.hdr.get32(kHdrCode32Start);
    if (!relocatable && code32 != kLinuxKernelBase)
        refuse(path, "not relocatable and code32_start is " + hex(code32) +
                         ": prevt loads the protected-mode kernel at 1 MiB (0x100000)");
    uint64_t runtime = kLinuxKernelBase;
    if (relocatable) {
        const uint32_t align = p.hdr.get32(kHdrKernelAlignment);
        if (align == 0 || (align & (align - 1)) != 0)
            refuse(path, "kernel_alignment " + hex(align) +
                             " is not a power of two: malformed "
                             "header");
        runtime = (uint64_t{kLinuxKernelBase} + align - 1) & ~(uint64_t{align} - 1);
    } else if (version >= 0x020a && p.hdr.get64(kHdrPrefAddress) != 0) {
        runtime = p.hdr.get64(kHdrPrefAddress);
    }
    const uint64_t init_size = version >= 0x020a ? p.hdr.get32(kHdrInitSize) : 0;
    p.reserved_end = std::max(kLinuxKernelBase + p.kernel_bytes, runtime + init_size);
    return p;
}

}  // namespace

bool is_linux_boot_image(const uint8_t* head, size_t size) {
    return size >= kHdrMagicOffset + 4 && memcmp(head + kHdrMagicOffset, "HdrS", 4) == 0;
}

LinuxBoot load_linux(const std::string& kernel, GuestMemory& mem, const std::string& cmdline,
                     const std::string& initrd) {
    const loaders::KernelFile file(kernel);  // checked before it is read; never read whole
    Plan p = check_setup_header(file);
    const uint16_t version = p.hdr.get16(kHdrVersion);
    const uint64_t ram = mem.size();

    if (!mem.contains(kLinuxKernelBase, p.kernel_bytes) || p.reserved_end > ram)
        refuse(kernel, "the kernel needs guest RAM up to " + hex(p.reserved_end) +
                           " (its load address, size and init_size), the guest has " + mib(ram) +
                           " (-m)");
    // boot.rst: cmdline_size counts the characters without the NUL; before 2.06, 255.
    const uint64_t cmdline_max = std::min<uint64_t>(
        version >= 0x0206 ? p.hdr.get32(kHdrCmdlineSize) : 255, kLinuxCmdlineSpace - 1);
    if (cmdline.size() > cmdline_max)
        refuse(kernel, "the command line has " + std::to_string(cmdline.size()) +
                           " bytes; this kernel takes at most " + std::to_string(cmdline_max) +
                           " (cmdline_size)");
    if (cmdline.find('\0') != std::string::npos)
        refuse(kernel, "the command line holds a NUL byte");

    LinuxBoot boot{version,
                   kLinuxKernelBase,
                   kLinuxBootParams,
                   kLinuxKernelBase,
                   static_cast<uint32_t>(kLinuxKernelBase + p.kernel_bytes),
                   static_cast<uint32_t>(p.reserved_end),
                   0,
                   0,
                   {}};

    // The initrd: as high as it goes below min(initrd_addr_max + 1, the end of RAM), page
    // aligned (as QEMU and GRUB place it), above everything the kernel needs.
    std::unique_ptr<loaders::KernelFile> rd;
    if (!initrd.empty()) {
        rd = std::make_unique<loaders::KernelFile>(initrd, "initrd");
        const uint64_t addr_max =
            version >= 0x0203 ? uint64_t{p.hdr.get32(kHdrInitrdAddrMax)} : 0x37ffffffull;
        const uint64_t top = std::min(addr_max + 1, ram);
        const uint64_t size = rd->size();
        if (size > top || ((top - size) & ~uint64_t{0xfff}) < p.reserved_end ||
            !mem.contains((top - size) & ~uint64_t{0xfff}, size))
            refuse(initrd, "the initrd (" + std::to_string(size) +
                               " bytes) does not fit between the kernel (up to " +
                               hex(p.reserved_end) + ") and " + hex(top) +
                               " (min(initrd_addr_max + 1, end of RAM)); give the guest more "
                               "memory with -m");
        boot.initrd_start = static_cast<uint32_t>((top - size) & ~uint64_t{0xfff});
        boot.initrd_size = static_cast<uint32_t>(size);
    }

    // The writes, all checked above.
    file.read(p.setup_bytes, mem.host(kLinuxKernelBase, p.kernel_bytes), p.kernel_bytes);
    if (rd) rd->read(0, mem.host(boot.initrd_start, boot.initrd_size), boot.initrd_size);
    write_linux_low_memory(mem, p.hdr, cmdline, boot);
    boot.state = linux_entry_state(boot.entry, boot.boot_params);
    return boot;
}

}  // namespace prevt
