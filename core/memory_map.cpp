// The physical memory map: ranges checked as they are added, found by binary search.
#include "core/memory_map.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <limits>

#include "core/errors.hpp"

namespace prevt {

namespace {

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string describe(const std::string& what, uint64_t base, uint64_t length) {
    return what + " at [" + hex(base) + ", " + hex(base + length) + ")";
}

}  // namespace

const char* kind_name(MemoryMap::Kind kind) {
    switch (kind) {
        case MemoryMap::Kind::kRam: return "RAM";
        case MemoryMap::Kind::kRom: return "ROM";
        case MemoryMap::Kind::kMmio: return "MMIO";
        case MemoryMap::Kind::kUnassigned: break;
    }
    return "unassigned";
}

MemoryMap MemoryMap::ram_only(uint64_t bytes) {
    if (bytes < (1ull << 20) || bytes % kPage != 0 || bytes > kMaxRam)
        throw InputError("guest memory must be between 1 MiB and 3072 MiB");
    MemoryMap map;
    map.add_ram(0, bytes);
    return map;
}

void MemoryMap::add_ram(uint64_t base, uint64_t length, const std::string& what) {
    add(Kind::kRam, base, length, what);
}

void MemoryMap::add_rom(uint64_t base, uint64_t length, const std::string& what) {
    add(Kind::kRom, base, length, what);
}

void MemoryMap::add_mmio(uint64_t base, uint64_t length, const std::string& what) {
    add(Kind::kMmio, base, length, what);
}

void MemoryMap::add(Kind kind, uint64_t base, uint64_t length, const std::string& what) {
    if (length == 0) throw InputError(what + " at " + hex(base) + ": an empty range");
    if (base % kPage != 0 || length % kPage != 0)
        throw InputError(describe(what, base, length) + ": not aligned to 4 KiB pages");
    if (base >= kPhysicalLimit || length > kPhysicalLimit - base)
        throw InputError(describe(what, base, length) +
                         ": beyond 4 GiB (physical addresses are 32-bit)");
    if (kind == Kind::kRam && length > kMaxRam - ram_bytes_)
        throw InputError(describe(what, base, length) + ": more than 3072 MiB of RAM in all");
    if (kind == Kind::kRom && length > kMaxRom - rom_bytes_)
        throw InputError(describe(what, base, length) + ": more than 16 MiB of ROM in all");
    // Ranges never overlap: the only candidates are the first at or above `base` and the one
    // just below it.
    auto next = std::lower_bound(regions_.begin(), regions_.end(), base,
                                 [](const Region& r, uint64_t b) { return r.base < b; });
    const Region* clash = nullptr;
    if (next != regions_.end() && next->base < base + length) clash = &*next;
    if (!clash && next != regions_.begin() && std::prev(next)->end() > base)
        clash = &*std::prev(next);
    if (clash)
        throw InputError(describe(what, base, length) + " overlaps " +
                         describe(kind_name(clash->kind), clash->base, clash->length));
    Region r{base, length, kind, 0};
    if (kind == Kind::kRam) {
        r.offset = base;
        ram_bytes_ += length;
        ram_end_ = std::max(ram_end_, base + length);
    } else if (kind == Kind::kRom) {
        r.offset = rom_bytes_;
        rom_bytes_ += length;
    }
    regions_.insert(next, r);
}

MemoryMap::Region MemoryMap::find(uint64_t phys) const {
    // The last region whose base is at or below `phys`.
    auto next = std::upper_bound(regions_.begin(), regions_.end(), phys,
                                 [](uint64_t p, const Region& r) { return p < r.base; });
    if (next != regions_.begin() && std::prev(next)->holds(phys)) return *std::prev(next);
    Region gap;
    gap.base = next == regions_.begin() ? 0 : std::prev(next)->end();
    uint64_t end = next != regions_.end() ? next->base : kPhysicalLimit;
    if (phys >= kPhysicalLimit) {
        gap.base = kPhysicalLimit;
        end = std::numeric_limits<uint64_t>::max();
    }
    gap.length = end - gap.base;
    return gap;
}

bool MemoryMap::has(Kind kind) const {
    return std::any_of(regions_.begin(), regions_.end(),
                       [kind](const Region& r) { return r.kind == kind; });
}

}  // namespace prevt
