// The guest's physical memory map: which ranges of the 32-bit physical address space are RAM,
// ROM (read-only bytes, e.g. a BIOS image; the guest's stores are dropped, as on a PC with its
// BIOS write-protected) or MMIO (routed to the devices::Bus of MMIO devices, which decides
// what reads and writes do); everything else is unassigned (reads all-ones, writes dropped).
// A description only: GuestMemory (guest_memory.hpp) backs RAM and ROM with memfds and
// routes accesses by it; the native address space and the kvm engine map it.
//
// Models: the ranges a PC's chipset decodes, fixed at build time. Leaves out: remapping at
// run time (PAM registers shadowing the BIOS, SMRAM, the A20 gate), ROM aliases sharing one
// image (two ROM ranges are two copies), physical addresses above 4 GiB (no PAE).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevt {

class MemoryMap {
public:
    enum class Kind : uint8_t { kUnassigned, kRam, kRom, kMmio };
    struct Region {
        uint64_t base = 0, length = 0;
        Kind kind = Kind::kUnassigned;
        // kRam: the offset of its bytes in the RAM memfd, always `base` (RAM is laid out by
        // physical address, holes cost nothing). kRom: the offset in the ROM memfd, ROMs one
        // after the other in the order added.
        uint64_t offset = 0;
        uint64_t end() const { return base + length; }
        bool holds(uint64_t phys) const { return phys - base < length; }
    };

    static constexpr uint64_t kPage = 4096;
    static constexpr uint64_t kPhysicalLimit = 1ull << 32;  // 32-bit physical addresses
    static constexpr uint64_t kMaxRam = 3ull << 30;         // below the PCI hole, as today
    static constexpr uint64_t kMaxRom = 16ull << 20;        // a PC's largest firmware flash

    // RAM at [0, bytes): 1 MiB to 3 GiB, page aligned (`-m`). InputError otherwise.
    static MemoryMap ram_only(uint64_t bytes);

    // Each throws InputError (the map comes from the user's configuration) if the range is
    // empty, not page aligned, ends above 4 GiB or overlaps a range already there; add_ram if
    // RAM would exceed kMaxRam in all, add_rom if ROM would exceed kMaxRom. `what` names the
    // range in the message ("--bios", "VGA memory").
    void add_ram(uint64_t base, uint64_t length, const std::string& what = "RAM");
    void add_rom(uint64_t base, uint64_t length, const std::string& what = "ROM");
    void add_mmio(uint64_t base, uint64_t length, const std::string& what = "MMIO");

    // The region holding `phys`. Outside every region: the unassigned gap around it (up to
    // the next region, or to 4 GiB; above 4 GiB, everything up to the end of the 64-bit
    // space), so that a caller can step over the gap in one go. Never an empty region.
    Region find(uint64_t phys) const;
    // Sorted by base, never overlapping, never empty.
    const std::vector<Region>& regions() const { return regions_; }
    // One past the highest RAM byte (the size of the RAM memfd), and the bytes of ROM.
    uint64_t ram_end() const { return ram_end_; }
    uint64_t rom_bytes() const { return rom_bytes_; }
    uint64_t ram_bytes() const { return ram_bytes_; }
    bool has(Kind kind) const;

private:
    void add(Kind kind, uint64_t base, uint64_t length, const std::string& what);
    std::vector<Region> regions_;
    uint64_t ram_end_ = 0, ram_bytes_ = 0, rom_bytes_ = 0;
};

const char* kind_name(MemoryMap::Kind kind);

}  // namespace prevt
