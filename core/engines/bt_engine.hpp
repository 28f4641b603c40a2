// The `bt` engine: binary translation, the VMware Workstation design. The guest never runs a
// byte the translator has not seen: all guest code executes from the translation cache in
// the monitor's own code segment (base 0, DPL 3); innocuous instructions are copied, direct
// branches are chained block to block, and every instruction that would misbehave at host
// ring 3 - privileged, sensitive, I/O, segment loads, far transfers, interrupts, indirect
// branches - calls out to the monitor, which runs it on the virtual CPU (core/emulate/).
// %gs belongs to the monitor (the per-vCPU area); the guest's %gs is virtual.
#pragma once

#include <cstdio>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bt/block.hpp"
#include "bt/code_cache.hpp"
#include "bt/translator.hpp"
#include "core/emulate/decoded.hpp"
#include "core/emulate/paged_memory.hpp"
#include "core/engines/data_watch.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_memory.hpp"
#include "core/native/layout.hpp"
#include "core/native/monitor_area.hpp"
#include "core/native/native_context.hpp"
#include "core/native/shadow_host.hpp"
#include "core/native/shadow_ldt.hpp"
#include "devices/local_apic.hpp"
#include "shadowmmu/pagetable.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt {

class BtEngine final : public Engine,
                       private GuestMemory::WriteObserver,
                       private shadowmmu::CodeFrames,
                       private bt::CacheHost {
public:
    // The flags live in hardware while translated code runs: the common set plus AC (a guest
    // popf sets it natively, pushf reads it back). The host checks alignment at ring 3 with
    // AC set; a #AC the guest's CPL and CR0.AM would not raise is stepped over with AC clear.
    static constexpr uint32_t kLive = eflags::kLiveInHardware | eflags::AC;
    // `cache_bytes`: the translation cache's size limit (0: all the monitor area offers).
    // `listing` receives --trace in_asm lines, `out_asm` the translations (either may be null).
    BtEngine(GuestMemory& ram, bt::Listing listing, uint32_t cache_bytes = 0,
             bt::Listing out_asm = nullptr);
    ~BtEngine() override;
    // The guest's CPU profile (-cpu): the allowlist translations are keyed by. Set before
    // the first translation.
    void set_cpu_profile(const CpuProfile& p) { profile_ = &p; }
    // -smp: translate pause as a callout (the run loop then lets another vCPU run). Set before
    // the first translation.
    void set_pause_exits(bool on) { pause_exits_ = on; }
    const char* name() const override { return "bt"; }
    Exit run(VcpuState& s) override;
    void set_single_step(bool on) override;
    // --perf-map: a line per translation, "CACHE-START SIZE guest CS:EIP" (perf's map format),
    // written to `map` (opened by the machine before the seccomp filter).
    void set_perf_map(FILE* map) { perf_map_ = map; }
    std::vector<std::pair<std::string, uint64_t>> counters() const override;
    std::vector<ShadowMapping> shadow_mappings() const override {
        std::vector<ShadowMapping> v;
        for (const auto& m : shadow_.mappings())
            v.push_back({m.page, m.frame, m.writable, m.large});
        return v;
    }
    std::vector<std::pair<std::string, uint64_t>> cache_use() const override {
        return {{"blocks in the cache", cache_.size()},
                {"bytes used", cache_.bytes_used()},
                {"capacity (bytes)", cache_.capacity()},
                {"blocks translated (all time)", cache_.counts().translated},
                {"guest instructions translated", cache_.counts().guest_instructions},
                {"exits chained", cache_.counts().chained},
                {"flushes", cache_.counts().flushes},
                {"self-modifying-code invalidations", cache_.counts().smc_invalidations}};
    }
    void segment_loaded(SegReg sr) override {
        dirty_[static_cast<int>(sr)] = true;
        ++segment_loads_;
    }
    // Paging: the shadow is a software TLB of host mappings, filled on hidden faults and
    // dropped on invlpg, CR3 writes, paging-mode changes and returns to CPL 3.
    bool supports_paging() const override { return true; }
    bool iret_ends_nmi_blocking() const override { return true; }
    // Real mode runs translated, in 16-bit host segments whose base is selector * 16
    // (docs/real-mode.md).
    bool supports_real_mode() const override { return true; }
    // Applied at the next entry while paging is off (map_a20_window, bt_paging.cpp).
    void set_a20(bool enabled) override { a20_ = enabled; }
    void tlb_invalidate(uint32_t linear) override;
    void set_interrupt_window(bool on) override;
    void control_register_written(int cr) override {
        if (cr == 3) shadow_.note_cr3_write();
        if (cr == 0) dirty_.fill(true);  // CR0.PE: every register's shadow takes the other view
    }
    void step_one() override { step_one_ = true; }
    void switch_vcpu(VcpuState& leaving, devices::LocalApic& next) override;
    // Breakpoints end blocks and are never chained into or looked up; a step translates
    // one-instruction blocks (the cache is flushed when either changes).
    bool set_debug_stops(const DebugStops& stops) override;
    // A native x87 environment store saw a translation-cache address: the guest's EIP (the
    // offset in CS, as a CPU in protected mode stores it). An address no block maps any more
    // (flushed since) becomes 0: the cache's addresses never reach the guest.
    bool fpu_in_hardware() const override { return ctx_.callout_exit & 1; }
    void guest_fpu_ip(uint32_t* fip) const override {
        const bt::Block* b = cache_.block_at(*fip);
        uint32_t eip = 0;
        *fip = b && b->guest_eip_at(*fip, &eip) && eip != bt::kInexact ? eip : 0;
    }

private:
    const CpuProfile* profile_ = &default_profile();
    void guest_ram_written(uint64_t phys, uint64_t len) override;
    // The shadow's question: a frame with translations stays read-only.
    bool holds_code(uint32_t frame) const override { return cache_.holds_code(frame); }
    // The cache's host: the monitor area's writable view, its lookup tables, the shadow.
    uint8_t* cache_bytes(uint32_t at) override { return area_.writable(at); }
    void forget_lookups() override {
        area_.set_ibl_empty_target(cache_.lookup_miss_entry());
        area_.clear_ibl();
    }
    unsigned forget_lookup(uint32_t guest_eip, uint32_t cache_start) override {
        unsigned tables = 0;
        for (int user = 0; user < 2; ++user) {
            uint32_t* slot = area_.ibl_table(user) + 2 * bt::ibl_index(guest_eip);
            if (slot[1] == cache_start) {
                slot[0] = bt::kIblEmpty;
                slot[1] = cache_.lookup_miss_entry();
                tables |= 1u << user;
            }
        }
        return tables;
    }
    void restore_lookup(const bt::Block& b, unsigned tables) override;
    void protect_frame(uint32_t frame) override { shadow_.protect_frame(frame); }
    void release_frame(uint32_t frame) override { shadow_.release_frame(frame); }
    // The instruction being emulated may be one of the sites (a CR3 write flushes): they live
    // until the next entry.
    void flushed() override {
        retired_sites_ = std::move(sites_);
        sites_.clear();
    }
    void note_smc_store(const VcpuState& s);
    void note_compressed_access(const VcpuState& s) override;
    // The TPR fast path (bt_tpr.cpp): learned sites, translated as stores to the slot.
    // ... and the accesses to data-breakpoint pages (bt_breakpoints.cpp).
    void note_memory_map_access(const VcpuState& s) override;
    void forget_watched_callouts();
    void attach_local_apic(devices::LocalApic& apic) override;
    bool learn_tpr_store(const VcpuState& s);
    void follow_tpr(const VcpuState& s);
    void forget_tpr_stores();
    // The guest's instruction breakpoints (DR0-DR3 with DR7: bt_breakpoints.cpp).
    uint32_t guest_breakpoint_hit(VcpuState& s);
    void follow_guest_breakpoints(const VcpuState& s);
    void merge_stops();
    bool uses_gs_at(const VcpuState& s, uint32_t linear);
    void adapt_to_callout(const VcpuState& s, std::unordered_map<uint32_t, unsigned>& seen,
                          uint64_t& counter, bool stack_ops_too);
    bt::Block& block_for(const VcpuState& s);
    bt::Block& block_for(const VcpuState& s, uint64_t key);  // key == key_of(s)
    bt::Block& translate(const VcpuState& s);
    static uint64_t key_of(const VcpuState& s);
    void list_translation(const bt::CodeBuffer& buf) const;
    bool writes_esp32_at(uint32_t cache) const;
    bool enter_stack16();
    uint16_t shadow_register(const VcpuState& s, const Segment& seg, uint64_t ceiling);
    void load_context(VcpuState& s, uint32_t cache_eip);
    void save_context(VcpuState& s);
    void prepare_fast_transfers(const VcpuState& s);
    void prepare_fs_swap(const VcpuState& s);
    void prepare_sysenter(const VcpuState& s);
    void prepare_sysexit(const VcpuState& s);
    std::optional<Exit> signal_exit(VcpuState& s);
    int flags_memory_at(uint32_t cache) const;
    void sync_address_space(const VcpuState& s);
    void map_a20_window();
    void choose_ceiling(const VcpuState& s);
    uint64_t ceiling_for_user(const VcpuState& s) const;
    void adopt_host_selectors(const std::array<uint32_t, 4>& ss_ds_es_fs, uint64_t ceiling);
    unsigned read_code(const VcpuState& s, uint32_t linear, uint8_t* out, unsigned max);
    // A walk for guest code (the translator's fetch: SMAP does not apply).
    std::optional<shadowmmu::Translation> walk_guest(const VcpuState& s, uint32_t linear,
                                                     bool write, uint32_t* error = nullptr);
    std::optional<Exit> page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error,
                                   bool code_store = false);

    GuestMemory& ram_;
    native::MonitorArea area_;
    bt::Listing listing_, out_asm_;
    native::NativeContext ctx_{};
    native::ShadowLdt ldt_;
    uint16_t code_selector_, data_selector_;  // the monitor's: translated code, %gs
    std::array<uint16_t, kSegRegCount> host_sel_{};
    std::array<bool, kSegRegCount> dirty_{};
    bool a20_ = true, a20_mapped_ = true;  // the gate, and the window as mapped
    uint64_t ldt_writes_at_exit_ = 0;
    // Callout sites' instructions, decoded at translation (site n at [n - 1]); until a flush.
    std::deque<Decoded> sites_, retired_sites_;
    uint64_t ibl_context_[2] = {};  // the CS base and CPL each lookup table's entries belong to
    // The context a lookup table's entries belong to: the key's bits above the linear EIP and
    // the CS base (the table is indexed by EIP).
    static uint64_t lookup_context(uint64_t key, uint32_t cs_base) {
        return (key & ~0xffffffffull) | cs_base;
    }
    // Why the engine runs the guest with its own TF (one reason at a time; the guest's own TF
    // is guest_tf_):
    enum class HostStep : uint8_t {
        kNone,
        kToExactPoint,  // out of an inexact point, to deliver a timer exit (or step_one())
        kSmcStore,      // a store into a frame that held translations (protected again after)
        kAlignment,     // one access with AC clear: a #AC the guest's CPL and CR0.AM exclude
    };
    HostStep host_step_ = HostStep::kNone;
    bool ac_step_pushed_ = false;  // kAlignment: the stepped instruction pushes EFLAGS
    uint32_t ac_step_tf_ = 0;      // ... and the TF that was live before the step
    uint32_t smc_frame_ = 0;       // ... in this frame (protected again after the step if needed)
    bool step_one_ = false;        // the run loop asked for one instruction, then an exit
    uint64_t switched_at_ = 0;     // -smp: the TSC at the last vCPU switch, until the next entry
    bool pause_exits_ = false;     // -smp: pause is a callout (set_pause_exits)
    // ... from this guest EIP (~0u: none); the traps seen there since, at most the limit.
    static constexpr unsigned kStepsInPlaceLimit = 64;
    uint32_t step_from_eip_ = ~0u;
    unsigned steps_in_place_ = 0;
    DebugStops debug_;          // the debugger's (core/debug/debug_stops.hpp)
    bool exec_step_ = false;    // -d exec/cpu: every block one instruction
    FILE* perf_map_ = nullptr;  // --perf-map
    bool guest_tf_ = false;     // the guest single-steps itself (its TF at entry)
    bool window_ = false;       // the vif page is read-only: IF stores exit
    // The shadow MMU (guest RAM mapped non-executable at kPageZeroOffset) and, with it,
    // segment truncation (VMware's): at CPL 3 the guest's expand-up segments end at the user
    // ceiling (Linux: 0xC0000000), so kernel-only mappings up there stay across system calls.
    GuestTables tables_{ram_};
    native::NativeShadowHost shadow_host_{ram_, native::kPageZeroOffset, false};
    shadowmmu::ShadowMmu shadow_{tables_, shadow_host_, this, native::kMonitorBase};
    bt::CodeCache cache_;                              // (after area_ and shadow_, which it calls)
    uint64_t ceiling_ = native::kMonitorBase;          // in use for this entry (guest linear)
    uint64_t loaded_ceiling_ = native::kMonitorBase;   // the one host_sel_ were made for
    uint64_t sysexit_ceiling_ = native::kMonitorBase;  // the one the inline sysexit prepared
    uint64_t segment_loads_ = 0;          // segment loads by the virtual CPU, for the key:
    uint64_t prepared_key_[8] = {~0ull};  // what the sysenter/sysexit paths were made from
    uint64_t ldt_generation_ = 0;         // of the shadow slots host_sel_ were made in
    uint64_t fs_swap_key_[11] = {~0ull};  // what the fs-swap selectors were made from
    // Adaptive translation: stores that keep hitting pages with code (guest linear address
    // -> count), and those now translated as callouts to the virtual CPU.
    static constexpr unsigned kAdaptiveThreshold = 4;
    std::unordered_map<uint32_t, unsigned> smc_stores_, compressed_faults_, watched_faults_;
    bool watched_exit_ = false;  // the last kMemoryMap exit was a data-breakpoint page's
    std::vector<uint32_t> watched_callouts_;  // the callouts made for them (linear EIPs)
    std::unordered_set<uint32_t> callout_eips_, gs_wrap_eips_;
    // TPR stores (guest-linear EIP), translated as stores to the slot on the TPR page; valid
    // while the segment each one went through keeps its base and limit and IA32_APIC_BASE
    // stays (follow_tpr), and, with paging, while the TPR's page maps the APIC (a page of
    // each block that holds one).
    struct TprStore {
        SegReg segment;
        uint32_t base, limit, page;
    };
    std::unordered_map<uint32_t, TprStore> tpr_store_sites_;
    std::unordered_set<uint32_t> tpr_store_eips_;
    devices::LocalApic* apic_ = nullptr;
    devices::TprSlot* tpr_slot_ = nullptr;  // on the TPR page (the monitor's view)
    bool tpr_trapped_ = false;              // the TPR page read-only: TPR stores exit
    uint64_t tpr_checked_loads_ = ~0ull, tpr_base_msr_ = 0;
    // The guest's enabled instruction breakpoints (linear addresses), what they were made from
    // (DR7's enables and kinds, DR0-DR3), and the stops blocks end before: these and the
    // debugger's.
    std::unordered_set<uint32_t> guest_breakpoints_, stops_;
    uint32_t breakpoints_key_[5] = {0, 0, 0, 0, 0};
    DataWatch data_watch_;  // the guest's data breakpoints' pages (data_watch.hpp)
    // Stores into a code frame from elsewhere drop the frame's translations whole (see
    // bt_signals.cpp), at most kFrameDropLimit times per frame: then its stores are stepped
    // one by one, so a page that mixes hot code and hot data is not translated again and
    // again. By RAM frame number.
    static constexpr uint8_t kFrameDropLimit = 8;
    std::vector<uint8_t> frame_drops_;
    struct Counts {
        uint64_t callouts = 0, dispatches = 0, entries = 0, lookup_fills = 0, lookup_clears = 0,
                 stepped = 0, host_instructions = 0, translate_ticks = 0, window_exits = 0,
                 blocks_kept_across_cr3 = 0, adaptive = 0, emulated_code_writes = 0,
                 frames_dropped_on_store = 0, adaptive_compressed = 0, gs_wraps = 0,
                 inline_sysenters = 0, inline_sysexits = 0, ac_stepped = 0, tpr_stores = 0,
                 tpr_exits = 0, guest_breakpoints = 0, watched_accesses = 0, adaptive_watched = 0,
                 vcpu_switches = 0, switch_ticks = 0;
    } n_;
};

}  // namespace prevt
