#include "core/guest_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"

namespace prevt {

GuestMemory::GuestMemory(uint64_t bytes) : size_(bytes) {
    if (bytes < (1ull << 20) || bytes % 4096 != 0 || bytes > (3ull << 30))
        throw InputError("guest memory must be between 1 MiB and 3072 MiB");
    fd_ = memfd_create("prevt-guest-ram", MFD_CLOEXEC);
    if (fd_ < 0) throw InputError(std::string("memfd_create: ") + strerror(errno));
    if (ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
        close(fd_);
        throw InputError(std::string("cannot size guest memory: ") + strerror(errno));
    }
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
    if (p == MAP_FAILED) {
        close(fd_);
        throw InputError(std::string("cannot map guest memory: ") + strerror(errno));
    }
    view_ = static_cast<uint8_t*>(p);
}

GuestMemory::~GuestMemory() {
    if (view_) munmap(view_, size_);
    if (fd_ >= 0) close(fd_);
}

uint8_t* GuestMemory::host(uint64_t phys, uint64_t len) const {
    return contains(phys, len) ? view_ + phys : nullptr;
}

uint32_t GuestMemory::read(uint64_t phys, unsigned size) const {
    uint32_t value = 0;
    if (!contains(phys, size)) return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    std::memcpy(&value, view_ + phys, size);
    return value;
}

void GuestMemory::write(uint64_t phys, unsigned size, uint32_t value) {
    if (!contains(phys, size)) return;
    std::memcpy(view_ + phys, &value, size);
    if (observer_) observer_->guest_ram_written(phys, size);
}

namespace {
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

bool GuestMemory::read_bytes(uint64_t phys, void* out, uint64_t len) const {
    if (!contains(phys, len)) return false;
    copy(static_cast<uint8_t*>(out), view_ + phys, len);
    return true;
}

bool GuestMemory::write_bytes(uint64_t phys, const void* in, uint64_t len) {
    if (!contains(phys, len)) return false;
    copy(view_ + phys, static_cast<const uint8_t*>(in), len);
    if (observer_) observer_->guest_ram_written(phys, len);
    return true;
}

}  // namespace prevt
