// The translation cache (bt/code_cache.hpp) with a fake host: blocks by key and by cache
// address, invalidation by frame, and the graveyard that keeps an invalidated block findable
// until the next translation starts (then nothing can be running inside it).
#include <gtest/gtest.h>

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
    void protect_frame(uint32_t frame) override { protected_frames.insert(frame); }
    void release_frame(uint32_t frame) override { protected_frames.erase(frame); }
    void flushed() override { ++flushes; }
};

class CodeCacheTest : public ::testing::Test {
protected:
    // A block of 16 host bytes (nops) for guest code at `linear`, in frame `frame`.
    Block& add(uint32_t linear, uint32_t frame) {
        CodeBuffer buf(cache.start());
        for (int i = 0; i < 16; ++i) buf.byte(0x90);
        Block b;
        b.guest_linear = b.guest_eip = linear;
        b.guest_end = linear + 8;
        b.cache_start = buf.here() - 16;
        b.cache_end = buf.here();
        b.pages.push_back({linear & ~0xfffu, frame, false});
        return cache.add(std::move(b), buf, linear, true);
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
    EXPECT_TRUE(cache.invalidate(0x5004, 1));  // a store into a's code: the frame is free
    EXPECT_FALSE(host.protected_frames.count(0x5000));
    EXPECT_EQ(cache.find(0x1000), nullptr);
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

}  // namespace
}  // namespace prevt::bt
