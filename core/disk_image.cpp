#include "core/disk_image.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/errors.hpp"

namespace prevt {

std::unique_ptr<DiskImage> DiskImage::open(const std::string& option, const std::string& path,
                                           Kind kind, bool snapshot) {
    auto refuse = [&](const std::string& why) -> std::unique_ptr<DiskImage> {
        throw InputError(option + " " + path + ": " + why);
    };
    if (path.empty()) refuse("empty file name");
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) refuse(strerror(errno));
    if (!S_ISREG(st.st_mode)) refuse("not a regular file");
    // Writable only if some write permission bit is set (root ignores them: a read-only
    // shared image stays untouched) and the kernel agrees.
    const bool writable = !snapshot && (st.st_mode & 0222) != 0 && access(path.c_str(), W_OK) == 0;
    const int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) refuse(strerror(errno));
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (kind == Kind::kFloppy && size != kFloppyBytes) {
        ::close(fd);
        refuse("a floppy image must be 1474560 bytes (1.44 MB), this one is " +
               std::to_string(size));
    }
    if (kind == Kind::kHardDisk && (size == 0 || size % kSector != 0)) {
        ::close(fd);
        refuse("a disk image must be a whole number of 512-byte sectors, this one is " +
               std::to_string(size) + " bytes");
    }
    // One byte read proves the file readable (a file without read permission fails open()
    // for users, but not for root; a directory-like special file fails here).
    uint8_t probe;
    if (pread(fd, &probe, 1, 0) != 1) {
        const int e = errno;
        ::close(fd);
        refuse(std::string("cannot read: ") + (e ? strerror(e) : "short read"));
    }
    if (!writable && !snapshot)
        fprintf(stderr,
                "prevt: %s %s is not writable: the guest sees it write-protected (-snapshot "
                "keeps its writes in memory)\n",
                option.c_str(), path.c_str());
    return std::unique_ptr<DiskImage>(new DiskImage(fd, size, !writable && !snapshot, snapshot));
}

DiskImage::~DiskImage() {
    if (fd_ >= 0) ::close(fd_);
}

// lseek, then read or write, not pread/pwrite: the running monitor's seccomp allowlist has
// neither (the monitor is one thread: nothing moves the offset in between).
bool DiskImage::read_file(uint64_t offset, std::span<uint8_t> out) const {
    if (lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) return false;
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(fd_, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;  // an error, or the file shrank under us
        done += static_cast<size_t>(n);
    }
    return true;
}

bool DiskImage::write_file(uint64_t offset, std::span<const uint8_t> in) {
    if (lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) return false;
    size_t done = 0;
    while (done < in.size()) {
        const ssize_t n = ::write(fd_, in.data() + done, in.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

bool DiskImage::read(uint64_t offset, std::span<uint8_t> out) {
    if (offset > size_ || out.size() > size_ - offset) return false;
    if (!read_file(offset, out)) return false;
    if (overlay_.empty()) return true;
    // The sectors the guest wrote override the file's bytes.
    for (uint64_t s = offset / kSector; s * kSector < offset + out.size(); ++s) {
        const auto it = overlay_.find(s);
        if (it == overlay_.end()) continue;
        const uint64_t from = std::max(offset, s * kSector);
        const uint64_t to = std::min(offset + out.size(), (s + 1) * kSector);
        std::copy(it->second.begin() + (from - s * kSector),
                  it->second.begin() + (to - s * kSector), out.begin() + (from - offset));
    }
    return true;
}

bool DiskImage::write(uint64_t offset, std::span<const uint8_t> in) {
    if (read_only_ || offset > size_ || in.size() > size_ - offset) return false;
    if (!snapshot_) return write_file(offset, in);
    for (uint64_t s = offset / kSector; s * kSector < offset + in.size(); ++s) {
        auto it = overlay_.find(s);
        if (it == overlay_.end()) {
            std::array<uint8_t, kSector> sector;
            if (!read_file(s * kSector, sector)) return false;
            it = overlay_.emplace(s, sector).first;
        }
        const uint64_t from = std::max(offset, s * kSector);
        const uint64_t to = std::min(offset + in.size(), (s + 1) * kSector);
        std::copy(in.begin() + (from - offset), in.begin() + (to - offset),
                  it->second.begin() + (from - s * kSector));
    }
    return true;
}

// The guest's writes are in the host's page cache from the moment write() returns: every
// reader of the file sees them, and the kernel writes them back. An fdatasync() here would be
// a system call the running monitor's seccomp allowlist does not have.
bool DiskImage::flush() {
    return true;
}

}  // namespace prevt
