// The translation cache (DynamoRIO's "code cache"): translated blocks by key (guest address
// and translation context) and by cache address, the guest frames and linear pages their code
// came from, links between blocks (chaining) and their undoing, invalidation of what a store
// into code makes stale, and flushing. Its first bytes hold the shared routines every block
// uses: the indirect-branch lookup (IBL) and the sysenter/sysexit routines.
//
// Invariants:
// - A block's cache bytes stay where they are until a flush, even once invalidated (the store
//   that invalidated it may still be about to run from there): invalidated blocks wait in the
//   graveyard, where block_at() still finds them, until the next translation starts. A
//   translation is made for the guest to run from its first byte (the dispatcher asked for
//   it), so then no execution is inside a dead block: nothing can enter one again (the
//   chains into it are undone, the lookups forget it), and start() forgets them all.
// - Every chained jump into a block is undone when the block goes (the jump goes back to its
//   exit stub), and the lookup tables forget every block that goes.
// - A frame holds code exactly while some block lists it: the host is told to protect it when
//   the first block arrives and to release it when the last one goes.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bt/block.hpp"
#include "bt/emit.hpp"

namespace prevt::bt {

// What the cache needs from the engine around it.
class CacheHost {
public:
    virtual ~CacheHost() = default;
    // The monitor's writable view of cache address `at` (the guest's view is read/execute).
    virtual uint8_t* cache_bytes(uint32_t at) = 0;
    // Empty the IBL tables (a flush: their empty slots then go to lookup_miss_entry(), which
    // moves with the shared routines).
    virtual void forget_lookups() = 0;
    // Empty the IBL slots that lead to the block at `cache_start` (it went, or was parked);
    // returns the tables that held one (bit 0: CPL 0-2, bit 1: CPL 3).
    virtual unsigned forget_lookup(uint32_t guest_eip, uint32_t cache_start) = 0;
    // A parked block is back: its slots in `tables` again, in each table whose entries still
    // belong to the block's context (the key's bits above the linear EIP and the CS base).
    virtual void restore_lookup(const Block& block, unsigned tables) = 0;
    virtual void protect_frame(uint32_t frame) = 0;  // its first block: stores must be seen
    virtual void release_frame(uint32_t frame) = 0;  // its last block went
    virtual void flushed() = 0;                      // everything went
};

class CodeCache {
public:
    // [base, end): the cache's addresses. `ram_frames`: guest RAM's size in frames (the fast
    // code-frame test covers them; frames beyond are looked up).
    CodeCache(CacheHost& host, uint32_t base, uint32_t end, uint32_t ram_frames);

    // ---- The shared routines (valid until the next flush).
    uint32_t lookup_routine() const { return base_; }
    uint32_t lookup_flags_saved() const { return lookup_flags_saved_; }  // its second entry
    uint32_t lookup_miss_entry() const { return lookup_miss_entry_; }    // empty IBL slots'
    // Inside the shared routines (no block: the guest state is the lookup's or the routine's).
    bool in_shared_routines(uint32_t at) const { return at >= base_ && at < shared_end_; }
    const SysenterRoutines& sysenter() const { return sysenter_; }
    uint32_t stack16_entry() const { return stack16_entry_; }  // (emit_stack16_entry)

    // ---- Finding blocks.
    Block* find(uint64_t key) {
        RecentBlock& r = recent_slot(key);
        if (r.key == key) return r.block;
        auto it = blocks_.find(key);
        if (it == blocks_.end()) return nullptr;
        r = {key, it->second.get()};
        return r.block;
    }
    Block* block_at(uint32_t cache) const;  // the block whose bytes hold `cache` (or null)
    size_t size() const { return blocks_.size(); }

    // ---- Adding a block: start() gives the address to translate at (and buries the
    // graveyard, see the invariants); a translation that does not fit (end of the buffer beyond
    // end()) is dropped with flush() and made again at start(). add() copies the bytes and indexes
    // the block under `key` with the pages it came from (block.pages; by linear page too if
    // `paged`: invlpg and CR3 writes find it there).
    uint32_t start();
    uint32_t end() const { return end_; }
    uint32_t bytes_used() const { return cursor_ - base_; }  // the shared routines included
    uint32_t capacity() const { return end_ - base_; }
    Block& add(Block&& block, const CodeBuffer& buf, uint64_t key, bool paged);

    // ---- Links and invalidation.
    void chain(uint32_t jump_field, Block& target);  // the exit at jump_field now jumps there
    void drop(const std::vector<Block*>& victims);
    // Parking, at a CR3 write: blocks whose pages do not map to their frames in the new
    // address space leave every way in (chains into them, the lookups, the key index) but
    // keep their bytes, their frames (a store into those still drops them) and the list of
    // chains into them. unpark() brings the block of `key` back if `maps_back(block)` - its
    // pages map to the same frames again, as when a new process runs the same program: exec
    // maps its pages only as they fault in - and drops it otherwise. A block back has its
    // chains and lookup slots again: it is as reachable as before it was parked (a process
    // switch back and forth costs no dispatch per chain).
    void park(const std::vector<Block*>& blocks);
    template <class MapsBack>
    Block* unpark(uint64_t key, MapsBack&& maps_back) {
        auto it = parked_.find(key);
        if (it == parked_.end()) return nullptr;
        Block* b = it->second.get();
        if (!maps_back(*b)) {
            drop({b});
            return nullptr;
        }
        bring_back(it);
        return b;
    }
    // The parked blocks of `back`'s context on `back`'s pages whose pages map back
    // (`maps_back`) come back with it: a page that faulted in brings its code back at once,
    // not one dispatch per block. Those that do not map back stay parked.
    template <class MapsBack>
    void unpark_neighbours(const Block& back, MapsBack&& maps_back) {
        for (const Block::Page& page : back.pages) {
            auto on_page = by_linear_.find(page.linear);
            if (on_page == by_linear_.end()) continue;
            std::vector<Block*> near;
            for (Block* n : on_page->second)
                if (n->away && same_context(*n, back)) near.push_back(n);
            for (Block* n : near) {
                auto it = parked_.find(n->key);
                if (it != parked_.end() && it->second.get() == n && !blocks_.count(n->key) &&
                    maps_back(*n))
                    bring_back(it);
            }
        }
    }
    // A store to [phys, phys + len): drops the blocks whose code bytes overlap it. True if
    // the frame holds no translation any more.
    bool invalidate(uint32_t phys, uint32_t len);
    void flush();

    // ---- Code frames and pages.
    bool holds_code(uint32_t frame) const { return by_frame_.count(frame); }
    // The fast test for the virtual CPU's stores into RAM (a byte per frame; code is only
    // ever read from RAM).
    bool ram_frame_holds_code(uint64_t frame_number) const {
        return frame_number < code_frames_.size() && code_frames_[frame_number];
    }
    // Blocks made through each guest-linear page (with paging: invlpg and CR3 writes);
    // blocks by the linear pages their code came from; local_by_linear(): only the pages not
    // mapped global (those a CR3 write can change, see Block::Page::global).
    const std::unordered_map<uint32_t, std::vector<Block*>>& by_linear() const {
        return by_linear_;
    }
    const std::unordered_map<uint32_t, std::vector<Block*>>& local_by_linear() const {
        return local_by_linear_;
    }
    // Blocks made through `linear_page`, dropped.
    void drop_linear(uint32_t linear_page);

    struct Counts {
        uint64_t translated = 0, guest_instructions = 0, rewritten = 0, cache_bytes = 0,
                 chained = 0, smc_invalidations = 0, flushes = 0, parked = 0, unparked = 0;
    };
    const Counts& counts() const { return n_; }

private:
    void reset();
    void unlink(Block* b);  // chains into it undone, the lookups forget it
    void detach(Block* b);  // the same, but the chains are remembered (park)
    void relink(Block* b);  // the chains detach() remembered, made again where they still can be
    using BlockIndex = std::unordered_map<uint64_t, std::unique_ptr<Block>>;
    void bring_back(BlockIndex::iterator parked);  // (unpark)
    static bool same_context(const Block& a, const Block& b) {
        return (a.key >> 32) == (b.key >> 32) &&
               a.guest_linear - a.guest_eip == b.guest_linear - b.guest_eip;
    }
    void bury();  // forget the graveyard's blocks: their bytes are dead until the next flush

    static constexpr uint32_t kBlockAlign = 32;  // where blocks start (see start())
    CacheHost& host_;
    const uint32_t base_, end_;
    uint32_t cursor_, shared_end_ = 0, lookup_flags_saved_ = 0, lookup_miss_entry_ = 0;
    SysenterRoutines sysenter_{};
    uint32_t stack16_entry_ = 0;
    BlockIndex blocks_, parked_;
    // The last blocks looked up after an exit, direct-mapped (a hash lookup showed in the
    // profile of a callout); a dropped block leaves its slot.
    struct RecentBlock {
        uint64_t key = ~0ull;
        Block* block = nullptr;
    };
    std::array<RecentBlock, 4096> recent_{};
    RecentBlock& recent_slot(uint64_t key) { return recent_[(key ^ (key >> 9)) % recent_.size()]; }
    std::map<uint32_t, Block*> by_cache_;            // by cache start, invalidated blocks too
    std::vector<std::unique_ptr<Block>> graveyard_;  // invalidated: kept until start()
    std::unordered_map<uint32_t, std::vector<Block*>> by_frame_, by_linear_, local_by_linear_;
    std::vector<uint8_t> code_frames_;  // by RAM frame number: 1 if by_frame_ has it
    Counts n_;
};

}  // namespace prevt::bt
