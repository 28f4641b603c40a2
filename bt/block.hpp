// A translated basic block (DynamoRIO's "fragment"): where its guest code lies, where its
// translation lies in the cache, how to map a cache address back to a guest EIP, and its
// exits, each remembering whether it is chained so that invalidation can undo the chain.
#pragma once

#include <cstdint>
#include <vector>

namespace prevt::bt {

struct BlockExit {
    uint32_t jump_field;      // cache address of the rel32 of the jmp/jcc that leaves the block
    uint32_t stub;            // cache address of the exit stub that rel32 points at when unchained
    uint32_t target_eip;      // guest EIP the exit goes to
    uint32_t chained_to = 0;  // cache address of the target block when chained
};

// A callout to the virtual CPU: its instruction's bytes, decoded once by the engine, which
// patches the callout's site number (found again at %gs:kOffExitLink) into `link_field`.
struct CalloutSite {
    uint32_t link_field;  // cache address of the imm32 stored to exit_link
    uint32_t eip;
    uint8_t bytes[15];
    uint8_t length;  // bytes read (up to 15)
};

// Cache addresses [from, to) inside a rewritten sequence where the guest's EAX (and EBX if
// `ebx`) are parked in the per-vCPU area: a fault there reports them from the area.
struct ParkedRange {
    uint32_t from, to;
    bool ebx;
};

struct Block {
    uint32_t guest_linear;  // key: CS base + EIP of the first instruction
    uint32_t guest_eip;
    uint64_t guest_end;  // linear address just past the last guest byte translated (it may
                         // lie beyond 4 GiB: the block's code wraps to linear 0 there)
    uint32_t cache_start = 0, cache_end = 0;
    // (cache address, guest EIP) at every point where the guest state is exact, sorted: the
    // start of each copied instruction, and each rewritten sequence (which has no
    // guest-visible effect before its last instruction).
    std::vector<std::pair<uint32_t, uint32_t>> map;
    // Exact points reached from inside a guest instruction's own rewrite, before it has done
    // anything (the inline iret's checks failing into its callout): a fault there is at that
    // instruction, but single-stepping must not report it as completed there.
    std::vector<uint32_t> restarts;
    // While the guest single-steps: a step that lands in [from, to) (the inline iret's checks,
    // which keep the hardware TF) goes to `to_slow` instead, the callout that runs the iret on
    // the virtual CPU (and its #DB after it, with the flags it loaded).
    struct Diversion {
        uint32_t from, to, to_slow;
    };
    std::vector<Diversion> step_diversions;
    std::vector<BlockExit> exits;
    std::vector<CalloutSite> callouts;
    std::vector<ParkedRange> parked;
    // The pages its code came from (the engine fills it): guest-linear page, guest-physical
    // page. A store to the frame, through any alias, invalidates the block; so does a new
    // mapping of the linear page.
    struct Page {
        uint32_t linear, frame;
        bool global = false;  // mapped by a global entry (CR4.PGE): a CR3 write keeps it
    };
    std::vector<Page> pages;
    bool gone = false;  // dropped: in the graveyard, never to be chained to or looked up
    bool away = false;  // parked by CodeCache::park(): out of reach until its pages map back
    bool holds_frame(uint32_t frame) const {
        for (const Page& p : pages)
            if (p.frame == frame) return true;
        return false;
    }
    uint64_t key = 0;                // the engine's key for it (address and translation context)
    std::vector<uint32_t> incoming;  // jump fields of other blocks' exits chained to this one
                                     // (parked: that were, to be chained again when it is back)
    uint8_t lookup_tables = 0;       // parked: the IBL tables that held it (CacheHost)
    unsigned instructions = 0;
    unsigned rewritten = 0;

    // Guest EIP for a cache address inside this block, false if it is not an exact point.
    bool guest_eip_at(uint32_t cache, uint32_t* eip) const;
    // True if `cache` is exactly where a guest instruction's translation begins (single-step:
    // the guest has completed whole instructions there), with that instruction's EIP.
    bool boundary_at(uint32_t cache, uint32_t* eip) const;
};

}  // namespace prevt::bt
