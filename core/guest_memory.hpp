// Guest physical memory, as the memory map (memory_map.hpp) lays it out: RAM in one memfd and
// ROM in another, so that the same pages can be mapped at several host addresses (the
// monitor's view above 4 GiB, the guest-linear view below 4 GiB, a KVM slot); MMIO routed to
// the MMIO bus; unassigned addresses read all-ones and drop writes. Every physical access of
// the virtual CPU, the page walker and the engines goes through here.
//
// Invariant (containment): the monitor pointers handed out (host(), host_read()) lie inside
// the RAM or ROM views and cover exactly the bytes asked for; MMIO and unassigned addresses
// never get one, and ROM only a const one (the guest's ROM does not change).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/memory_map.hpp"

namespace prevt {

namespace devices {
class Bus;
}

class GuestMemory {
public:
    // RAM at [0, bytes) and nothing else. Throws InputError if `bytes` is not a multiple of
    // 4 KiB or not between 1 MiB and 3 GiB.
    explicit GuestMemory(uint64_t bytes);
    // `map`'s MMIO ranges go to `mmio` (the bus sees physical addresses and gives its devices
    // offsets; the devices live as long as this); a map with MMIO needs a bus. ROM starts
    // zeroed: load() puts an image there.
    GuestMemory(const MemoryMap& map, devices::Bus* mmio);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    const MemoryMap& map() const { return map_; }
    // One past the highest RAM byte: RAM frames are numbered below it.
    uint64_t size() const { return map_.ram_end(); }
    int fd() const { return fd_; }          // RAM: offset == physical address
    int rom_fd() const { return rom_fd_; }  // ROM: offset == Region::offset; -1 without ROM

    // Monitor pointer to [phys, phys+len), or nullptr unless all of it is RAM (host) or RAM
    // or ROM (host_read: for reading only).
    uint8_t* host(uint64_t phys, uint64_t len) const;
    const uint8_t* host_read(uint64_t phys, uint64_t len) const;
    // All of [phys, phys+len) is RAM.
    bool contains(uint64_t phys, uint64_t len) const {
        return (len <= fast_end_ && phys <= fast_end_ - len) || all_of(phys, len, false);
    }

    // The physical bus: any length, never fails. RAM and ROM give their bytes, MMIO goes to
    // the bus (accesses of 1, 2 or 4 bytes in one, wider ones in 4-byte pieces from the low
    // address), unassigned addresses give all-ones. An access that crosses a range boundary
    // is split there, each part routed by its own range. Stores into ROM and unassigned memory
    // are dropped. (Const: an MMIO read changes a device, never guest memory.)
    void load(uint64_t phys, void* out, uint64_t len) const;
    void store(uint64_t phys, const void* in, uint64_t len);
    // Little-endian access of 1, 2 or 4 bytes through load()/store().
    uint32_t read(uint64_t phys, unsigned size) const;
    void write(uint64_t phys, unsigned size, uint32_t value);
    // Byte ranges without side effects; false (and nothing copied) unless the range is all
    // RAM or ROM (read_bytes: code and tables can be read from ROM) or all RAM (write_bytes).
    bool read_bytes(uint64_t phys, void* out, uint64_t len) const;
    bool write_bytes(uint64_t phys, const void* in, uint64_t len);
    // The monitor's own write (a loader's): RAM or ROM, never MMIO; false and nothing written
    // otherwise. Nobody is told (no guest code ran from it yet).
    bool load_image(uint64_t phys, const void* in, uint64_t len);

    // Told of every write into RAM through store(), write() and write_bytes() (the virtual
    // CPU's stores, the walker's A/D bits): an engine that derives state from guest RAM (bt's
    // translations) hears of stores that never touch its host mappings. Null: nobody listens.
    struct WriteObserver {
        virtual void guest_ram_written(uint64_t phys, uint64_t len) = 0;
    };
    void set_write_observer(WriteObserver* o) { observer_ = o; }

private:
    // Every byte of [phys, phys+len) is RAM (or, with `rom`, RAM or ROM).
    bool all_of(uint64_t phys, uint64_t len, bool rom) const;
    uint8_t* view(const MemoryMap::Region& r, uint64_t phys) const;
    void release();  // the views and memfds (the destructor, a failed constructor)
    void mmio_read(uint64_t phys, uint8_t* out, uint64_t len) const;
    void mmio_write(uint64_t phys, const uint8_t* in, uint64_t len) const;

    MemoryMap map_;
    devices::Bus* mmio_ = nullptr;
    WriteObserver* observer_ = nullptr;
    // [0, fast_end_) is RAM (the region at 0, if RAM): the virtual CPU's accesses there skip
    // the map.
    uint64_t fast_end_ = 0;
    int fd_ = -1, rom_fd_ = -1;
    uint8_t* view_ = nullptr;      // the monitor's own mapping of RAM (above 4 GiB)
    uint8_t* rom_view_ = nullptr;  // ... and of ROM, read/write for the monitor alone
};

}  // namespace prevt
