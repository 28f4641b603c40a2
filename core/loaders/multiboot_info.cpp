#include "core/loaders/multiboot_info.hpp"
#include "core/loaders/entry_state.hpp"

#include <array>
#include <cstring>

namespace prevt {

namespace {

// Layout of the boot area (kBootAreaSize bytes): the structure, the boot GDT, the memory map,
// the boot loader name, then the command line up to the end of the area.
constexpr uint32_t kInfoSize = 88;  // up to vbe_interface_len
constexpr uint32_t kMmapOffset = 0x80, kMmapEntry = 24, kMmapEntries = 4;
constexpr uint32_t kNameOffset = 0xe0, kCmdlineOffset = 0x100;
constexpr char kLoaderName[] = "prevt";
constexpr uint32_t kAreaSize = kBootAreaSize;
static_assert(kInfoSize <= kBootGdtOffset && kBootGdtOffset + 32 <= kMmapOffset);
static_assert(kMmapOffset + kMmapEntries * kMmapEntry <= kNameOffset);
static_assert(kNameOffset + sizeof kLoaderName <= kCmdlineOffset && kCmdlineOffset < kAreaSize);
static_assert(kMaxMultibootCmdline == kAreaSize - kCmdlineOffset - 1);  // room for the NUL

// Info flags and field offsets.
constexpr uint32_t kInfoMem = 1u << 0, kInfoCmdline = 1u << 2, kInfoMmap = 1u << 6,
                   kInfoLoaderName = 1u << 9;
constexpr uint32_t kOffFlags = 0, kOffMemLower = 4, kOffMemUpper = 8, kOffCmdline = 16,
                   kOffMmapLength = 44, kOffMmapAddr = 48, kOffLoaderName = 64;

// The PC layout a BIOS reports: conventional memory up to the EBDA (639 KiB, as SeaBIOS under
// QEMU says), the EBDA and the BIOS ROM reserved, RAM from 1 MiB on. prevt has no firmware
// keeping the top of RAM, so RAM above 1 MiB is usable to its end.
constexpr uint64_t kLowRamEnd = 0x9fc00, kEbdaEnd = 0xa0000, kBiosRom = 0xf0000;
constexpr uint64_t kHighRam = 0x100000;
constexpr uint32_t kMmapAvailable = 1, kMmapReserved = 2;

void put32(std::array<uint8_t, kAreaSize>& a, uint32_t off, uint32_t v) {
    memcpy(&a[off], &v, 4);
}
void put64(std::array<uint8_t, kAreaSize>& a, uint32_t off, uint64_t v) {
    memcpy(&a[off], &v, 8);
}

void write_info(GuestMemory& mem, uint32_t base, const std::string& cmdline) {
    std::array<uint8_t, kAreaSize> area{};
    const uint64_t ram = mem.size();  // GuestMemory guarantees at least 1 MiB
    const uint64_t high = ram > kHighRam ? ram - kHighRam : 0;
    struct Region {
        uint64_t base, length;
        uint32_t type;
    };
    const Region regions[kMmapEntries] = {{0, kLowRamEnd, kMmapAvailable},
                                          {kLowRamEnd, kEbdaEnd - kLowRamEnd, kMmapReserved},
                                          {kBiosRom, kHighRam - kBiosRom, kMmapReserved},
                                          {kHighRam, high, kMmapAvailable}};
    uint32_t at = kMmapOffset;
    for (const Region& r : regions) {
        if (r.length == 0) continue;
        put32(area, at, kMmapEntry - 4);  // an entry's size does not count the size field
        put64(area, at + 4, r.base);
        put64(area, at + 12, r.length);
        put32(area, at + 20, r.type);
        at += kMmapEntry;
    }
    memcpy(&area[kNameOffset], kLoaderName, sizeof kLoaderName);
    memcpy(&area[kCmdlineOffset], cmdline.data(), cmdline.size());  // NUL: area is zeroed

    put32(area, kOffFlags, kInfoMem | kInfoCmdline | kInfoMmap | kInfoLoaderName);
    put32(area, kOffMemLower, static_cast<uint32_t>(kLowRamEnd / 1024));
    put32(area, kOffMemUpper, static_cast<uint32_t>(high / 1024));
    put32(area, kOffCmdline, base + kCmdlineOffset);
    put32(area, kOffMmapLength, at - kMmapOffset);
    put32(area, kOffMmapAddr, base + kMmapOffset);
    put32(area, kOffLoaderName, base + kNameOffset);
    // The boot GDT (spec 3.2 leaves it to the loader): null, unused, flat code, flat data.
    const uint32_t gdt[8] = {0, 0, 0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    memcpy(&area[kBootGdtOffset], gdt, sizeof gdt);
    mem.write_bytes(base, area.data(), area.size());
}

}  // namespace

void write_boot_area(GuestMemory& mem, uint32_t base, const std::string& cmdline) {
    write_info(mem, base, cmdline);
}

VcpuState multiboot_entry_state(uint32_t entry, uint32_t area) {
    VcpuState s = loaders::flat_entry_state(area + kBootGdtOffset, kBootCs, kBootDs, entry);
    s.gpr[eax] = kMultibootMagic;
    s.gpr[ebx] = area;
    return s;
}

}  // namespace prevt
