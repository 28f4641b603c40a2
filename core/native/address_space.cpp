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

void AddressSpace::map_flat(const GuestMemory& ram, uint64_t offset, bool executable) {
    clear_guest();
    offset_ = offset;
    exec_ = executable ? PROT_EXEC : 0;
    const uint64_t skip = offset < low_ ? low_ - offset : 0;  // guest pages in the host's hole
    uint64_t len = ram.size();
    if (len > uint64_t(linear_limit()) + 1) len = uint64_t(linear_limit()) + 1;
    if (len > skip)
        fixed_map(offset + skip, len - skip, PROT_READ | PROT_WRITE | exec_, MAP_SHARED, ram.fd(),
                  static_cast<off_t>(skip));
    mappings_ = 1;
}

void AddressSpace::map_page(uint32_t linear, uint32_t phys, bool writable, const GuestMemory& ram) {
    const uint64_t host = (uint64_t(linear) + offset_) & ~(kPageSize - 1);
    if (linear > linear_limit() || host < low_) return;
    phys &= ~(kPageSize - 1);
    if (ram.contains(phys, kPageSize))
        fixed_map(host, kPageSize, PROT_READ | (writable ? PROT_WRITE : 0) | exec_, MAP_SHARED,
                  ram.fd(), static_cast<off_t>(phys));
    else
        fixed_map(host, kPageSize, PROT_READ | exec_, MAP_SHARED, ones_fd_, 0);
    ++mappings_;
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

void AddressSpace::clear_unassigned(const GuestMemory& ram) {
    const uint64_t from = offset_ + std::min<uint64_t>(ram.size(), uint64_t(linear_limit()) + 1);
    if (from < kMonitorBase)
        fixed_map(std::max(from, low_), kMonitorBase - std::max(from, low_), PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    mappings_ = 1;  // RAM, mapped flat
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
