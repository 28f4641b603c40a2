// Guest physical memory: the memfds behind RAM and ROM, and every access routed by the map.
#include "core/guest_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "devices/bus.hpp"

namespace prevt {

using Kind = MemoryMap::Kind;

namespace {

// A memfd of `bytes` and the monitor's read/write mapping of it (sparse: pages cost only once
// touched). A failure is bad input: the host cannot give this much guest memory.
uint8_t* make_backing(const char* name, uint64_t bytes, int* fd) {
    *fd = memfd_create(name, MFD_CLOEXEC);
    if (*fd < 0) throw InputError(std::string("memfd_create: ") + strerror(errno));
    if (ftruncate(*fd, static_cast<off_t>(bytes)) != 0)
        throw InputError(std::string("cannot size guest memory: ") + strerror(errno));
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, *fd, 0);
    if (p == MAP_FAILED)
        throw InputError(std::string("cannot map guest memory: ") + strerror(errno));
    return static_cast<uint8_t*>(p);
}

// The virtual CPU's accesses are mostly 1, 2 or 4 bytes: copies of a constant size are
// inlined, a library memcpy call is not (it showed in the profile of a callout).
void copy(uint8_t* to, const uint8_t* from, uint64_t len) {
    switch (len) {
        case 1: *to = *from; break;
        case 2: std::memcpy(to, from, 2); break;
        case 4: std::memcpy(to, from, 4); break;
        case 8: std::memcpy(to, from, 8); break;
        default: std::memcpy(to, from, len); break;
    }
}

}  // namespace

GuestMemory::GuestMemory(uint64_t bytes) : GuestMemory(MemoryMap::ram_only(bytes), nullptr) {}

GuestMemory::GuestMemory(const MemoryMap& map, devices::Bus* mmio) : map_(map), mmio_(mmio) {
    if (map_.has(Kind::kMmio) && !mmio_)
        throw HostError("internal error: a memory map with MMIO and no MMIO bus");
    try {
        if (map_.ram_end()) view_ = make_backing("prevt-guest-ram", map_.ram_end(), &fd_);
        if (map_.rom_bytes())
            rom_view_ = make_backing("prevt-guest-rom", map_.rom_bytes(), &rom_fd_);
    } catch (...) {
        release();
        throw;
    }
    const MemoryMap::Region first = map_.find(0);
    if (first.kind == Kind::kRam) fast_end_ = first.end();
}

GuestMemory::~GuestMemory() {
    release();
}

void GuestMemory::release() {
    if (view_) munmap(view_, map_.ram_end());
    if (rom_view_) munmap(rom_view_, map_.rom_bytes());
    if (fd_ >= 0) close(fd_);
    if (rom_fd_ >= 0) close(rom_fd_);
    view_ = rom_view_ = nullptr;
    fd_ = rom_fd_ = -1;
}

uint8_t* GuestMemory::view(const MemoryMap::Region& r, uint64_t phys) const {
    return (r.kind == Kind::kRam ? view_ : rom_view_) + r.offset + (phys - r.base);
}

bool GuestMemory::all_of(uint64_t phys, uint64_t len, bool rom) const {
    if (len > MemoryMap::kPhysicalLimit || phys > MemoryMap::kPhysicalLimit - len) return false;
    // One region, or adjacent ones (RAM's are adjacent in its view too; ROM's need not be).
    while (len) {
        const MemoryMap::Region r = map_.find(phys);
        if (r.kind != Kind::kRam && !(rom && r.kind == Kind::kRom)) return false;
        const uint64_t n = std::min(len, r.end() - phys);
        phys += n, len -= n;
    }
    return true;
}

// RAM lies in its memfd by physical address: any all-RAM range is one piece of the view, even
// across adjacent RAM ranges. A ROM range is one piece of its own view.
uint8_t* GuestMemory::host(uint64_t phys, uint64_t len) const {
    return contains(phys, len) ? view_ + phys : nullptr;
}

const uint8_t* GuestMemory::host_read(uint64_t phys, uint64_t len) const {
    if (contains(phys, len)) return view_ + phys;
    const MemoryMap::Region r = map_.find(phys);
    return r.kind == Kind::kRom && len <= r.end() - phys ? view(r, phys) : nullptr;
}

// MMIO: pieces of at most 4 bytes (the bus's widest access), never past the region, so the
// bus sees only addresses the map gave it and sizes it serves.
namespace {
unsigned mmio_piece(uint64_t len) {
    return len >= 4 ? 4 : len >= 2 ? 2 : 1;
}
}  // namespace

void GuestMemory::mmio_read(uint64_t phys, uint8_t* out, uint64_t len) const {
    while (len) {
        const unsigned n = mmio_piece(len);
        const uint32_t v = mmio_->read(phys, n);
        std::memcpy(out, &v, n);
        phys += n, out += n, len -= n;
    }
}

void GuestMemory::mmio_write(uint64_t phys, const uint8_t* in, uint64_t len) const {
    while (len) {
        const unsigned n = mmio_piece(len);
        uint32_t v = 0;
        std::memcpy(&v, in, n);
        mmio_->write(phys, n, v);
        phys += n, in += n, len -= n;
    }
}

void GuestMemory::load(uint64_t phys, void* out, uint64_t len) const {
    auto* dst = static_cast<uint8_t*>(out);
    if (len <= fast_end_ && phys <= fast_end_ - len) return copy(dst, view_ + phys, len);
    while (len) {
        const MemoryMap::Region r = map_.find(phys);
        const uint64_t n = std::max<uint64_t>(1, std::min(len, r.end() - phys));
        switch (r.kind) {
            case Kind::kRam:
            case Kind::kRom: copy(dst, view(r, phys), n); break;
            case Kind::kMmio: mmio_read(phys, dst, n); break;
            case Kind::kUnassigned: std::memset(dst, 0xff, n); break;
        }
        phys += n, dst += n, len -= n;
    }
}

void GuestMemory::store(uint64_t phys, const void* in, uint64_t len) {
    const auto* src = static_cast<const uint8_t*>(in);
    if (len <= fast_end_ && phys <= fast_end_ - len) {
        copy(view_ + phys, src, len);
        if (observer_) observer_->guest_ram_written(phys, len);
        return;
    }
    while (len) {
        const MemoryMap::Region r = map_.find(phys);
        const uint64_t n = std::max<uint64_t>(1, std::min(len, r.end() - phys));
        if (r.kind == Kind::kRam) {
            copy(view(r, phys), src, n);
            if (observer_) observer_->guest_ram_written(phys, n);
        } else if (r.kind == Kind::kMmio) {
            mmio_write(phys, src, n);
        }  // ROM and unassigned: dropped
        phys += n, src += n, len -= n;
    }
}

uint32_t GuestMemory::read(uint64_t phys, unsigned size) const {
    uint32_t value = 0;
    load(phys, &value, std::min(size, 4u));
    return value;
}

void GuestMemory::write(uint64_t phys, unsigned size, uint32_t value) {
    store(phys, &value, std::min(size, 4u));
}

bool GuestMemory::read_bytes(uint64_t phys, void* out, uint64_t len) const {
    if (len <= fast_end_ && phys <= fast_end_ - len) {
        copy(static_cast<uint8_t*>(out), view_ + phys, len);
        return true;
    }
    if (!all_of(phys, len, true)) return false;
    load(phys, out, len);  // RAM and ROM only: no side effects
    return true;
}

bool GuestMemory::write_bytes(uint64_t phys, const void* in, uint64_t len) {
    if (!contains(phys, len)) return false;
    store(phys, in, len);
    return true;
}

bool GuestMemory::load_image(uint64_t phys, const void* in, uint64_t len) {
    if (!all_of(phys, len, true)) return false;
    const auto* src = static_cast<const uint8_t*>(in);
    while (len) {
        const MemoryMap::Region r = map_.find(phys);
        const uint64_t n = std::min(len, r.end() - phys);
        std::memcpy(view(r, phys), src, n);
        phys += n, src += n, len -= n;
    }
    return true;
}

}  // namespace prevt
