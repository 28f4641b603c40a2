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

bool GuestMemory::read_bytes(uint64_t phys, void* out, uint64_t len) const {
    if (!contains(phys, len)) return false;
    std::memcpy(out, view_ + phys, len);
    return true;
}

bool GuestMemory::write_bytes(uint64_t phys, const void* in, uint64_t len) {
    if (!contains(phys, len)) return false;
    std::memcpy(view_ + phys, in, len);
    if (observer_) observer_->guest_ram_written(phys, len);
    return true;
}

}  // namespace prevt
