// The 32-bit page-table walker on synthetic page tables: translations, 4 MiB pages, U/S and
// R/W at both levels, CR0.WP, accessed/dirty bits, and #PF error codes as the SDM gives them.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "shadowmmu/pagetable.hpp"

namespace prevt::shadowmmu {
namespace {

struct Ram {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(1 << 20, 0);
    uint32_t read32(uint32_t at) const {
        uint32_t v;
        memcpy(&v, &bytes[at], 4);
        return v;
    }
    void write32(uint32_t at, uint32_t v) { memcpy(&bytes[at], &v, 4); }
};

constexpr uint32_t kDir = 0x1000, kTable = 0x2000;
constexpr uint32_t P = Entry::kPresent, W = Entry::kWritable, U = Entry::kUser;

class WalkerTest : public ::testing::Test {
protected:
    WalkerTest() {
        control.cr3 = kDir;
        ram.write32(kDir + 0, kTable | P | W | U);         // 0-4 MiB through the table
        ram.write32(kTable + 5 * 4, 0x50000 | P | W | U);  // 0x5000 -> 0x50000, user rw
        ram.write32(kTable + 6 * 4, 0x60000 | P);          // 0x6000 -> 0x60000, supervisor ro
        ram.write32(kTable + 7 * 4, 0x70000 | P | U);      // 0x7000 -> 0x70000, user ro
    }
    std::variant<Translation, PageFault> go(uint32_t linear, bool write, bool user) {
        return walk(ram, control, linear, Access{write, user});
    }
    static uint32_t error(const std::variant<Translation, PageFault>& r) {
        EXPECT_TRUE(std::holds_alternative<PageFault>(r));
        return std::get<PageFault>(r).error_code;
    }
    Ram ram;
    PagingControl control;
};

TEST_F(WalkerTest, TranslatesAndSetsAccessedThenDirty) {
    auto r = go(0x5123, false, true);
    ASSERT_TRUE(std::holds_alternative<Translation>(r));
    EXPECT_EQ(std::get<Translation>(r).physical, 0x50123u);
    EXPECT_TRUE(Entry{ram.read32(kDir)}.accessed());
    EXPECT_TRUE(Entry{ram.read32(kTable + 20)}.accessed());
    EXPECT_FALSE(Entry{ram.read32(kTable + 20)}.dirty());
    r = go(0x5123, true, true);
    EXPECT_TRUE(std::get<Translation>(r).dirty);
    EXPECT_TRUE(Entry{ram.read32(kTable + 20)}.dirty());
}

TEST_F(WalkerTest, NotPresentFaultsHaveP0) {
    EXPECT_EQ(error(go(0x8000, false, false)), 0u);
    EXPECT_EQ(error(go(0x8000, true, true)), pf::W | pf::U);
    EXPECT_EQ(error(go(0x400000, false, true)), pf::U);  // no page table at all
}

TEST_F(WalkerTest, UserCannotTouchSupervisorPages) {
    EXPECT_EQ(error(go(0x6000, false, true)), pf::P | pf::U);
    EXPECT_TRUE(std::holds_alternative<Translation>(go(0x6000, false, false)));
}

TEST_F(WalkerTest, WriteProtectionAndCr0Wp) {
    EXPECT_EQ(error(go(0x7000, true, true)), pf::P | pf::W | pf::U);
    auto r = go(0x6000, true, false);  // supervisor write to a read-only page, WP = 0: allowed
    ASSERT_TRUE(std::holds_alternative<Translation>(r));
    EXPECT_TRUE(std::get<Translation>(r).writable);
    control.wp = true;
    EXPECT_EQ(error(go(0x6000, true, false)), pf::P | pf::W);
}

TEST_F(WalkerTest, BothLevelsCount) {
    ram.write32(kDir, kTable | P | W);  // the directory entry is supervisor-only
    EXPECT_EQ(error(go(0x5000, false, true)), pf::P | pf::U);
    ram.write32(kDir, kTable | P | U);  // ... or read-only
    EXPECT_EQ(error(go(0x5000, true, true)), pf::P | pf::W | pf::U);
}

TEST_F(WalkerTest, LargePagesNeedPse) {
    ram.write32(kDir + 4 * 2, 0x00c00000 | P | W | Entry::kLarge | Entry::kGlobal);
    control.pse = true;
    control.pge = true;
    auto r = go(0x00812345, true, false);
    ASSERT_TRUE(std::holds_alternative<Translation>(r));
    EXPECT_EQ(std::get<Translation>(r).physical, 0x00c12345u);
    EXPECT_EQ(std::get<Translation>(r).page_size, 4u << 20);
    EXPECT_TRUE(std::get<Translation>(r).global);
    EXPECT_TRUE(Entry{ram.read32(kDir + 8)}.dirty());
    ram.write32(kDir + 8, 0x00c02000 | P | W | Entry::kLarge);  // reserved bits 21:13
    EXPECT_EQ(error(go(0x00812345, false, false)), pf::P | pf::RSVD);
}

TEST_F(WalkerTest, PeekWritesNothingAndNeedsTheBitsAlreadySet) {
    const Access peek_read{false, true, true}, peek_write{true, true, true};
    // Never accessed: a prefetch must not be the one to set A.
    EXPECT_TRUE(std::holds_alternative<PageFault>(walk(ram, control, 0x5000, peek_read)));
    EXPECT_FALSE(Entry{ram.read32(kDir)}.accessed());
    EXPECT_FALSE(Entry{ram.read32(kTable + 20)}.accessed());
    ASSERT_TRUE(std::holds_alternative<Translation>(go(0x5000, false, true)));  // A set now
    const auto r = walk(ram, control, 0x5000, peek_read);
    ASSERT_TRUE(std::holds_alternative<Translation>(r));
    EXPECT_EQ(std::get<Translation>(r).physical, 0x50000u);
    EXPECT_FALSE(std::get<Translation>(r).dirty);
    // A write needs D already set; the peek does not set it.
    EXPECT_TRUE(std::holds_alternative<PageFault>(walk(ram, control, 0x5000, peek_write)));
    EXPECT_FALSE(Entry{ram.read32(kTable + 20)}.dirty());
    ASSERT_TRUE(std::holds_alternative<Translation>(go(0x5000, true, true)));
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x5000, peek_write)));
    // Permissions still apply.
    go(0x6000, false, false);
    EXPECT_TRUE(std::holds_alternative<PageFault>(walk(ram, control, 0x6000, peek_read)));
}

// SMAP (SDM 4.6.1): with CR4.SMAP a supervisor data access to a user page faults (P, and W
// for a write; U clear) unless it is explicit with EFLAGS.AC set; fetches, supervisor pages
// and user-mode accesses are not its business.
TEST_F(WalkerTest, SmapBlocksSupervisorDataAccessesToUserPagesUnlessAc) {
    control.smap = true;
    EXPECT_EQ(error(go(0x5000, false, false)), pf::P);
    EXPECT_EQ(error(go(0x5000, true, false)), pf::P | pf::W);
    EXPECT_EQ(error(go(0x7000, false, false)), pf::P);
    EXPECT_TRUE(std::holds_alternative<Translation>(go(0x6000, false, false)));  // supervisor
    EXPECT_TRUE(std::holds_alternative<Translation>(go(0x5000, true, true)));    // CPL 3
    Access ac{true, false};
    ac.ac = true;
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x5000, ac)));
    Access fetch{false, false};
    fetch.fetch = true;
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x5000, fetch)));
    // With AC the rest of the rules still hold: WP stops a write to a read-only user page.
    control.wp = true;
    EXPECT_EQ(std::get<PageFault>(walk(ram, control, 0x7000, ac)).error_code, pf::P | pf::W);
    control.smap = false;
    EXPECT_TRUE(std::holds_alternative<Translation>(go(0x5000, false, false)));
}

// SMEP (SDM 4.6.1): with CR4.SMEP a supervisor fetch from a user page faults (P, I/D); every
// fetch fault then says I/D (bit 4); data accesses and fetches from supervisor pages and by
// user mode are not its business.
TEST_F(WalkerTest, SmepBlocksSupervisorFetchesFromUserPages) {
    control.smep = true;
    Access fetch{false, false};
    fetch.fetch = true;
    EXPECT_EQ(std::get<PageFault>(walk(ram, control, 0x5000, fetch)).error_code, pf::P | pf::ID);
    EXPECT_EQ(std::get<PageFault>(walk(ram, control, 0x8000, fetch)).error_code, pf::ID);
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x6000, fetch)));
    EXPECT_TRUE(std::holds_alternative<Translation>(go(0x5000, false, false)));  // data
    Access user_fetch{false, true};
    user_fetch.fetch = true;
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x5000, user_fetch)));
    EXPECT_EQ(std::get<PageFault>(walk(ram, control, 0x6000, user_fetch)).error_code,
              pf::P | pf::U | pf::ID);
    control.smep = false;
    EXPECT_TRUE(std::holds_alternative<Translation>(walk(ram, control, 0x5000, fetch)));
    EXPECT_EQ(std::get<PageFault>(walk(ram, control, 0x8000, fetch)).error_code, 0u);
}

TEST_F(WalkerTest, ADebuggersLookNeitherNeedsNorSetsAccessedBits) {
    Access look;
    look.debug = true;
    const auto r = walk(ram, control, 0x5000, look);  // never accessed by the guest
    ASSERT_TRUE(std::holds_alternative<Translation>(r));
    EXPECT_EQ(std::get<Translation>(r).physical, 0x50000u);
    EXPECT_FALSE(Entry{ram.read32(kDir)}.accessed());
    EXPECT_FALSE(Entry{ram.read32(kTable + 20)}.accessed());
    EXPECT_EQ(error(walk(ram, control, 0x400000, look)), 0u);  // not present: still a fault
}

}  // namespace
}  // namespace prevt::shadowmmu
