// The translation cache (code_cache.hpp): the shared routines, blocks and their indexes,
// chaining, invalidation and flushing.
#include "bt/code_cache.hpp"

#include <algorithm>
#include <cstring>

#include "shadowmmu/pagetable.hpp"

namespace prevt::bt {

constexpr uint32_t kPage = shadowmmu::kPageSize;

CodeCache::CodeCache(CacheHost& host, uint32_t base, uint32_t end, uint32_t ram_frames)
    : host_(host), base_(base), end_(end), cursor_(base) {
    code_frames_.assign(ram_frames, 0);
    reset();
}

// An empty cache holds only the shared routines: the lookup routine, then the sysenter ones.
void CodeCache::reset() {
    CodeBuffer buf(base_);
    lookup_flags_saved_ = emit_lookup_routine(buf);
    lookup_miss_entry_ = emit_lookup_miss_entry(buf);
    sysenter_ = emit_sysenter_routines(buf, base_);
    stack16_entry_ = emit_stack16_entry(buf);
    memcpy(host_.cache_bytes(base_), buf.bytes().data(), buf.bytes().size());
    shared_end_ = buf.here();
    cursor_ = (shared_end_ + kBlockAlign - 1) & ~(kBlockAlign - 1);
}

Block* CodeCache::block_at(uint32_t cache) const {
    auto it = by_cache_.upper_bound(cache);
    if (it == by_cache_.begin()) return nullptr;
    Block* b = std::prev(it)->second;
    return cache < b->cache_end ? b : nullptr;
}

// Blocks start 32-byte aligned: on an AMD host a hot loop's speed changed by a third with its
// alignment (code shifted by 19 bytes made the CPU workload 1.3x slower), so a translation
// must not depend on how much code came before it.
uint32_t CodeCache::start() {
    const uint32_t aligned = (cursor_ + kBlockAlign - 1) & ~(kBlockAlign - 1);
    if (aligned <= end_) {
        memset(host_.cache_bytes(cursor_), 0xcc, aligned - cursor_);  // int3: never reached
        cursor_ = aligned;
    }
    bury();
    return cursor_;
}

// (Until the graveyard had to be emptied by flushing the whole cache, every 4096 dead blocks:
// the Linux guest, whose processes come and go at the same linear addresses, flushed 29 times
// in its boot and retranslated its kernel each time.)
void CodeCache::bury() {
    for (const std::unique_ptr<Block>& b : graveyard_) {
        auto it = by_cache_.find(b->cache_start);
        if (it != by_cache_.end() && it->second == b.get()) by_cache_.erase(it);
    }
    graveyard_.clear();
}

Block& CodeCache::add(Block&& block, const CodeBuffer& buf, uint64_t key, bool paged) {
    memcpy(host_.cache_bytes(cursor_), buf.bytes().data(), buf.bytes().size());
    cursor_ = buf.here();
    auto owned = std::make_unique<Block>(std::move(block));
    Block& b = *owned;
    b.key = key;
    blocks_[key] = std::move(owned);
    by_cache_[b.cache_start] = &b;
    for (const Block::Page& p : b.pages) {
        if (paged) by_linear_[p.linear].push_back(&b);
        if (paged && !p.global) local_by_linear_[p.linear].push_back(&b);
        auto& list = by_frame_[p.frame];
        if (p.frame / kPage < code_frames_.size()) code_frames_[p.frame / kPage] = 1;
        if (list.empty()) host_.protect_frame(p.frame);
        list.push_back(&b);
    }
    ++n_.translated;
    n_.guest_instructions += b.instructions;
    n_.rewritten += b.rewritten;
    n_.cache_bytes += b.cache_end - b.cache_start;
    return b;
}

void CodeCache::chain(uint32_t jump_field, Block& target) {
    Block* from = block_at(jump_field);
    if (!from || from->gone || target.gone) return;
    for (BlockExit& e : from->exits) {
        if (e.jump_field != jump_field || e.target_eip != target.guest_eip) continue;
        const uint32_t rel = rel32(jump_field, target.cache_start);
        memcpy(host_.cache_bytes(jump_field), &rel, 4);
        e.chained_to = target.cache_start;
        target.incoming.push_back(jump_field);
        ++n_.chained;
    }
}

// Every chain into the block is undone (each chained jump goes back to its exit stub), and
// the lookup tables forget it.
void CodeCache::unlink(Block* b) {
    detach(b);
    b->incoming.clear();
    b->lookup_tables = 0;
}

// unlink(), remembering the chains (b->incoming) and the lookup tables that held it.
void CodeCache::detach(Block* b) {
    for (uint32_t field : b->incoming) {
        Block* from = block_at(field);
        if (!from) continue;
        for (BlockExit& e : from->exits)
            if (e.jump_field == field && e.chained_to == b->cache_start) {
                const uint32_t rel = rel32(field, e.stub);
                memcpy(host_.cache_bytes(field), &rel, 4);
                e.chained_to = 0;
            }
    }
    b->lookup_tables = static_cast<uint8_t>(host_.forget_lookup(b->guest_eip, b->cache_start));
    if (RecentBlock& r = recent_slot(b->key); r.block == b) r = {};
}

// The chains detach() undid, where the exit is still there and still unchained. Each was
// made by a dispatch from that exit to this block's key, so it holds again as it held then
// (a block of the same key cannot have come meanwhile: that key's dispatch would have dropped
// this one, see unpark()).
void CodeCache::relink(Block* b) {
    std::erase_if(b->incoming, [&](uint32_t field) {
        Block* from = block_at(field);
        if (!from || from->gone) return true;
        for (BlockExit& e : from->exits)
            if (e.jump_field == field && e.target_eip == b->guest_eip && e.chained_to == 0) {
                const uint32_t rel = rel32(field, b->cache_start);
                memcpy(host_.cache_bytes(field), &rel, 4);
                e.chained_to = b->cache_start;
                return false;
            }
        return true;
    });
    if (b->lookup_tables) host_.restore_lookup(*b, b->lookup_tables);
    b->lookup_tables = 0;
}

void CodeCache::bring_back(BlockIndex::iterator parked) {
    Block* b = parked->second.get();
    b->away = false;
    blocks_.insert(parked_.extract(parked));  // (the node moves: no allocation)
    relink(b);
    ++n_.unparked;
}

// The victims (living or parked) are unlinked and leave every index but by_cache_.
void CodeCache::drop(const std::vector<Block*>& victims) {
    for (Block* b : victims) {
        unlink(b);
        b->gone = true;
        for (const Block::Page& page : b->pages) {
            auto it = by_frame_.find(page.frame);
            if (it == by_frame_.end()) continue;
            std::erase(it->second, b);
            if (!it->second.empty()) continue;
            by_frame_.erase(it);
            if (page.frame / kPage < code_frames_.size()) code_frames_[page.frame / kPage] = 0;
            host_.release_frame(page.frame);
        }
        for (const Block::Page& page : b->pages) {
            for (auto* index : {&by_linear_, &local_by_linear_}) {
                auto it = index->find(page.linear);
                if (it == index->end()) continue;
                std::erase(it->second, b);
                if (it->second.empty()) index->erase(it);
            }
        }
        for (auto* index : {&blocks_, &parked_}) {
            auto it = index->find(b->key);
            if (it != index->end() && it->second.get() == b) {
                graveyard_.push_back(std::move(it->second));
                index->erase(it);
                break;
            }
        }
    }
}

void CodeCache::park(const std::vector<Block*>& blocks) {
    for (Block* b : blocks) {
        auto it = blocks_.find(b->key);
        if (b->away || it == blocks_.end() || it->second.get() != b) continue;
        detach(b);
        auto old = parked_.find(b->key);  // (an older block of the key, parked and not back)
        if (old != parked_.end()) drop({old->second.get()});
        b->away = true;
        parked_.insert(blocks_.extract(it));
        ++n_.parked;
    }
}

void CodeCache::drop_linear(uint32_t linear_page) {
    auto b = by_linear_.find(linear_page);
    if (b != by_linear_.end()) drop(std::vector<Block*>(b->second));
}

bool CodeCache::invalidate(uint32_t phys, uint32_t len) {
    const uint32_t frame = phys & ~(kPage - 1);
    auto it = by_frame_.find(frame);
    if (it == by_frame_.end()) return true;
    std::vector<Block*> victims;
    for (Block* b : it->second)
        for (const Block::Page& p : b->pages) {
            if (p.frame != frame) continue;
            // The block's bytes on this page, as offsets into the frame. (A page past 4 GiB:
            // its linear address as the block sees it, before the wrap.)
            const uint64_t page = p.linear < (b->guest_linear & ~(kPage - 1))
                                      ? uint64_t(p.linear) + (1ull << 32)
                                      : p.linear;
            const uint32_t lo =
                static_cast<uint32_t>(std::max<uint64_t>(b->guest_linear, page) - page);
            const uint32_t hi =
                static_cast<uint32_t>(std::min<uint64_t>(b->guest_end, page + kPage) - page);
            const uint32_t w_lo = phys - frame, w_hi = w_lo + len;
            if (lo < w_hi && w_lo < hi) victims.push_back(b);
        }
    if (!victims.empty()) {
        drop(victims);
        ++n_.smc_invalidations;
    }
    return !by_frame_.count(frame);
}

void CodeCache::flush() {
    recent_.fill({});
    blocks_.clear();
    parked_.clear();
    by_cache_.clear();
    graveyard_.clear();
    for (const auto& [frame, list] : by_frame_) host_.release_frame(frame);
    by_frame_.clear();
    std::fill(code_frames_.begin(), code_frames_.end(), 0);
    by_linear_.clear();
    local_by_linear_.clear();
    reset();
    host_.forget_lookups();
    host_.flushed();
    ++n_.flushes;
}

}  // namespace prevt::bt
