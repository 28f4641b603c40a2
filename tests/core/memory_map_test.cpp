// The physical memory map (core/memory_map.hpp) and GuestMemory's routing by it: RAM, ROM,
// MMIO (a recording device on a devices::Bus) and unassigned ranges, accesses that cross
// their boundaries, the ranges the map refuses, the monitor pointers it hands out.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/guest_memory.hpp"
#include "devices/bus.hpp"

namespace prevt {
namespace {

using Kind = MemoryMap::Kind;

// Records every access; reads return 0xa0 + offset in each byte (so a split shows).
struct Recorder final : devices::IoDevice {
    struct Access {
        bool write;
        uint64_t offset;
        unsigned size;
        uint32_t value;
    };
    std::vector<Access> log;
    std::string_view name() const override { return "recorder"; }
    uint32_t read(uint64_t offset, unsigned size) override {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; ++i) v |= uint32_t(0xa0 + offset + i) << (8 * i);
        log.push_back({false, offset, size, v});
        return v;
    }
    void write(uint64_t offset, unsigned size, uint32_t value) override {
        log.push_back({true, offset, size, value});
    }
};

constexpr uint64_t kRomBase = 0xe0000, kMmioBase = 0xa0000, kRamHigh = 0x100000;

// RAM [0, 0xa0000) and [1 MiB, 2 MiB); MMIO [0xa0000, 0xa2000) with the recorder on its first
// page; unassigned [0xa2000, 0xe0000); ROM [0xe0000, 0x100000); unassigned above 2 MiB.
struct MappedMemory : ::testing::Test {
    static MemoryMap pc_map() {
        MemoryMap m;
        m.add_ram(0, 0xa0000);
        m.add_ram(kRamHigh, 0x100000);
        m.add_rom(kRomBase, 0x20000, "BIOS");
        m.add_mmio(kMmioBase, 0x2000, "VGA memory");
        return m;
    }
    MappedMemory() : mem(pc_map(), &bus) {
        bus.attach(kMmioBase, 0x1000, device);
        std::vector<uint8_t> image(0x20000);
        for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7);
        EXPECT_TRUE(mem.load_image(kRomBase, image.data(), image.size()));
    }
    Recorder device;
    devices::Bus bus{"mmio"};
    GuestMemory mem;
};

TEST(MemoryMap, RefusesOverlapsMisalignmentAndWhatCannotBe) {
    MemoryMap m;
    m.add_ram(0, 0x100000);
    EXPECT_THROW(m.add_rom(0xff000, 0x2000), InputError);  // overlaps the end of RAM
    EXPECT_THROW(m.add_mmio(0, 0x1000), InputError);       // inside RAM
    EXPECT_THROW(m.add_mmio(0x200800, 0x1000), InputError);
    EXPECT_THROW(m.add_mmio(0x200000, 0x800), InputError);
    EXPECT_THROW(m.add_mmio(0x200000, 0), InputError);
    EXPECT_THROW(m.add_rom(0xfffff000, 0x2000), InputError);  // past 4 GiB
    EXPECT_THROW(m.add_ram(0x100000000ull, 0x1000), InputError);
    EXPECT_THROW(m.add_ram(0x40000000, 3ull << 30), InputError);  // 3 GiB + 1 MiB of RAM
    EXPECT_THROW(m.add_rom(0xf0000000, 17u << 20), InputError);   // 17 MiB of ROM
    m.add_rom(0xfffe0000, 0x20000);                               // ends exactly at 4 GiB
    m.add_mmio(0xfee00000, 0x1000);
    m.add_ram(0x100000, 0x100000);  // adjacent to the first: allowed
    try {
        m.add_mmio(0xfffff000, 0x1000, "LAPIC");
        FAIL() << "overlap accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("LAPIC at [0xfffff000, 0x100000000) overlaps ROM"),
                  std::string::npos)
            << e.what();
    }
    ASSERT_EQ(m.regions().size(), 4u);
    EXPECT_EQ(m.regions()[1].base, 0x100000u);  // sorted
    EXPECT_EQ(m.ram_end(), 0x200000u);
    EXPECT_THROW(MemoryMap::ram_only(0x80000), InputError);  // below 1 MiB
    EXPECT_THROW(MemoryMap::ram_only((3ull << 30) + 4096), InputError);
}

TEST(MemoryMap, FindGivesTheRegionOrTheGapAroundTheAddress) {
    MemoryMap m;
    m.add_ram(0, 0x100000);
    m.add_mmio(0x200000, 0x1000);
    EXPECT_EQ(m.find(0xfffff).kind, Kind::kRam);
    const MemoryMap::Region gap = m.find(0x100000);
    EXPECT_EQ(gap.kind, Kind::kUnassigned);
    EXPECT_EQ(gap.base, 0x100000u);
    EXPECT_EQ(gap.end(), 0x200000u);
    EXPECT_EQ(m.find(0x200fff).kind, Kind::kMmio);
    EXPECT_EQ(m.find(0x201000).end(), MemoryMap::kPhysicalLimit);
    EXPECT_EQ(m.find(0x123456789ull).kind, Kind::kUnassigned);
    EXPECT_GT(m.find(0x123456789ull).end(), 0x123456789ull);
}

TEST_F(MappedMemory, RamAndRomGiveTheirBytesRomDropsStores) {
    mem.write(kRamHigh + 8, 4, 0x11223344);
    EXPECT_EQ(mem.read(kRamHigh + 8, 4), 0x11223344u);
    EXPECT_EQ(mem.read(kRomBase + 3, 1), 21u);
    mem.write(kRomBase + 3, 1, 0x99);  // write-protected, as a PC's BIOS
    EXPECT_EQ(mem.read(kRomBase + 3, 1), 21u);
    uint8_t b[4] = {1, 2, 3, 4};
    EXPECT_FALSE(mem.write_bytes(kRomBase, b, 4));
    EXPECT_TRUE(mem.read_bytes(kRomBase + 1, b, 4));  // code and tables read from ROM
    EXPECT_EQ(b[3], 28u);
    EXPECT_TRUE(mem.contains(kRamHigh, 0x100000));
    EXPECT_FALSE(mem.contains(kRomBase, 1));
}

TEST_F(MappedMemory, UnassignedReadsAllOnesAndDropsWrites) {
    mem.write(0xb0000, 4, 0);
    EXPECT_EQ(mem.read(0xb0000, 4), 0xffffffffu);
    EXPECT_EQ(mem.read(0xb0000, 2), 0xffffu);
    EXPECT_EQ(mem.read(0x300000, 1), 0xffu);
    EXPECT_EQ(mem.read(0xfffffffe, 4), 0xffffffffu);  // and past 4 GiB
    uint8_t b[8];
    EXPECT_FALSE(mem.read_bytes(0x1ffffc, b, 8));
    EXPECT_TRUE(device.log.empty());
}

TEST_F(MappedMemory, MmioGoesToTheBusWholeAndWideAccessesIn4BytePieces) {
    EXPECT_EQ(mem.read(kMmioBase + 0x10, 4), 0xb3b2b1b0u);  // one 4-byte access, offset 0x10
    mem.write(kMmioBase + 0x20, 2, 0xbeef);
    uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    mem.store(kMmioBase + 0x40, eight, 8);  // a movq: two dwords, low first
    ASSERT_EQ(device.log.size(), 4u);
    EXPECT_EQ(device.log[0].size, 4u);
    EXPECT_TRUE(device.log[1].write && device.log[1].offset == 0x20 && device.log[1].size == 2 &&
                device.log[1].value == 0xbeef);
    EXPECT_TRUE(device.log[2].offset == 0x40 && device.log[2].value == 0x04030201);
    EXPECT_TRUE(device.log[3].offset == 0x44 && device.log[3].value == 0x08070605);
    // Never a side-effect-free view of MMIO, never a pointer into it.
    EXPECT_FALSE(mem.read_bytes(kMmioBase, eight, 1));
    EXPECT_FALSE(mem.write_bytes(kMmioBase, eight, 1));
    EXPECT_FALSE(mem.load_image(kMmioBase, eight, 1));
    EXPECT_EQ(mem.host(kMmioBase, 1), nullptr);
    EXPECT_EQ(mem.host_read(kMmioBase, 1), nullptr);
    EXPECT_EQ(device.log.size(), 4u);
    // The MMIO range's second page has no device: the bus's all-ones.
    EXPECT_EQ(mem.read(kMmioBase + 0x1000, 4), 0xffffffffu);
}

TEST_F(MappedMemory, AccessesAcrossRangeBoundariesAreSplitThere) {
    mem.write(0x9fffe, 2, 0x5566);
    mem.write(0x9fffe, 4, 0x11223344);  // RAM half written, MMIO half to the device at 0
    EXPECT_EQ(mem.read(0x9fffe, 2), 0x3344u);
    ASSERT_EQ(device.log.size(), 1u);
    EXPECT_TRUE(device.log[0].write && device.log[0].offset == 0 && device.log[0].size == 2 &&
                device.log[0].value == 0x1122);
    EXPECT_EQ(mem.read(0x9fffe, 4), 0xa1a03344u);  // RAM, then the device's bytes
    EXPECT_EQ(mem.read(0xdfffe, 4), 0x0700ffffu);  // unassigned, then ROM bytes 0 and 7
    mem.write(0xffffe, 4, 0xaabbccdd);             // ROM half dropped, RAM half written
    EXPECT_EQ(mem.read(0x100000, 2), 0xaabbu);
    EXPECT_EQ(mem.read(0x1ffffe, 4), 0xffff0000u | mem.read(0x1ffffe, 2));
}

struct Observer final : GuestMemory::WriteObserver {
    std::vector<std::pair<uint64_t, uint64_t>> seen;
    void guest_ram_written(uint64_t phys, uint64_t len) override { seen.emplace_back(phys, len); }
};

TEST_F(MappedMemory, OnlyRamWritesReachTheObserver) {
    Observer o;
    mem.set_write_observer(&o);
    mem.write(kRomBase, 4, 1);
    mem.write(kMmioBase, 4, 1);
    mem.write(0x300000, 4, 1);
    EXPECT_TRUE(o.seen.empty());
    mem.write(0x9fffe, 4, 0);
    ASSERT_EQ(o.seen.size(), 1u);
    EXPECT_EQ(o.seen[0], std::make_pair(uint64_t{0x9fffe}, uint64_t{2}));
    mem.set_write_observer(nullptr);
}

TEST_F(MappedMemory, MonitorPointersOnlyForRamAndReadOnlyForRom) {
    EXPECT_NE(mem.host(kRamHigh, 0x100000), nullptr);
    EXPECT_EQ(mem.host(kRamHigh, 0x100001), nullptr);  // past the end of RAM
    EXPECT_EQ(mem.host(0x9f000, 0x2000), nullptr);     // into MMIO
    EXPECT_EQ(mem.host(kRomBase, 1), nullptr);
    const uint8_t* rom = mem.host_read(kRomBase, 0x20000);
    ASSERT_NE(rom, nullptr);
    EXPECT_EQ(rom[5], 35u);
    EXPECT_EQ(mem.host_read(kRomBase, 0x20001), nullptr);
    EXPECT_EQ(mem.host_read(0xa2000, 1), nullptr);  // unassigned
}

TEST(GuestMemory, AdjacentRamRangesAreOneForTheMonitor) {
    MemoryMap m;
    m.add_ram(0, 0x100000);
    m.add_ram(0x100000, 0x100000);
    GuestMemory mem(m, nullptr);
    uint8_t* p = mem.host(0xff000, 0x2000);  // (the loader's view of a segment)
    ASSERT_NE(p, nullptr);
    p[0x1000] = 0x5a;
    EXPECT_EQ(mem.read(0x100000, 1), 0x5au);
    EXPECT_TRUE(mem.contains(0, 0x200000));
    EXPECT_EQ(mem.host(0x1ff000, 0x1001), nullptr);
}

TEST(GuestMemory, MmioNeedsABus) {
    MemoryMap m = MemoryMap::ram_only(1 << 20);
    m.add_mmio(0xfee00000, 0x1000);
    EXPECT_THROW(GuestMemory(m, nullptr), HostError);
}

}  // namespace
}  // namespace prevt
