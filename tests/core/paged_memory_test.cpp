// Emulator memory with guest paging: translation through the walker, #PF with CR2 and the
// error code as a GuestFault, accesses straddling a page boundary, SMAP with EFLAGS.AC.
#include <gtest/gtest.h>

#include "core/emulate/fault.hpp"
#include "core/emulate/paged_memory.hpp"

namespace prevt {
namespace {

class PagedMemoryTest : public ::testing::Test {
protected:
    PagedMemoryTest() : ram(4 << 20), mem(ram, s) {
        s.cr0 = cr0::PE | cr0::PG | cr0::WP;
        s.cr3 = 0x1000;
        ram.write(0x1000 + 4 * 0x300, 4, 0x2000 | 7);  // 0xc0000000.. -> table at 0x2000
        ram.write(0x2000 + 4 * 0, 4, 0x10000 | 3);     // 0xc0000000 -> 0x10000 supervisor rw
        ram.write(0x2000 + 4 * 1, 4, 0x30000 | 7);     // 0xc0001000 -> 0x30000 user rw
        ram.write(0x2000 + 4 * 2, 4, 0x40000 | 5);     // 0xc0002000 -> 0x40000 user ro
    }
    GuestMemory ram;
    VcpuState s;
    PagedMemory mem;
};

TEST_F(PagedMemoryTest, ReadsAndWritesThroughTheGuestTables) {
    const uint32_t v = 0x11223344;
    mem.write(0xc0000010, &v, 4, false);
    EXPECT_EQ(ram.read(0x10010, 4), v);
    uint32_t back = 0;
    mem.read(0xc0000010, &back, 4, false);
    EXPECT_EQ(back, v);
    EXPECT_TRUE(ram.read(0x2000, 4) & 0x40) << "dirty bit set by the write";
}

TEST_F(PagedMemoryTest, StraddlingAccessesUseBothPages) {
    const uint32_t v = 0xaabbccdd;
    mem.write(0xc0000ffe, &v, 4, false);
    EXPECT_EQ(ram.read(0x10ffe, 2), 0xccddu);
    EXPECT_EQ(ram.read(0x30000, 2), 0xaabbu);
}

TEST_F(PagedMemoryTest, FaultsCarryCr2AndTheErrorCode) {
    uint32_t v = 0;
    try {
        mem.read(0xc0000000, &v, 4, true);  // user read of a supervisor page
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::PF);
        EXPECT_EQ(f.error, 5u);  // P | U
        EXPECT_EQ(f.cr2, 0xc0000000u);
    }
    try {
        mem.write(0xc0002004, &v, 4, false);  // supervisor write, read-only page, CR0.WP = 1
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.error, 3u);  // P | W
        EXPECT_EQ(f.cr2, 0xc0002004u);
    }
    try {  // a straddling write whose second page is read-only: nothing is written
        v = 0xffffffff;
        mem.write(0xc0001ffe, &v, 4, false);
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.error, 3u);
        EXPECT_EQ(f.cr2, 0xc0002000u);
        EXPECT_EQ(ram.read(0x30ffe, 2), 0u);
    }
}

// CR4.SMAP: at CPL 0 a data access to a user page faults (P, U clear) unless AC is set;
// an instruction fetch from it does not; at CPL 3 a supervisor (implicit) access to a user
// page faults whatever AC says.
TEST_F(PagedMemoryTest, SmapFollowsAcAndLetsFetchesThrough) {
    s.cr4 |= cr4::SMAP;
    uint32_t v = 0;
    try {
        mem.read(0xc0001000, &v, 4, false);
        FAIL();
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.error, 1u);  // P
    }
    mem.fetch(0xc0001000, &v, 4, false);
    s.eflags |= eflags::AC;
    mem.write(0xc0001000, &v, 4, false);
    s.set_cpl(3);
    EXPECT_THROW(mem.read(0xc0001000, &v, 4, false), GuestFault) << "implicit: AC does not help";
    mem.read(0xc0001000, &v, 4, true);
    s.cr4 &= ~cr4::SMAP;
    mem.read(0xc0001000, &v, 4, false);
}

}  // namespace
}  // namespace prevt
