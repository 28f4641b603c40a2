#include "core/native/address_space.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/guest_memory.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt::native {

using shadowmmu::kPageSize;

namespace {

void* fixed_map(uint64_t host, uint64_t len, int prot, int flags, int fd, off_t off) {
    void* p = mmap(reinterpret_cast<void*>(host), len, prot, flags | MAP_FIXED, fd, off);
    if (p == MAP_FAILED)
        throw HostError(std::string("mmap of guest memory failed: ") + strerror(errno) +
                        (errno == ENOMEM ? " (the host's vm.max_map_count may be reached)" : ""));
    return p;
}

// The host's limit on a process's mappings (vm.max_map_count, 65530 by default).
uint64_t read_max_map_count() {
    uint64_t v = 65530;
    if (FILE* f = fopen("/proc/sys/vm/max_map_count", "r")) {
        if (fscanf(f, "%lu", &v) != 1) v = 65530;
        fclose(f);
    }
    return v;
}

uint64_t read_mmap_min_addr() {
    uint64_t v = 65536;
    if (FILE* f = fopen("/proc/sys/vm/mmap_min_addr", "r")) {
        if (fscanf(f, "%lu", &v) != 1) v = 65536;
        fclose(f);
    }
    return v;
}
}  // namespace

AddressSpace& AddressSpace::instance() {
    static AddressSpace space;
    return space;
}

AddressSpace::AddressSpace() {
    low_ = (read_mmap_min_addr() + kPageSize - 1) & ~(kPageSize - 1);
    // A quarter of the host's limit stays for the monitor itself (libc, heap arenas, stacks,
    // the monitor area, KVM): guest mappings beyond the rest are dropped (shadow: a TLB flush).
    const uint64_t max_maps = read_max_map_count();
    budget_ = max_maps > 4096 ? max_maps - max_maps / 4 : max_maps / 2;
    if (low_ < kPageSize) low_ = kPageSize;
    if (low_ > kPageZeroOffset)
        throw HostError(
            "vm.mmap_min_addr is above 64 KiB: the guest address space cannot be built");
    void* p = mmap(reinterpret_cast<void*>(low_), kFourGiB - low_, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        throw HostError(std::string("cannot reserve the low 4 GiB for the guest: ") +
                        strerror(errno));
    ones_fd_ = memfd_create("prevt-unassigned", MFD_CLOEXEC);
    if (ones_fd_ < 0 || ftruncate(ones_fd_, kPageSize) != 0)
        throw HostError("cannot create the unassigned-memory page");
    void* w = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, ones_fd_, 0);
    if (w == MAP_FAILED) throw HostError("cannot map the unassigned-memory page");
    memset(w, 0xff, kPageSize);
    munmap(w, kPageSize);
}

void AddressSpace::clear_guest() {
    fixed_map(low_, kMonitorBase - low_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
              0);
    mappings_ = 0;
}

void AddressSpace::map_flat(const GuestMemory& mem, uint64_t offset, bool executable) {
    clear_guest();
    offset_ = offset;
    exec_ = executable ? PROT_EXEC : 0;
    for (const MemoryMap::Region& r : mem.map().regions())
        if (r.kind == MemoryMap::Kind::kRam || r.kind == MemoryMap::Kind::kRom) map_region(mem, r);
}

void AddressSpace::map_region(const GuestMemory& mem, const MemoryMap::Region& r) {
    const bool ram = r.kind == MemoryMap::Kind::kRam;
    uint64_t from = offset_ + r.base, to = offset_ + r.end();
    const uint64_t reach = offset_ + uint64_t(linear_limit()) + 1;  // the monitor's area
    from = std::max(from, low_);  // guest pages in the host's hole stay unmapped
    to = std::min(to, reach);
    if (from >= to) return;
    fixed_map(from, to - from, PROT_READ | (ram ? PROT_WRITE : 0) | exec_, MAP_SHARED,
              ram ? mem.fd() : mem.rom_fd(),
              static_cast<off_t>(r.offset + (from - offset_ - r.base)));
    ++mappings_;
}

bool AddressSpace::serves(const GuestMemory& mem, uint32_t phys, bool write) {
    switch (mem.map().find(phys).kind) {
        case MemoryMap::Kind::kRam: return true;
        case MemoryMap::Kind::kRom:
        case MemoryMap::Kind::kUnassigned: return !write;
        case MemoryMap::Kind::kMmio: break;
    }
    return false;
}

bool AddressSpace::map_flat_fault(uint32_t linear, bool write, const GuestMemory& mem) {
    if (write || mem.map().find(linear).kind != MemoryMap::Kind::kUnassigned) return false;
    if (over_budget()) clear_unassigned(mem);  // vm.max_map_count
    return map_unassigned(linear);
}

bool AddressSpace::map_page(uint32_t linear, uint32_t phys, bool writable, const GuestMemory& mem) {
    const uint64_t host = (uint64_t(linear) + offset_) & ~(kPageSize - 1);
    if (linear > linear_limit() || host < low_) return false;
    const MemoryMap::Region r = mem.map().find(phys & ~(kPageSize - 1));
    const uint64_t at = (phys & ~(kPageSize - 1)) - r.base;  // the page's offset in its range
    switch (r.kind) {
        case MemoryMap::Kind::kRam:
            fixed_map(host, kPageSize, PROT_READ | (writable ? PROT_WRITE : 0) | exec_, MAP_SHARED,
                      mem.fd(), static_cast<off_t>(r.offset + at));
            break;
        case MemoryMap::Kind::kRom:
            fixed_map(host, kPageSize, PROT_READ | exec_, MAP_SHARED, mem.rom_fd(),
                      static_cast<off_t>(r.offset + at));
            break;
        case MemoryMap::Kind::kUnassigned:
            fixed_map(host, kPageSize, PROT_READ | exec_, MAP_SHARED, ones_fd_, 0);
            break;
        case MemoryMap::Kind::kMmio:  // never mapped: every access faults to the virtual CPU
            fixed_map(host, kPageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                      0);
            return false;
    }
    ++mappings_;
    return true;
}

void AddressSpace::unmap(uint32_t linear, uint32_t len) {
    uint64_t host = uint64_t(linear) + offset_;
    uint64_t end = host + len;
    if (host < low_) host = low_;
    if (end > kMonitorBase) end = kMonitorBase;
    if (host < end) {
        fixed_map(host, end - host, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        const uint64_t pages = (end - host) / kPageSize;
        mappings_ -= std::min(mappings_, pages);
    }
}

void AddressSpace::protect(uint32_t linear, bool writable) {
    const uint64_t host = (uint64_t(linear) + offset_) & ~(kPageSize - 1);
    if (linear > linear_limit() || host < low_) return;
    if (mprotect(reinterpret_cast<void*>(host), kPageSize,
                 PROT_READ | (writable ? PROT_WRITE : 0) | exec_) != 0)
        throw HostError(std::string("mprotect of a guest page failed: ") + strerror(errno));
}

void AddressSpace::clear_unassigned(const GuestMemory& mem) {
    // Every gap between the RAM and ROM ranges, up to the monitor's area, back to PROT_NONE.
    uint64_t gap = offset_;
    mappings_ = 0;
    auto drop = [&](uint64_t from, uint64_t to) {
        from = std::max(from, low_);
        to = std::min<uint64_t>(to, kMonitorBase);
        if (from < to)
            fixed_map(from, to - from, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                      0);
    };
    for (const MemoryMap::Region& r : mem.map().regions()) {
        if (r.kind != MemoryMap::Kind::kRam && r.kind != MemoryMap::Kind::kRom) continue;
        drop(gap, offset_ + r.base);
        gap = offset_ + r.end();
        ++mappings_;  // mapped flat
    }
    drop(gap, kMonitorBase);
}

bool AddressSpace::guest_linear(uint64_t host, uint32_t* linear) const {
    if (host < offset_ || host >= kMonitorBase) return false;
    *linear = static_cast<uint32_t>(host - offset_);
    return true;
}

bool AddressSpace::map_unassigned(uint32_t linear) {
    const uint64_t host = (uint64_t(linear) + offset_) & ~(kPageSize - 1);
    if (linear > linear_limit() || host < low_) return false;
    fixed_map(host, kPageSize, PROT_READ | exec_, MAP_SHARED, ones_fd_, 0);
    ++mappings_;
    return true;
}

}  // namespace prevt::native
