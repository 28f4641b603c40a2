// The `trap` engine: classic trap-and-emulate. Guest code - kernel too - runs natively,
// untranslated, in 32-bit compatibility mode at host ring 3. Privileged instructions fault
// (#GP -> SIGSEGV, #UD -> SIGILL, guest system calls -> SIGSYS) and the run loop emulates
// them on the virtual CPU. The sensitive-but-unprivileged instructions (push %cs, sgdt,
// pushf, popf, lar, ...) do NOT fault and give native answers: that is what this engine shows.
//
// Paging: the shadow MMU (shadowmmu/shadow.hpp) maps guest-linear pages at their own host
// addresses, executable; guest #PFs that the guest's tables explain are hidden faults.
//
// NOT CONTAINED: native guest code can far-jump to the host's 64-bit code selector and run
// 64-bit code. prevt stops such a guest when it notices (its next signal), but a hostile
// guest can do damage first. Use the trap engine only with trusted guests.
#pragma once

#include <array>

#include "core/emulate/paged_memory.hpp"
#include "core/engines/data_watch.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_memory.hpp"
#include "core/native/layout.hpp"
#include "core/native/native_context.hpp"
#include "core/native/shadow_host.hpp"
#include "core/native/shadow_ldt.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt {

class TrapEngine final : public Engine {
public:
    explicit TrapEngine(GuestMemory& ram);
    const char* name() const override { return "trap"; }
    Exit run(VcpuState& s) override;
    void set_single_step(bool on) override { single_step_ = on; }
    void step_one() override { step_once_ = true; }
    // Breakpoints and steps by single-stepping with TF (an EIP check after every instruction):
    // native code cannot be made to stop at an address without patching it.
    bool set_debug_stops(const DebugStops& stops) override {
        debug_ = stops;
        return true;
    }
    bool contained() const override { return false; }
    std::vector<std::pair<std::string, uint64_t>> counters() const override;
    std::vector<ShadowMapping> shadow_mappings() const override {
        std::vector<ShadowMapping> v;
        for (const auto& m : shadow_.mappings())
            v.push_back({m.page, m.frame, m.writable, m.large});
        return v;
    }

    void segment_loaded(SegReg sr) override { dirty_[static_cast<int>(sr)] = true; }
    bool supports_paging() const override { return true; }
    // (Guest iret never runs natively: its CS is never the host's.)
    bool iret_ends_nmi_blocking() const override { return true; }
    bool iret_may_run_natively() const override { return true; }
    // Guest code runs natively: `mov %cs,%ax` or `push %cs` gives it the host's shadow
    // selector (LDT, RPL 3; segment-register reads are not privileged), which it may then
    // store in an IDT gate or a TSS. Such a selector stands for the guest segment of its slot,
    // unless the guest's own LDT has that entry (then it is the guest's).
    uint16_t guest_selector(const VcpuState& s, uint16_t selector) const override;
    void tlb_invalidate(uint32_t linear) override { shadow_.invalidate(linear); }
    void control_register_written(int cr) override {
        if (cr == 3) shadow_.note_cr3_write();
    }

private:
    void load_context(VcpuState& s);
    void save_context(VcpuState& s);
    Exit translate_event(VcpuState& s);
    Exit fast_syscall(VcpuState& s);  // a native sysenter/syscall through the host kernel
    uint32_t guest_error_code(uint32_t host_error) const;
    void sync_address_space(const VcpuState& s);
    Exit page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error);

    GuestMemory& ram_;
    // Guest RAM at guest-linear == host-linear, executable: native code runs from it.
    GuestTables tables_{ram_};
    native::NativeShadowHost shadow_host_{ram_, 0, true};
    shadowmmu::ShadowMmu shadow_{tables_, shadow_host_, nullptr, native::kMonitorBase};
    DataWatch data_watch_;  // the guest's data breakpoints' pages (data_watch.hpp)
    native::NativeContext ctx_{};
    native::ShadowLdt ldt_;
    std::array<uint16_t, kSegRegCount> host_sel_{};
    std::array<bool, kSegRegCount> dirty_{};
    bool single_step_ = false;
    bool step_once_ = false;     // one instruction for the run loop (the sti shadow), then exit
    bool iret_stepped_ = false;  // ... and it is an iret while NMIs are blocked
    bool iret_at(const VcpuState& s) const;
    // A read/write data breakpoint's page holding the code that runs (trap_watch.cpp): an
    // instruction without data accesses is stepped natively with the page open for it.
    bool step_watched_fetch(const VcpuState& s, uint32_t page);
    bool watch_step_ = false;  // that step is under way: the watch goes back at the next exit
    uint64_t watch_steps_ = 0;
    DebugStops debug_;  // the debugger's (core/debug/debug_stops.hpp)
    bool our_tf() const { return single_step_ || step_once_ || watch_step_ || debug_.active(); }
    bool cpuid_faulting_ = false;
    uint64_t entries_ = 0, unassigned_maps_ = 0, native_sysenters_ = 0;
    uint64_t generation_ = 0;       // of the shadow slots host_sel_ were made in
    uint64_t compressed_code_ = 0;  // instructions run on the virtual CPU: EIP beyond CS
};

}  // namespace prevt
