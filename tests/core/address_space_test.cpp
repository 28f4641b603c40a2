// The native engines' view of the memory map (core/native/address_space.hpp): RAM mapped
// read/write, ROM read-only from its own memfd, MMIO never, unassigned memory as the all-ones
// page on a read fault only; read back from the host's own record of the mappings.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/guest_memory.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "devices/bus.hpp"

namespace prevt {
namespace {

using native::AddressSpace;

// "rw-s", "r--s", "---p"...: the protection of the host mapping holding `host`, "" if none.
std::string protection(uint64_t host) {
    FILE* f = fopen("/proc/self/maps", "r");
    if (!f) return "";
    char line[512];
    std::string found;
    while (fgets(line, sizeof line, f)) {
        uint64_t from = 0, to = 0;
        char prot[8] = {};
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &from, &to, prot) == 3 && host >= from &&
            host < to) {
            found = prot;
            break;
        }
    }
    fclose(f);
    return found;
}

constexpr uint64_t kOffset = native::kPageZeroOffset;

struct AddressSpaceTest : ::testing::Test {
    static MemoryMap pc_map() {
        MemoryMap m;
        m.add_ram(0, 0xa0000);
        m.add_mmio(0xa0000, 0x1000, "test MMIO");
        m.add_rom(0xe0000, 0x20000, "test ROM");
        m.add_ram(0x100000, 0x100000);
        return m;
    }
    AddressSpaceTest() : mem(pc_map(), &bus), space(AddressSpace::instance()) {
        const uint32_t word = 0x0123abcd;
        EXPECT_TRUE(mem.load_image(0xe0010, &word, 4));
        space.map_flat(mem, kOffset, false);
    }
    ~AddressSpaceTest() override { space.clear_guest(); }
    uint32_t host_read32(uint64_t guest) const {
        uint32_t v;
        std::memcpy(&v, reinterpret_cast<const void*>(kOffset + guest), 4);
        return v;
    }
    devices::Bus bus{"mmio"};
    GuestMemory mem;
    AddressSpace& space;
};

TEST_F(AddressSpaceTest, FlatMapsRamReadWriteRomReadOnlyAndNeverMmio) {
    EXPECT_EQ(protection(kOffset + 0x10000), "rw-s");
    EXPECT_EQ(protection(kOffset + 0x150000), "rw-s");
    EXPECT_EQ(protection(kOffset + 0xe0000), "r--s");
    EXPECT_EQ(host_read32(0xe0010), 0x0123abcdu);  // the ROM's own pages
    EXPECT_EQ(protection(kOffset + 0xa0000), "---p");
    EXPECT_EQ(protection(kOffset + 0xb0000), "---p");   // unassigned: until a read faults
    EXPECT_EQ(protection(kOffset + 0x300000), "---p");  // beyond RAM
}

TEST_F(AddressSpaceTest, AFlatFaultMapsOnlyReadsOfUnassignedMemory) {
    EXPECT_FALSE(space.map_flat_fault(0xa0000, false, mem));  // MMIO: the virtual CPU
    EXPECT_FALSE(space.map_flat_fault(0x300000, true, mem));  // a store: the virtual CPU
    EXPECT_EQ(protection(kOffset + 0x300000), "---p");
    EXPECT_FALSE(space.map_flat_fault(0xe0000, true, mem));  // a store into ROM
    EXPECT_TRUE(space.map_flat_fault(0x300004, false, mem));
    EXPECT_EQ(protection(kOffset + 0x300000), "r--s");
    EXPECT_EQ(host_read32(0x300000), 0xffffffffu);
    space.clear_unassigned(mem);  // the budget's flush: RAM and ROM stay
    EXPECT_EQ(protection(kOffset + 0x300000), "---p");
    EXPECT_EQ(protection(kOffset + 0xe0000), "r--s");
    EXPECT_EQ(protection(kOffset + 0x1ff000), "rw-s");
}

TEST_F(AddressSpaceTest, PagesMapByTheKindOfTheirFrame) {
    space.clear_guest();
    EXPECT_TRUE(space.map_page(0x400000, 0x150000, true, mem));
    EXPECT_EQ(protection(kOffset + 0x400000), "rw-s");
    EXPECT_TRUE(space.map_page(0x401000, 0xe0000, true, mem));  // ROM: read-only anyway
    EXPECT_EQ(protection(kOffset + 0x401000), "r--s");
    EXPECT_EQ(host_read32(0x401010), 0x0123abcdu);
    EXPECT_TRUE(space.map_page(0x402000, 0x30000000, true, mem));  // unassigned: all-ones
    EXPECT_EQ(protection(kOffset + 0x402000), "r--s");
    EXPECT_EQ(host_read32(0x402000), 0xffffffffu);
    EXPECT_FALSE(space.map_page(0x403000, 0xa0000, true, mem));  // MMIO: never
    EXPECT_EQ(protection(kOffset + 0x403000), "---p");
}

TEST_F(AddressSpaceTest, ServesSaysWhichAccessesAHostMappingCanServe) {
    EXPECT_TRUE(AddressSpace::serves(mem, 0x150000, true));
    EXPECT_TRUE(AddressSpace::serves(mem, 0xe0000, false));
    EXPECT_FALSE(AddressSpace::serves(mem, 0xe0000, true));
    EXPECT_TRUE(AddressSpace::serves(mem, 0x30000000, false));
    EXPECT_FALSE(AddressSpace::serves(mem, 0x30000000, true));
    EXPECT_FALSE(AddressSpace::serves(mem, 0xa0000, false));
}

}  // namespace
}  // namespace prevt
