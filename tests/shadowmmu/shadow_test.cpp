// The shadow MMU with a fake host: what it maps on hidden faults (and with which rights),
// what it reports as the guest's #PF, what a CR3 write, a mode change and invlpg drop, the
// code side's frames (read-only through every alias), kernel-only mappings on the way to
// CPL 3, the working set mapped again on a switch back, and the host's mapping budget.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "shadowmmu/shadow.hpp"

namespace prevt::shadowmmu {
namespace {

struct Ram final : TableMemory {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(1 << 20, 0);
    uint32_t read32(uint32_t at) override {
        uint32_t v;
        memcpy(&v, &bytes[at], 4);
        return v;
    }
    void write32(uint32_t at, uint32_t v) override { memcpy(&bytes[at], &v, 4); }
};

// Records the host mappings: page -> (frame, writable); "identity" while paging is off.
struct FakeHost final : ShadowHost {
    struct Map {
        uint32_t frame;
        bool writable;
    };
    std::map<uint32_t, Map> maps;
    bool identity = false;
    std::set<uint32_t> identity_read_only;  // identity pages protected read-only
    uint32_t ram_end = 1 << 20;
    uint64_t budget = ~0ull;
    unsigned unmap_alls = 0;
    FrameKind frame_kind(uint32_t frame) const override {
        if (frame >= 0xfee00000u) return FrameKind::kUnmappable;  // a LAPIC-like page
        return frame < ram_end ? FrameKind::kRam : FrameKind::kReadOnly;
    }
    void map_identity() override {
        maps.clear();
        identity = true;
        identity_read_only.clear();
    }
    void map(uint32_t page, uint32_t frame, bool writable) override {
        maps[page] = {frame, writable};
    }
    void unmap(uint32_t page) override { maps.erase(page); }
    void protect(uint32_t page, bool writable) override {
        if (identity) {
            writable ? (void)identity_read_only.erase(page) : (void)identity_read_only.insert(page);
            return;
        }
        ASSERT_TRUE(maps.count(page)) << "protect of an unmapped page " << page;
        maps[page].writable = writable;
    }
    void unmap_all() override {
        maps.clear();
        identity = false;
        ++unmap_alls;
    }
    bool over_budget() const override { return maps.size() >= budget; }
};

struct FakeCode final : CodeFrames {
    std::set<uint32_t> frames;
    bool holds_code(uint32_t frame) const override { return frames.count(frame); }
};

constexpr uint32_t P = Entry::kPresent, W = Entry::kWritable, U = Entry::kUser, D = Entry::kDirty,
                   A = Entry::kAccessed, PS = Entry::kLarge;
constexpr uint32_t kDir = 0x1000, kTable = 0x2000, kDir2 = 0x3000;
constexpr uint64_t kTop = 0xf0000000u;

class ShadowTest : public ::testing::Test {
protected:
    ShadowTest() : mmu(ram, host, &code, kTop) {
        ram.write32(kDir + 0, kTable | P | W | U);
        ram.write32(kTable + 5 * 4, 0x50000 | P | W | U);          // user rw, clean
        ram.write32(kTable + 6 * 4, 0x60000 | P | W);              // supervisor rw
        ram.write32(kTable + 7 * 4, 0x70000 | P | U);              // user ro
        ram.write32(kTable + 8 * 4, 0x50000 | P | W | U);          // an alias of 0x5000's frame
        ram.write32(kTable + 9 * 4, 0x200000 | P | W | U | D);     // beyond RAM (unassigned)
        ram.write32(kTable + 10 * 4, 0xfee00000 | P | W | U | D);  // unmappable (MMIO)
        paging.enabled = true;
        paging.control.cr3 = kDir;
        paging.control.wp = true;
        paging.control.pse = true;
        mmu.sync(paging);
    }
    ShadowMmu::Fault::Kind fault(uint32_t linear, bool write) {
        return mmu.fault(paging, linear, write).kind;
    }
    Ram ram;
    FakeHost host;
    FakeCode code;
    ShadowMmu mmu;
    PagingState paging;
};

TEST_F(ShadowTest, PagingOnStartsEmptyAndOffMapsTheIdentity) {
    EXPECT_TRUE(host.maps.empty());
    EXPECT_FALSE(host.identity);
    EXPECT_TRUE(mmu.enabled());
    PagingState off;
    EXPECT_TRUE(mmu.mode_changes(off));
    EXPECT_EQ(mmu.sync(off), ShadowMmu::Change::kMode);
    EXPECT_TRUE(host.identity);
    EXPECT_EQ(mmu.frame_of(0x5123), 0x5000u);
    EXPECT_EQ(mmu.user_ceiling(), kTop);
}

TEST_F(ShadowTest, AReadMapsReadOnlyUntilTheDirtyBitIsSet) {
    EXPECT_EQ(fault(0x5010, false), ShadowMmu::Fault::kMapped);
    ASSERT_TRUE(host.maps.count(0x5000));
    EXPECT_EQ(host.maps[0x5000].frame, 0x50000u);
    EXPECT_FALSE(host.maps[0x5000].writable);  // clean: the first write must be seen
    EXPECT_EQ(fault(0x5010, true), ShadowMmu::Fault::kMapped);
    EXPECT_TRUE(host.maps[0x5000].writable);
    EXPECT_EQ(ram.read32(kTable + 5 * 4) & (A | D), A | D);  // the walker set them
    EXPECT_EQ(mmu.counts().hidden_faults, 2u);
}

TEST_F(ShadowTest, WhatTheTablesRefuseIsTheGuestsPageFault) {
    paging.user = true;
    const auto f = mmu.fault(paging, 0x6000, false);
    EXPECT_EQ(f.kind, ShadowMmu::Fault::kGuestPageFault);
    EXPECT_EQ(f.error_code, 0x5u);                                   // P | U
    EXPECT_EQ(mmu.fault(paging, 0x7000, true).error_code, 0x7u);     // P | W | U
    EXPECT_EQ(mmu.fault(paging, 0x400000, false).error_code, 0x4u);  // not present
    EXPECT_TRUE(host.maps.empty());
    EXPECT_EQ(mmu.counts().true_faults, 3u);
}

TEST_F(ShadowTest, FramesTheHostCannotWriteGoToTheVirtualCpu) {
    EXPECT_EQ(fault(0x9000, false), ShadowMmu::Fault::kMapped);  // all-ones, read-only
    EXPECT_FALSE(host.maps[0x9000].writable);
    // The store the read-only mapping refuses: without this answer it would fault forever.
    EXPECT_EQ(fault(0x9000, true), ShadowMmu::Fault::kVirtualCpu);
    EXPECT_EQ(fault(0xa000, false), ShadowMmu::Fault::kVirtualCpu);  // never mapped
    EXPECT_FALSE(host.maps.count(0xa000));
}

TEST_F(ShadowTest, CodeFramesStayReadOnlyThroughEveryAlias) {
    fault(0x5000, true);
    fault(0x8000, true);
    ASSERT_TRUE(host.maps[0x5000].writable && host.maps[0x8000].writable);
    code.frames.insert(0x50000);
    mmu.protect_frame(0x50000);
    EXPECT_FALSE(host.maps[0x5000].writable);
    EXPECT_FALSE(host.maps[0x8000].writable);
    // Mapped again later (invlpg, then a write): still read-only while it holds code...
    mmu.invalidate(0x8000);
    EXPECT_EQ(fault(0x8000, true), ShadowMmu::Fault::kMapped);
    EXPECT_FALSE(host.maps[0x8000].writable);
    // ... except for the one store the code side lets through.
    EXPECT_EQ(mmu.fault(paging, 0x8000, true, true).kind, ShadowMmu::Fault::kMapped);
    EXPECT_TRUE(host.maps[0x8000].writable);
    // Released: every alias goes (the next access maps it as the guest allows).
    code.frames.clear();
    mmu.release_frame(0x50000);
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_FALSE(host.maps.count(0x8000));
    EXPECT_EQ(mmu.frame_of(0x5000), std::nullopt);
}

TEST_F(ShadowTest, WithPagingOffTheCodeFrameIsTheIdentityPage) {
    mmu.sync(PagingState{});
    mmu.protect_frame(0x5000);
    mmu.protect_frame(0x200000);  // beyond RAM: read-only already, not touched
    EXPECT_EQ(host.identity_read_only, std::set<uint32_t>{0x5000});
    mmu.release_frame(0x5000);
    EXPECT_TRUE(host.identity_read_only.empty());
}

TEST_F(ShadowTest, Cr3WritesDropEverythingAndKeepAWorkingSet) {
    fault(0x5000, true);
    fault(0x7000, false);
    // A second address space maps 0x5000 elsewhere.
    ram.write32(kDir2 + 0, 0x4000 | P | W | U | A);
    ram.write32(0x4000 + 5 * 4, 0x90000 | P | W | U | A | D);
    PagingState other = paging;
    other.control.cr3 = kDir2;
    EXPECT_FALSE(mmu.mode_changes(other));
    EXPECT_EQ(mmu.sync(other), ShadowMmu::Change::kAddressSpace);
    EXPECT_TRUE(host.maps.empty());
    EXPECT_EQ(mmu.peek(other, 0x5000), 0x90000u);
    EXPECT_EQ(mmu.peek(other, 0x7000), std::nullopt);  // not present there
    mmu.prefetch(other);                               // nothing was mapped for kDir2 yet
    EXPECT_TRUE(host.maps.empty());
    // Back to the first: its working set comes back, as the tables allow it now.
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAddressSpace);
    mmu.prefetch(paging);
    ASSERT_TRUE(host.maps.count(0x5000) && host.maps.count(0x7000));
    EXPECT_TRUE(host.maps[0x5000].writable);  // dirty since the write
    EXPECT_FALSE(host.maps[0x7000].writable);
    EXPECT_EQ(mmu.counts().prefetched, 2u);
    // A CR3 write of the same value is a TLB flush too.
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kNone);
    mmu.note_cr3_write();
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAddressSpace);
    EXPECT_TRUE(host.maps.empty());
    EXPECT_EQ(mmu.counts().cr3_switches, 3u);
}

// CR4.PGE: a global mapping is a TLB entry a CR3 write leaves alone (SDM 4.10.2.4); a CR4.PGE
// change and invlpg take it.
TEST_F(ShadowTest, GlobalMappingsSurviveCr3WritesUntilPgeChanges) {
    constexpr uint32_t G = Entry::kGlobal;
    ram.write32(kTable + 11 * 4, 0x80000 | P | W | G);  // a kernel page, global
    paging.control.pge = true;
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAllMappings);  // PGE turned on
    fault(0xb000, false);
    fault(0x5000, false);
    EXPECT_EQ(mmu.counts().global_mapped, 1u);
    mmu.note_cr3_write();
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAddressSpace);
    EXPECT_TRUE(host.maps.count(0xb000));  // kept
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_EQ(mmu.frame_of(0xb000), 0x80000u);
    // Kept, it is still kernel-only: taken back on the way to CPL 3.
    EXPECT_TRUE(mmu.has_kernel_only());
    mmu.take_back_kernel_mappings(~0ull);
    EXPECT_FALSE(host.maps.count(0xb000));
    fault(0xb000, false);
    mmu.invalidate(0xb000);  // invlpg takes a global page too
    EXPECT_FALSE(host.maps.count(0xb000));
    fault(0xb000, false);
    paging.control.pge = false;  // a kernel's global flush: PGE off (and on again)
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAllMappings);
    EXPECT_TRUE(host.maps.empty());
    fault(0xb000, false);  // without PGE the G bit means nothing
    mmu.note_cr3_write();
    EXPECT_EQ(mmu.sync(paging), ShadowMmu::Change::kAddressSpace);
    EXPECT_TRUE(host.maps.empty());
}

// Pages of the kernel's region above the user ceiling stay mapped across the way to CPL 3,
// and a take-back looks only at what was mapped since the last one.
TEST_F(ShadowTest, KernelMappingsAboveTheCeilingAreKeptOnce) {
    fault(0x6000, false);  // supervisor, below the ceiling given
    mmu.take_back_kernel_mappings(0x6000);
    EXPECT_TRUE(host.maps.count(0x6000));
    EXPECT_EQ(mmu.counts().kernel_only_kept, 1u);
    mmu.take_back_kernel_mappings(0x6000);  // nothing new: nothing looked at
    EXPECT_EQ(mmu.counts().kernel_only_kept, 1u);
    EXPECT_EQ(mmu.lowest_kernel_only(), 0x6000u);
    mmu.take_back_kernel_mappings(0x7000);  // another ceiling: looked at again, and taken
    EXPECT_FALSE(host.maps.count(0x6000));
    EXPECT_FALSE(mmu.has_kernel_only());
}

// A page mapped again and again (invlpg, fault, invlpg...) is one page of the working set:
// Linux's text_poke maps its one poking page that way, at every patch.
TEST_F(ShadowTest, AWorkingSetListsAPageOnce) {
    for (int i = 0; i < 40; ++i) {
        fault(0x5000, false);
        mmu.invalidate(0x5000);
    }
    fault(0x5000, false);
    fault(0x7000, false);
    mmu.note_cr3_write();
    mmu.sync(paging);
    mmu.prefetch(paging);
    EXPECT_EQ(mmu.counts().prefetched, 2u);
}

TEST_F(ShadowTest, APrefetchSetsNoAccessedOrDirtyBit) {
    fault(0x7000, false);
    mmu.sync(paging);
    mmu.note_cr3_write();
    mmu.sync(paging);
    ram.write32(kTable + 7 * 4, 0x70000 | P | U);  // A cleared by the guest meanwhile
    mmu.prefetch(paging);
    EXPECT_FALSE(host.maps.count(0x7000));
    EXPECT_EQ(ram.read32(kTable + 7 * 4) & A, 0u);
}

TEST_F(ShadowTest, InvlpgDropsAPageOrAWholeLargePage) {
    fault(0x5000, false);
    fault(0x7000, false);
    EXPECT_EQ(mmu.invalidate(0x5abc), std::make_pair(0x5000u, 0x1000u));
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_TRUE(host.maps.count(0x7000));
    ram.write32(kDir + 4 * 2, 0x400000 | P | W | U | PS);  // 0x800000: a 4 MiB page
    fault(0x801000, false);
    fault(0xbff000, false);
    EXPECT_EQ(host.maps[0xbff000].frame, 0x7ff000u);
    EXPECT_EQ(mmu.invalidate(0x801234), std::make_pair(0x800000u, 0x400000u));
    EXPECT_FALSE(host.maps.count(0x801000));
    EXPECT_FALSE(host.maps.count(0xbff000));
    // An invlpg of a page of the large page that was never touched (not mapped itself) drops
    // the large page's other pages all the same: the TLB's entry is the whole 4 MiB page.
    fault(0x801000, false);
    fault(0xbff000, false);
    EXPECT_EQ(mmu.invalidate(0x900000), std::make_pair(0x800000u, 0x400000u));
    EXPECT_FALSE(host.maps.count(0x801000));
    EXPECT_FALSE(host.maps.count(0xbff000));
    mmu.sync(PagingState{});
    EXPECT_EQ(mmu.invalidate(0x7000), std::make_pair(0u, 0u));  // paging off: no TLB
}

TEST_F(ShadowTest, KernelOnlyMappingsAreTakenBackBelowTheCeiling) {
    // At CPL 0: a supervisor page, and a user read-only page the kernel writes (WP off).
    paging.control.wp = false;
    ram.write32(kTable + 7 * 4, 0x70000 | P | U | D);
    mmu.sync(paging);  // (WP changed: a new mode)
    fault(0x6000, true);
    fault(0x7000, true);
    fault(0x5000, false);  // user-readable, mapped read-only: nothing beyond user rights
    EXPECT_TRUE(mmu.has_kernel_only());
    EXPECT_EQ(mmu.lowest_kernel_only(), 0x6000u);
    mmu.take_back_kernel_mappings(0x7000);  // below 0x7000 only
    EXPECT_FALSE(host.maps.count(0x6000));
    EXPECT_TRUE(host.maps[0x7000].writable);
    EXPECT_EQ(mmu.lowest_kernel_only(), 0x7000u);
    mmu.take_back_kernel_mappings(~0ull);
    ASSERT_TRUE(host.maps.count(0x7000));
    EXPECT_FALSE(host.maps[0x7000].writable);  // user may read it
    EXPECT_TRUE(host.maps.count(0x5000));
    EXPECT_FALSE(mmu.has_kernel_only());
    EXPECT_EQ(mmu.counts().kernel_only_dropped, 2u);
    // At CPL 3 nothing is kernel-only.
    paging.user = true;
    fault(0x5000, true);
    EXPECT_FALSE(mmu.has_kernel_only());
}

// SMAP: at CPL 0 with CR4.SMAP and AC clear no user page stays mapped. Those mapped at CPL 3,
// or at CPL 0 with AC set, go when that state begins; supervisor pages stay; a fault on a
// user page then is the guest's #PF.
TEST_F(ShadowTest, SmapTakesUserPagesBackWhenAcIsCleared) {
    paging.control.smap = true;
    paging.user = true;
    mmu.sync(paging);
    fault(0x5000, false);  // at CPL 3
    paging.user = false;
    paging.ac = true;
    mmu.sync(paging);
    EXPECT_TRUE(host.maps.count(0x5000));  // AC set: user pages stay reachable
    fault(0x6000, false);
    fault(0x7000, false);  // mapped at CPL 0 with AC set
    EXPECT_TRUE(host.maps.count(0x7000));
    paging.ac = false;  // clac
    mmu.sync(paging);
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_FALSE(host.maps.count(0x7000));
    EXPECT_TRUE(host.maps.count(0x6000));
    EXPECT_EQ(mmu.counts().smap_dropped, 2u);
    const auto f = mmu.fault(paging, 0x5000, true);
    EXPECT_EQ(f.kind, ShadowMmu::Fault::kGuestPageFault);
    EXPECT_EQ(f.error_code, 0x3u);  // P | W, U clear: a supervisor access
    EXPECT_FALSE(host.maps.count(0x5000));
}

// SMAP turned on while user pages are mapped (they were not listed): they go too.
TEST_F(ShadowTest, SmapTurnedOnTakesBackWhatWasMappedBefore) {
    fault(0x5000, false);  // SMAP off, CPL 0
    paging.control.smap = true;
    paging.ac = true;
    mmu.sync(paging);  // on, with AC set: kept
    EXPECT_TRUE(host.maps.count(0x5000));
    paging.ac = false;
    mmu.sync(paging);
    EXPECT_FALSE(host.maps.count(0x5000));
    // And straight from off to blocked.
    paging.control.smap = false;
    mmu.sync(paging);
    fault(0x7000, false);
    paging.control.smap = true;
    mmu.sync(paging);
    EXPECT_FALSE(host.maps.count(0x7000));
}

TEST_F(ShadowTest, TheUserCeilingComesFromTheDirectory) {
    EXPECT_EQ(mmu.user_ceiling(), kTop);  // no supervisor region at the top
    ram.write32(kDir2 + 4 * (0xbfc00000u >> 22), kTable | P | W | U);  // the user stack...
    ram.write32(kDir2 + 4 * (0xc0000000u >> 22), 0x4000 | P | W);      // ... the kernel at 3 GiB
    // ... and, as 32-bit Linux's fixmap, a table that the directory entry marks U but whose
    // pages are all supervisor: still the kernel's region.
    ram.write32(0x4000 + 4 * 3, 0x90000 | P | W);
    ram.write32(kDir2 + 4 * (0xef000000u >> 22), 0x4000 | P | W | U);
    PagingState linux_like = paging;
    linux_like.control.cr3 = kDir2;
    mmu.sync(linux_like);
    EXPECT_EQ(mmu.user_ceiling(), 0xc0000000u);
}

TEST_F(ShadowTest, TheHostBudgetStartsTheTlbAgain) {
    host.budget = 2;
    fault(0x5000, false);
    fault(0x7000, false);
    const unsigned before = host.unmap_alls;
    fault(0x8000, false);  // over budget: everything goes, then this page
    EXPECT_EQ(host.unmap_alls, before + 1);
    EXPECT_EQ(host.maps.size(), 1u);
    EXPECT_TRUE(host.maps.count(0x8000));
    EXPECT_EQ(mmu.frame_of(0x5000), std::nullopt);
    EXPECT_EQ(mmu.counts().budget_flushes, 1u);
}

}  // namespace
}  // namespace prevt::shadowmmu
