// The translation cache (bt/code_cache.hpp) with a fake host: blocks by key and by cache
// address, invalidation by frame, and the graveyard that keeps an invalidated block findable
// until the next translation starts (then nothing can be running inside it).
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "bt/code_cache.hpp"

namespace prevt::bt {
namespace {

constexpr uint32_t kBase = 0x10000, kEnd = 0x90000;

struct FakeHost final : CacheHost {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(kEnd - kBase);
    std::set<uint32_t> protected_frames;
    unsigned forgets = 0, flushes = 0;
    uint8_t* cache_bytes(uint32_t at) override { return &bytes[at - kBase]; }
    void forget_lookups() override { ++forgets; }
    unsigned forget_lookup(uint32_t, uint32_t cache_start) override {
        forgotten.insert(cache_start);
        return 2;  // (as if the CPL 3 table held it)
    }
    void restore_lookup(const Block& b, unsigned tables) override {
        restored.insert(b.cache_start);
        EXPECT_EQ(tables, 2u);
    }
    std::set<uint32_t> forgotten, restored;
    void protect_frame(uint32_t frame) override { protected_frames.insert(frame); }
    void release_frame(uint32_t frame) override { protected_frames.erase(frame); }
    void flushed() override { ++flushes; }
};

class CodeCacheTest : public ::testing::Test {
protected:
    // A block of 16 host bytes (nops) for guest code at `linear`, in frame `frame`.
    Block& add(uint32_t linear, uint32_t frame, uint64_t context = 0) {
        CodeBuffer buf(cache.start());
        for (int i = 0; i < 16; ++i) buf.byte(0x90);
        Block b;
        b.guest_linear = b.guest_eip = linear;
        b.guest_end = linear + 8;
        b.cache_start = buf.here() - 16;
        b.cache_end = buf.here();
        b.pages.push_back({linear & ~0xfffu, frame, false});
        return cache.add(std::move(b), buf, context << 32 | linear, true);
    }
    FakeHost host;
    CodeCache cache{host, kBase, kEnd, 256};
};

TEST_F(CodeCacheTest, AnInvalidatedBlockIsFoundUntilTheNextTranslationStarts) {
    Block& a = add(0x1000, 0x5000);
    const uint32_t a_start = a.cache_start;
    Block& b = add(0x2000, 0x6000);
    EXPECT_EQ(cache.block_at(a_start + 3), &a);
    EXPECT_TRUE(host.protected_frames.count(0x5000));
    EXPECT_EQ(cache.find(0x1000), &a);  // (now in the recent-lookup array too)
    EXPECT_EQ(cache.find(0x2000), &b);
    EXPECT_TRUE(cache.invalidate(0x5004, 1));  // a store into a's code: the frame is free
    EXPECT_FALSE(host.protected_frames.count(0x5000));
    EXPECT_EQ(cache.find(0x1000), nullptr);
    EXPECT_EQ(cache.find(0x2000), &b);
    // The lookup tables forget a, and only a.
    EXPECT_EQ(host.forgotten, std::set<uint32_t>{a_start});
    EXPECT_EQ(host.forgets, 0u);
    // The store that did it may be about to run from a's bytes: still found there.
    ASSERT_NE(cache.block_at(a_start + 3), nullptr);
    EXPECT_EQ(cache.block_at(a_start + 3)->guest_eip, 0x1000u);
    add(0x3000, 0x7000);  // a translation: the guest goes on from a block's first byte
    EXPECT_EQ(cache.block_at(a_start + 3), nullptr);
    EXPECT_EQ(cache.block_at(b.cache_start), &b);  // the living are untouched
    EXPECT_EQ(cache.counts().flushes, 0u);         // and nothing was flushed for it
}

TEST_F(CodeCacheTest, ManyInvalidationsNeverFlushTheCache) {
    // (The graveyard used to be emptied by a flush every 4096 dead blocks.)
    for (uint32_t i = 0; i < 5000; ++i) {
        add(0x1000, 0x5000);
        cache.drop_linear(0x1000);
    }
    EXPECT_EQ(cache.counts().flushes, 0u);
    EXPECT_EQ(host.flushes, 0u);
}

// A CR3 write parks the blocks whose pages the new address space does not map (yet): out of
// reach, but kept with their frames, until the same frames map there again.
TEST_F(CodeCacheTest, AParkedBlockComesBackOnlyIfItsFramesMapBack) {
    Block& a = add(0x1000, 0x5000);
    Block& b = add(0x2000, 0x6000);
    EXPECT_EQ(cache.find(0x1000), &a);
    cache.park({&a, &b});
    EXPECT_EQ(cache.find(0x1000), nullptr);  // out of reach (the recent array forgot it too)
    EXPECT_EQ(host.forgotten, (std::set<uint32_t>{a.cache_start, b.cache_start}));
    EXPECT_TRUE(cache.holds_code(0x5000));  // its frame stays protected: stores are seen
    EXPECT_EQ(cache.unpark(0x1000, [](const Block&) { return true; }), &a);
    EXPECT_EQ(cache.find(0x1000), &a);
    EXPECT_FALSE(a.away);
    // b's page maps elsewhere now: b goes for good, its frame is free.
    EXPECT_EQ(cache.unpark(0x2000, [](const Block&) { return false; }), nullptr);
    EXPECT_FALSE(cache.holds_code(0x6000));
    EXPECT_EQ(cache.unpark(0x2000, [](const Block&) { return true; }), nullptr);
    // A store into a parked block's code drops it as it would a living one.
    cache.park({&a});
    EXPECT_TRUE(cache.invalidate(0x5000, 4));
    EXPECT_EQ(cache.unpark(0x1000, [](const Block&) { return true; }), nullptr);
    EXPECT_EQ(cache.counts().parked, 3u);
    EXPECT_EQ(cache.counts().unparked, 1u);
}

uint32_t jump_target(FakeHost& host, uint32_t field) {
    int32_t rel;
    memcpy(&rel, &host.bytes[field - kBase], 4);
    return field + 4 + rel;
}

// A process switch away and back: the block comes back with the chains and the lookup slots
// it had (each would otherwise cost a dispatch to find again).
TEST_F(CodeCacheTest, AParkedBlockComesBackWithItsChainsAndLookups) {
    Block& a = add(0x1000, 0x5000);
    a.exits.push_back({a.cache_start + 4, a.cache_start + 8, 0x2000});
    Block& b = add(0x2000, 0x6000);
    cache.chain(a.cache_start + 4, b);
    ASSERT_EQ(jump_target(host, a.cache_start + 4), b.cache_start);
    cache.park({&b});
    EXPECT_EQ(jump_target(host, a.cache_start + 4), a.cache_start + 8);  // to its stub
    EXPECT_EQ(a.exits[0].chained_to, 0u);
    EXPECT_TRUE(host.forgotten.count(b.cache_start));
    EXPECT_TRUE(host.restored.empty());
    EXPECT_EQ(cache.unpark(0x2000, [](const Block&) { return true; }), &b);
    EXPECT_EQ(jump_target(host, a.cache_start + 4), b.cache_start);
    EXPECT_EQ(a.exits[0].chained_to, b.cache_start);
    EXPECT_TRUE(host.restored.count(b.cache_start));
    // A chain whose block went meanwhile is not made again (nor is its field kept).
    cache.park({&b});
    cache.drop({&a});
    EXPECT_EQ(cache.unpark(0x2000, [](const Block&) { return true; }), &b);
    EXPECT_TRUE(b.incoming.empty());
}

// A page faulted in again brings back the parked blocks of the same context on it that map
// back; the others stay parked (not dropped: they may map back later).
TEST_F(CodeCacheTest, ANeighbourOfTheSameContextComesBackWithABlock) {
    Block& c = add(0x1000, 0x5000);
    Block& d = add(0x1010, 0x5000);
    Block& e = add(0x1020, 0x5000, 1);  // another context (the key's upper bits)
    Block& f = add(0x1030, 0x5000);
    cache.park({&c, &d, &e, &f});
    Block* back = cache.unpark(0x1000, [](const Block&) { return true; });
    ASSERT_EQ(back, &c);
    cache.unpark_neighbours(*back, [&](const Block& n) { return &n != &f; });
    EXPECT_EQ(cache.find(0x1010), &d);
    EXPECT_FALSE(d.away);
    EXPECT_TRUE(e.away);
    EXPECT_TRUE(f.away);
    EXPECT_FALSE(f.gone);
    EXPECT_EQ(cache.unpark(1ull << 32 | 0x1020, [](const Block&) { return true; }), &e);
    EXPECT_EQ(cache.counts().unparked, 3u);
}

// A block that went (a translation made only to raise its fetch's fault is dropped at once)
// is never chained to: its bytes are buried at the next translation.
TEST_F(CodeCacheTest, NothingChainsToABlockThatWent) {
    Block& a = add(0x1000, 0x5000);
    a.exits.push_back({a.cache_start + 4, a.cache_start + 8, 0x2000});
    Block& b = add(0x2000, 0x6000);
    cache.drop({&b});
    cache.chain(a.cache_start + 4, b);
    EXPECT_EQ(cache.counts().chained, 0u);
    EXPECT_TRUE(b.incoming.empty());
    Block& c = add(0x2000, 0x6000);
    cache.chain(a.cache_start + 4, c);
    EXPECT_EQ(cache.counts().chained, 1u);
}

}  // namespace
}  // namespace prevt::bt
