#include "core/loaders/multiboot.hpp"

#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/errors.hpp"

namespace prevt {

namespace {

constexpr uint32_t kHeaderMagic = 0x1badb002;
constexpr uint32_t kHeaderSearch = 8192;
constexpr uint32_t kFlagPageAlign = 1u << 0, kFlagMemInfo = 1u << 1, kFlagVideo = 1u << 2;

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
    throw InputError(path + ": " + why);
}

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::vector<uint8_t> read_file(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) refuse(path, std::string("cannot open: ") + strerror(errno));
    if (!S_ISREG(st.st_mode)) refuse(path, "not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) refuse(path, "cannot open for reading");
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void check_multiboot_header(const std::string& path, const std::vector<uint8_t>& f) {
    const size_t end = std::min<size_t>(f.size(), kHeaderSearch);
    for (size_t at = 0; at + 12 <= end; at += 4) {
        uint32_t h[3];
        memcpy(h, &f[at], sizeof h);
        if (h[0] != kHeaderMagic) continue;
        if (h[0] + h[1] + h[2] != 0) refuse(path, "Multiboot header checksum is wrong");
        const uint32_t required = h[1] & 0xffff;
        if (required & kFlagVideo) refuse(path, "Multiboot header asks for a video mode, which prevt does not provide");
        if (required & ~(kFlagPageAlign | kFlagMemInfo | kFlagVideo))
            refuse(path, "Multiboot header requires unknown features (flags " + hex(h[1]) + ")");
        return;
    }
    refuse(path, "no Multiboot header in the first 8 KiB");
}

const Elf32_Ehdr& check_elf_header(const std::string& path, const std::vector<uint8_t>& f) {
    if (f.size() < 4 || memcmp(f.data(), ELFMAG, SELFMAG) != 0) refuse(path, "not an ELF file");
    if (f.size() < EI_NIDENT) refuse(path, "truncated ELF header");
    if (f[EI_CLASS] == ELFCLASS64) refuse(path, "ELF64 is not supported (Multiboot v1 needs ELF32)");
    if (f[EI_CLASS] != ELFCLASS32) refuse(path, "unknown ELF class");
    if (f[EI_DATA] != ELFDATA2LSB) refuse(path, "not a little-endian ELF file");
    if (f.size() < sizeof(Elf32_Ehdr)) refuse(path, "truncated ELF header");
    const auto& eh = *reinterpret_cast<const Elf32_Ehdr*>(f.data());
    if (eh.e_machine != EM_386) refuse(path, "not an i386 ELF file");
    if (eh.e_type != ET_EXEC) refuse(path, "not an executable ELF file (ET_EXEC)");
    if (eh.e_phentsize != sizeof(Elf32_Phdr)) refuse(path, "unexpected program header size");
    if (eh.e_phnum == 0) refuse(path, "no program headers");
    if (uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Elf32_Phdr) > f.size())
        refuse(path, "program header table lies past the end of the file");
    return eh;
}

// The information structure (spec 3.3): memory sizes, command line, memory map, loader name.
uint32_t build_info(GuestMemory& mem, const std::string& cmdline) {
    std::vector<uint8_t> area(kMultibootInfoEnd - kMultibootInfo, 0);
    auto put32 = [&](uint32_t off, uint32_t v) { memcpy(&area[off], &v, 4); };
    const uint64_t ram = mem.size();
    const uint32_t mmap_off = 0x80, cmdline_off = 0x200, name_off = 0x1f0;
    struct Region {
        uint64_t base, length;
        uint32_t type;
    };
    const Region regions[] = {{0, 0x9fc00, 1},
                              {0x9fc00, 0x400, 2},
                              {0xf0000, 0x10000, 2},
                              {0x100000, ram > 0x100000 ? ram - 0x100000 : 0, 1}};
    uint32_t at = mmap_off;
    for (const Region& r : regions) {
        put32(at, 20);  // size of the entry, not counting this field
        memcpy(&area[at + 4], &r.base, 8);
        memcpy(&area[at + 12], &r.length, 8);
        put32(at + 20, r.type);
        at += 24;
    }
    const std::string name = "prevt";
    memcpy(&area[name_off], name.c_str(), name.size() + 1);
    const size_t room = area.size() - cmdline_off - 1;
    memcpy(&area[cmdline_off], cmdline.data(), std::min(room, cmdline.size()));
    put32(0, (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
    put32(4, 639);
    put32(8, static_cast<uint32_t>(ram > 0x100000 ? (ram - 0x100000) / 1024 : 0));
    put32(16, kMultibootInfo + cmdline_off);
    put32(44, at - mmap_off);
    put32(48, kMultibootInfo + mmap_off);
    put32(64, kMultibootInfo + name_off);
    mem.write_bytes(kMultibootInfo, area.data(), area.size());
    return kMultibootInfo;
}

}  // namespace

MultibootBoot load_multiboot(const std::string& path, GuestMemory& mem, const std::string& cmdline) {
    const std::vector<uint8_t> f = read_file(path);
    const Elf32_Ehdr& eh = check_elf_header(path, f);
    check_multiboot_header(path, f);
    MultibootBoot boot{eh.e_entry, 0, 0xffffffff, 0};
    bool entry_loaded = false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf32_Phdr ph;
        memcpy(&ph, &f[eh.e_phoff + i * sizeof ph], sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (ph.p_filesz > ph.p_memsz) refuse(path, "segment " + std::to_string(i) + " has p_filesz > p_memsz");
        if (uint64_t(ph.p_offset) + ph.p_filesz > f.size())
            refuse(path, "segment " + std::to_string(i) + " lies past the end of the file");
        const uint64_t start = ph.p_paddr, end = start + ph.p_memsz;
        if (!mem.contains(start, ph.p_memsz))
            refuse(path, "segment at " + hex(start) + " (size " + hex(ph.p_memsz) +
                             ") lies outside guest RAM (" + std::to_string(mem.size() >> 20) + " MiB)");
        if (start < kMultibootInfoEnd && end > 0x8000)
            refuse(path, "segment at " + hex(start) + " overlaps the boot area [0x8000, " +
                             hex(kMultibootInfoEnd) + ")");
        mem.write_bytes(start, &f[ph.p_offset], ph.p_filesz);
        std::vector<uint8_t> zeros(ph.p_memsz - ph.p_filesz, 0);
        mem.write_bytes(start + ph.p_filesz, zeros.data(), zeros.size());
        if (eh.e_entry >= start && eh.e_entry < end) entry_loaded = true;
        boot.kernel_start = std::min<uint32_t>(boot.kernel_start, static_cast<uint32_t>(start));
        boot.kernel_end = std::max<uint32_t>(boot.kernel_end, static_cast<uint32_t>(end));
    }
    if (boot.kernel_end == 0) refuse(path, "no loadable segment");
    if (!entry_loaded) refuse(path, "entry point " + hex(eh.e_entry) + " lies outside the loaded segments");
    boot.info_phys = build_info(mem, cmdline);
    return boot;
}

}  // namespace prevt
