// A disk image file behind a device (devices/block_device.hpp), as QEMU's -fda/-hda use one:
// the file opened read-write, and the guest's writes go to it; or, with -snapshot, opened
// read-only with the guest's writes kept in memory (per 512-byte sector) and lost at the end,
// the file untouched; or, when the file cannot be written (no write permission bit, for root
// too, or write access refused), opened read-only: the guest sees a write-protected medium
// (a floppy's WP tab; the ATA disk aborts writes) and prevt says so once on stderr.
//
// Accepted sizes: a floppy image must be exactly 1,474,560 bytes (1.44 MB: 80 x 2 x 18 x 512;
// the only medium the 82077AA model reads); a hard disk image a whole number of 512-byte
// sectors, at least one. Anything else, a missing, unreadable or non-regular file: InputError
// (status 2) with one line naming the option and the file.
//
// FLUSH CACHE (flush()) does not sync the file: the writes are in the host's page cache, seen
// by every reader; fdatasync is not among the running monitor's allowed system calls.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "devices/block_device.hpp"

namespace prevt {

class DiskImage final : public devices::BlockDevice {
public:
    enum class Kind { kFloppy, kHardDisk };
    static constexpr uint64_t kFloppyBytes = 1'474'560;
    static constexpr uint64_t kSector = 512;

    // `option` names the image in messages ("-fda").
    static std::unique_ptr<DiskImage> open(const std::string& option, const std::string& path,
                                           Kind kind, bool snapshot);
    ~DiskImage() override;
    DiskImage(const DiskImage&) = delete;
    DiskImage& operator=(const DiskImage&) = delete;

    uint64_t size() const override { return size_; }
    bool read_only() const override { return read_only_; }
    bool read(uint64_t offset, std::span<uint8_t> out) override;
    bool write(uint64_t offset, std::span<const uint8_t> in) override;
    bool flush() override;

    bool snapshot() const { return snapshot_; }
    size_t sectors_in_memory() const { return overlay_.size(); }

private:
    DiskImage(int fd, uint64_t size, bool read_only, bool snapshot)
        : fd_(fd), size_(size), read_only_(read_only), snapshot_(snapshot) {}
    bool read_file(uint64_t offset, std::span<uint8_t> out) const;
    bool write_file(uint64_t offset, std::span<const uint8_t> in);

    int fd_;
    uint64_t size_;
    bool read_only_;
    bool snapshot_;
    // -snapshot: the sectors the guest wrote, by sector number.
    std::unordered_map<uint64_t, std::array<uint8_t, kSector>> overlay_;
};

}  // namespace prevt
