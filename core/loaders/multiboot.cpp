#include "core/loaders/multiboot.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "core/errors.hpp"
#include "core/loaders/elf32.hpp"
#include "core/loaders/multiboot_info.hpp"

namespace prevt {

namespace {

using loaders::hex;
using loaders::refuse;

// ---- The Multiboot header (spec 3.1) ------------------------------------------------------
constexpr uint32_t kHeaderMagic = 0x1badb002;
constexpr size_t kHeaderSearch = 8192;  // the header lies entirely in the first 8 KiB
constexpr size_t kHeaderSize = 12;      // magic, flags, checksum; the rest depends on flags
constexpr size_t kNotFound = ~size_t{0};
constexpr uint32_t kFlagModsAligned = 1u << 0, kFlagMemInfo = 1u << 1, kFlagVideoMode = 1u << 2;
constexpr uint32_t kRequiredFlags = 0xffff;  // bits 16-31 are optional: unknown ones ignored
constexpr uint32_t kFlagAoutKludge = 1u << 16;
constexpr size_t kKludgeEnd = 32;  // the header's size with the kludge's five address fields

uint32_t le32(const std::vector<uint8_t>& f, size_t at) {
    uint32_t v;
    memcpy(&v, &f[at], 4);  // the host is x86: little-endian like the file
    return v;
}

// The first 4-byte aligned header with the magic and a right checksum that lies entirely in
// [0, limit), or kNotFound. `*bad_checksum` gets the first magic whose checksum is wrong.
size_t find_header(const std::vector<uint8_t>& f, size_t limit, size_t* bad_checksum) {
    for (size_t at = 0; at + kHeaderSize <= limit; at += 4) {
        if (le32(f, at) != kHeaderMagic) continue;
        if (kHeaderMagic + le32(f, at + 4) + le32(f, at + 8) == 0) return at;
        if (bad_checksum && *bad_checksum == kNotFound) *bad_checksum = at;
    }
    return kNotFound;
}

// How far the loader looks for a header past the first 8 KiB, only to say why it is refused.
constexpr size_t kLateHeaderWindow = 1 << 20;

// The header's offset and flags, once checked. Only the first 8 KiB are searched (the file's
// head); a refusal looks up to kLateHeaderWindow further for a better message.
struct Header {
    size_t at;
    uint32_t flags;
};

Header check_multiboot_header(const loaders::KernelFile& file) {
    const std::string& path = file.path();
    const std::vector<uint8_t>& f = file.head();
    size_t bad = kNotFound;
    const size_t at = find_header(f, f.size(), &bad);
    if (at == kNotFound) {
        if (bad != kNotFound)
            refuse(path, "Multiboot header checksum is wrong (header at offset " + hex(bad) +
                             "; magic + flags + checksum must be 0)");
        std::vector<uint8_t> window(std::min<uint64_t>(file.size(), kLateHeaderWindow));
        file.read(0, window.data(), window.size());
        const size_t late = find_header(window, window.size(), nullptr);
        if (late != kNotFound)
            refuse(path, "no Multiboot header in the first 8 KiB (the one at offset " + hex(late) +
                             " is too far into the file)");
        refuse(path, "no Multiboot header in the first 8 KiB");
    }
    const uint32_t flags = le32(f, at + 4);
    if (flags & kFlagVideoMode)
        refuse(path,
               "the Multiboot header requires a video mode (flags bit 2), which prevt "
               "does not support");
    if (flags & kRequiredFlags & ~(kFlagModsAligned | kFlagMemInfo))
        refuse(path, "the Multiboot header requires features prevt does not know (flags " +
                         hex(flags) + ")");
    return {at, flags};
}

// The a.out kludge (flags bit 16, spec 3.1.3): header_addr, load_addr, load_end_addr,
// bss_end_addr and entry_addr say where the image goes, instead of the ELF program headers
// (as QEMU and GRUB load it). Checked as the spec defines them; the result is one segment
// (vaddr == paddr: entry_addr is physical) that the common checks then place in guest RAM.
loaders::Elf32Segment aout_kludge(const loaders::KernelFile& file, const Header& h,
                                  uint32_t* entry) {
    const std::string& path = file.path();
    const std::vector<uint8_t>& f = file.head();
    if (h.at + kKludgeEnd > f.size())
        refuse(path,
               "the Multiboot header sets the a.out kludge (flags bit 16) but its address "
               "fields do not fit in the first 8 KiB");
    const uint32_t header_addr = le32(f, h.at + 12), load_addr = le32(f, h.at + 16),
                   load_end_addr = le32(f, h.at + 20), bss_end_addr = le32(f, h.at + 24);
    *entry = le32(f, h.at + 28);
    const std::string kludge = "a.out kludge (flags bit 16): ";
    if (load_addr > header_addr)
        refuse(path, kludge + "load_addr " + hex(load_addr) + " is above header_addr " +
                         hex(header_addr));
    // The load starts at the header's file offset minus (header_addr - load_addr).
    if (header_addr - load_addr > h.at)
        refuse(path, kludge + "header_addr - load_addr = " + hex(header_addr - load_addr) +
                         " puts the start of the image before the start of the file (the "
                         "header is at offset " +
                         hex(h.at) + ")");
    const uint64_t offset = h.at - (header_addr - load_addr);
    uint64_t filesz = file.size() - offset;  // load_end_addr 0: to the end of the file
    if (load_end_addr != 0) {
        if (load_end_addr <= header_addr)
            refuse(path, kludge + "load_end_addr " + hex(load_end_addr) +
                             " does not lie above header_addr " + hex(header_addr));
        filesz = load_end_addr - load_addr;
        if (offset + filesz > file.size())
            refuse(path, kludge + "load_end_addr " + hex(load_end_addr) + " asks for " +
                             hex(filesz) + " bytes from offset " + hex(offset) +
                             ", past the end of the file (" + std::to_string(file.size()) +
                             " bytes)");
    }
    uint64_t memsz = filesz;
    if (bss_end_addr != 0) {
        if (bss_end_addr < load_addr + filesz)
            refuse(path, kludge + "bss_end_addr " + hex(bss_end_addr) +
                             " lies below the end of the loaded data " + hex(load_addr + filesz));
        memsz = bss_end_addr - load_addr;
    }
    if (load_addr + memsz > 0x100000000ull)
        refuse(path, kludge + "the image does not fit in the 32-bit address space");
    if (*entry - load_addr >= memsz)
        refuse(path, kludge + "entry_addr " + hex(*entry) + " lies outside the image [" +
                         hex(load_addr) + ", " + hex(load_addr + memsz) + ")");
    // memsz <= 4 GiB - load_addr and the image must fit in guest RAM (checked by the caller).
    return {0,
            load_addr,
            load_addr,
            static_cast<uint32_t>(offset),
            static_cast<uint32_t>(filesz),
            static_cast<uint32_t>(memsz)};
}

std::string ram_size(const GuestMemory& mem) {
    const uint64_t s = mem.size();
    return s % (1u << 20) == 0 ? std::to_string(s >> 20) + " MiB"
                               : std::to_string(s >> 10) + " KiB";
}

}  // namespace

MultibootBoot load_multiboot(const std::string& path, GuestMemory& mem,
                             const std::string& cmdline) {
    const loaders::KernelFile file(path);  // checked before it is read; never read whole
    loaders::Elf32Executable exe = loaders::parse_elf32_executable(file);
    const Header header = check_multiboot_header(file);
    if (header.flags & kFlagAoutKludge) exe.loads = {aout_kludge(file, header, &exe.entry)};
    if (cmdline.size() > kMaxMultibootCmdline)
        refuse(path, "the command line has " + std::to_string(cmdline.size()) + " bytes; at most " +
                         std::to_string(kMaxMultibootCmdline) + " fit");

    MultibootBoot boot{0, kDefaultBootArea, UINT32_MAX, 0, {}};
    bool entry_found = false;
    for (const loaders::Elf32Segment& s : exe.loads) {
        const uint64_t start = s.paddr, end = start + s.memsz;  // 64-bit: cannot wrap
        const std::string what = "segment at " + hex(start) + " (size " + hex(s.memsz) + ")";
        if (!mem.contains(start, s.memsz))
            refuse(path, what + " lies outside guest RAM (" + ram_size(mem) + ")");
        // e_entry is virtual; like GRUB and QEMU, the segment holding it translates it. The
        // unsigned difference is < memsz exactly when vaddr <= e_entry < vaddr + memsz.
        if (!entry_found && exe.entry - s.vaddr < s.memsz) {
            boot.entry = s.paddr + (exe.entry - s.vaddr);
            entry_found = true;
        }
        boot.kernel_start = std::min(boot.kernel_start, s.paddr);
        boot.kernel_end = std::max(boot.kernel_end, static_cast<uint32_t>(end));  // <= 3 GiB
    }
    if (!entry_found)
        refuse(path, "entry point " + hex(exe.entry) + " lies outside the loaded segments");
    // The boot area: its default page unless a segment is loaded there, then after the kernel.
    for (const loaders::Elf32Segment& s : exe.loads)
        if (s.paddr < kDefaultBootArea + kBootAreaSize &&
            s.paddr + uint64_t(s.memsz) > kDefaultBootArea)
            boot.info_phys = (boot.kernel_end + kBootAreaSize - 1) & ~(kBootAreaSize - 1);
    if (!mem.contains(boot.info_phys, kBootAreaSize))
        refuse(path, "no room for the Multiboot information after the kernel (it ends at " +
                         hex(boot.kernel_end) + ", guest RAM at " + ram_size(mem) + ")");

    for (const loaders::Elf32Segment& s : exe.loads) {
        uint8_t* dst = mem.host(s.paddr, s.memsz);  // checked above
        file.read(s.offset, dst, s.filesz);         // inside the file: checked by the parser
        memset(dst + s.filesz, 0, s.memsz - s.filesz);
    }
    write_boot_area(mem, boot.info_phys, cmdline);
    boot.state = multiboot_entry_state(boot.entry, boot.info_phys);
    return boot;
}

}  // namespace prevt
