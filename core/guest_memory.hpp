// Guest physical memory: one memfd, so that the same pages can be mapped at several host
// addresses (the monitor's view above 4 GiB, the guest-linear view below 4 GiB, a KVM slot).
// Physical addresses outside RAM are unassigned: reads return all-ones, writes are dropped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace prevt {

class GuestMemory {
public:
    // Throws InputError if `bytes` is zero, not a multiple of 4 KiB, or above 3 GiB.
    explicit GuestMemory(uint64_t bytes);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    uint64_t size() const { return size_; }
    int fd() const { return fd_; }

    // Monitor pointer to [phys, phys+len), or nullptr if any part lies outside RAM.
    uint8_t* host(uint64_t phys, uint64_t len) const;
    bool contains(uint64_t phys, uint64_t len) const { return len <= size_ && phys <= size_ - len; }

    // Little-endian access of 1, 2 or 4 bytes; unassigned reads give all-ones.
    uint32_t read(uint64_t phys, unsigned size) const;
    void write(uint64_t phys, unsigned size, uint32_t value);
    // Byte ranges; false (and nothing copied) if the range is not entirely RAM.
    bool read_bytes(uint64_t phys, void* out, uint64_t len) const;
    bool write_bytes(uint64_t phys, const void* in, uint64_t len);

    // Told of every write through write() and write_bytes() (the virtual CPU's stores, the
    // walker's A/D bits): an engine that derives state from guest RAM (bt's translations)
    // hears of stores that never touch its host mappings. Null: nobody listens.
    struct WriteObserver {
        virtual void guest_ram_written(uint64_t phys, uint64_t len) = 0;
    };
    void set_write_observer(WriteObserver* o) { observer_ = o; }

private:
    WriteObserver* observer_ = nullptr;
    uint64_t size_;
    int fd_ = -1;
    uint8_t* view_ = nullptr;  // the monitor's own mapping (above 4 GiB)
};

}  // namespace prevt
