// The shadow MMU's watched pages (ShadowMmu::watch, the guest's data breakpoints): with paging
// on, a watched page is never mapped for what it watches (the fault is the virtual CPU's) and
// a write-watched one maps read-only; with paging off the identity's page is unmapped or
// protected in place; a change maps each page back as it was, and a mode change keeps them.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
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

// The host's mappings, page -> writable; the identity lists every RAM page it maps.
struct FakeHost final : ShadowHost {
    std::map<uint32_t, bool> maps;
    FrameKind frame_kind(uint32_t frame) const override {
        return frame < (1u << 20) ? FrameKind::kRam : FrameKind::kReadOnly;
    }
    void map_identity() override {
        maps.clear();
        for (uint32_t p = 0; p < (1u << 20); p += kPageSize) maps[p] = true;
    }
    void map(uint32_t page, uint32_t, bool writable) override { maps[page] = writable; }
    void unmap(uint32_t page) override { maps.erase(page); }
    void protect(uint32_t page, bool writable) override {
        ASSERT_TRUE(maps.count(page)) << "protect of an unmapped page " << page;
        maps[page] = writable;
    }
    void unmap_all() override { maps.clear(); }
    bool over_budget() const override { return false; }
};

struct NoCode final : CodeFrames {
    bool holds_code(uint32_t frame) const override { return frame == 0x7000; }
};

constexpr uint32_t P = Entry::kPresent, W = Entry::kWritable, D = Entry::kDirty;
constexpr uint32_t kDir = 0x1000, kTable = 0x2000;

class ShadowWatchTest : public ::testing::Test {
protected:
    ShadowWatchTest() : mmu(ram, host, &code, 0xf0000000u) {
        ram.write32(kDir, kTable | P | W);
        for (uint32_t i = 4; i < 8; ++i) ram.write32(kTable + i * 4, (i << 12) | P | W | D);
        on.enabled = true;
        on.control.cr3 = kDir;
    }
    ShadowMmu::Fault::Kind fault(uint32_t linear, bool write) {
        return mmu.fault(on, linear, write).kind;
    }
    Ram ram;
    FakeHost host;
    NoCode code;
    ShadowMmu mmu;
    PagingState on, off;
};

TEST_F(ShadowWatchTest, PagingOnNeverMapsWhatIsWatched) {
    mmu.sync(on);
    EXPECT_EQ(fault(0x4000, true), ShadowMmu::Fault::kMapped);
    EXPECT_TRUE(host.maps.at(0x4000));
    mmu.watch({{0x4000, false}, {0x5000, true}});
    EXPECT_FALSE(host.maps.count(0x4000));  // dropped: the next access faults
    EXPECT_TRUE(mmu.watched(0x4000, true));
    EXPECT_FALSE(mmu.watched(0x4000, false));
    EXPECT_EQ(fault(0x4010, false), ShadowMmu::Fault::kMapped);  // reads stay native
    EXPECT_FALSE(host.maps.at(0x4000));
    EXPECT_EQ(fault(0x4010, true), ShadowMmu::Fault::kVirtualCpu);
    EXPECT_EQ(fault(0x5010, false), ShadowMmu::Fault::kVirtualCpu);
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_EQ(fault(0x6010, true), ShadowMmu::Fault::kMapped);  // other pages: as before
    EXPECT_EQ(mmu.counts().watched_faults, 2u);
    mmu.watch({});
    EXPECT_FALSE(host.maps.count(0x4000));  // mapped again as the tables allow, on a fault
    EXPECT_EQ(fault(0x4010, true), ShadowMmu::Fault::kMapped);
    EXPECT_TRUE(host.maps.at(0x4000));
}

TEST_F(ShadowWatchTest, PagingOffProtectsTheIdentityInPlace) {
    mmu.sync(off);
    mmu.watch({{0x4000, false}, {0x5000, true}, {0x7000, false}});
    EXPECT_FALSE(host.maps.at(0x4000));
    EXPECT_FALSE(host.maps.count(0x5000));
    mmu.release_frame(0x4000);  // the code side's release leaves a watched page alone
    EXPECT_FALSE(host.maps.at(0x4000));
    mmu.watch({{0x5000, true}});
    EXPECT_TRUE(host.maps.at(0x4000));   // back to the identity's
    EXPECT_FALSE(host.maps.at(0x7000));  // (a frame with code stays read-only)
    mmu.sync(on);                        // a mode change and back: still watched
    mmu.sync(off);
    EXPECT_FALSE(host.maps.count(0x5000));
    EXPECT_TRUE(mmu.watched(0x5000, false));
}

}  // namespace
}  // namespace prevt::shadowmmu
