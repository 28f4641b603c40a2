#include "core/engines/trap_engine.hpp"

#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <utility>

#include "core/emulate/decoded.hpp"
#include "core/engines/shadow_fault_exit.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "core/native/signals.hpp"

namespace prevt {

using native::HostEvent;

namespace {
std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}
}  // namespace

// Guest linear == host linear: the hardware CS then has the guest's own base (0 for flat
// guests), which native code needs to run at full speed (see layout.hpp).
TrapEngine::TrapEngine(GuestMemory& ram) : ram_(ram), ldt_(0) {
    shadow_host_.map_identity();  // paging off (the shadow's starting mode)
    native::install_signal_handlers();
    dirty_.fill(true);
    // Where the host supports CPUID faulting, native cpuid raises #GP and the guest sees
    // prevt's CPU profile; elsewhere cpuid is one more sensitive instruction that leaks.
    cpuid_faulting_ = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0;
}

void TrapEngine::load_context(VcpuState& s) {
    if (!s.protected_mode())
        throw GuestError(
            "the guest is in real mode: the trap engine runs protected-mode guests only");
    uint16_t* sel[kSegRegCount] = {&ctx_.es, &ctx_.cs, &ctx_.ss, &ctx_.ds, &ctx_.fs, &ctx_.gs};
    // Every slot dropped meanwhile (shadow_ldt.hpp): all six again (the second pass finds
    // room for them).
    if (ldt_.generation() != generation_) dirty_.fill(true);
    for (int pass = 0; pass < 2; ++pass) {
        generation_ = ldt_.generation();
        for (int i = 0; i < kSegRegCount; ++i) {
            if (dirty_[i]) host_sel_[i] = ldt_.shadow(s.seg[i]);
            dirty_[i] = false;
            *sel[i] = host_sel_[i];
        }
        if (ldt_.generation() == generation_) break;
        dirty_.fill(true);
    }
    for (int i = 0; i < 8; ++i) ctx_.gpr[i] = s.gpr[i];
    ctx_.eip = s.eip;
    ctx_.eflags = (s.eflags & eflags::kLiveInHardware) | eflags::IF | eflags::kFixed1;
    if (our_tf()) ctx_.eflags |= eflags::TF;
    ctx_.guest_fpu = s.fpu.data();
}

void TrapEngine::save_context(VcpuState& s) {
    for (int i = 0; i < 8; ++i) s.gpr[i] = ctx_.gpr[i];
    s.eip = ctx_.eip;
    uint32_t live = eflags::kLiveInHardware;
    if (our_tf() && !(s.eflags & eflags::TF)) live &= ~eflags::TF;  // our TF, not the guest's
    s.eflags = (s.eflags & ~live) | (ctx_.eflags & live);
    const uint16_t hw[kSegRegCount] = {ctx_.es, ctx_.cs, ctx_.ss, ctx_.ds, ctx_.fs, ctx_.gs};
    for (int i = 0; i < kSegRegCount; ++i) {
        if (hw[i] == host_sel_[i]) continue;
        // The guest loaded a selector natively (one of our shadows, or null).
        Segment seg;
        if (!ldt_.guest_segment(hw[i], s.cpl(), &seg))
            throw GuestError("the guest loaded a host selector prevt does not know (" +
                             std::to_string(hw[i]) + ")");
        s.seg[i] = seg;
        if (i == static_cast<int>(SegReg::cs)) s.set_cpl(seg.selector & 3);  // (non-conforming)
        host_sel_[i] = hw[i];
    }
}

uint16_t TrapEngine::guest_selector(const VcpuState& s, uint16_t selector) const {
    if ((selector & 7) != 7) return selector;  // shadow selectors are LDT ones with RPL 3
    if (s.ldtr.present && (selector & ~7u) + 7u <= s.ldtr.limit) return selector;
    Segment seg;
    if (!ldt_.guest_segment(selector, 0, &seg) || (seg.selector & ~3u) == 0) return selector;
    // The RPL the guest's selector had: its segment's DPL (what a non-conforming CS and the
    // stack at that privilege carry).
    return static_cast<uint16_t>((seg.selector & ~3u) | seg.dpl);
}

// Whether the instruction at CS:EIP is an iret (cf, or 66 cf), read through the guest's tables.
bool TrapEngine::iret_at(const VcpuState& s) const {
    uint8_t bytes[2] = {};
    for (uint32_t i = 0; i < 2; ++i) {
        uint32_t at = s.sreg(SegReg::cs).base + s.eip + i;
        if (s.paging()) {
            const auto t = walk_guest_tables(ram_, s, at, false, false, true, true);
            const auto* tr = std::get_if<shadowmmu::Translation>(&t);
            if (!tr) return false;
            at = tr->physical;
        }
        ram_.read_bytes(at, &bytes[i], 1);
    }
    return bytes[0] == 0xcf || (bytes[0] == 0x66 && bytes[1] == 0xcf);
}

uint32_t TrapEngine::guest_error_code(uint32_t host_error) const {
    if ((host_error & 6) != 4) return host_error;  // not an LDT selector: no translation
    return ldt_.guest_selector(host_error >> 3) | (host_error & 1);
}

// The shadow follows the guest's paging state at every entry. Guest CPL changes only through
// exits here (the virtual CPU runs iret, sysexit and far transfers that change it), so an
// entry at CPL 3 takes back every mapping made at CPL 0 beyond user rights: trap has no
// truncated user segments to keep them above a ceiling.
void TrapEngine::sync_address_space(const VcpuState& s) {
    const shadowmmu::PagingState p = paging_state(s);
    const auto change = shadow_.sync(p);
    if (change == shadowmmu::ShadowMmu::Change::kAddressSpace ||
        change == shadowmmu::ShadowMmu::Change::kAllMappings)
        shadow_.prefetch(p);
    if (p.user && shadow_.has_kernel_only()) shadow_.take_back_kernel_mappings(~0ull);
}

// A host #PF with the guest's paging on: hidden (mapped: run on), the guest's own #PF, or an
// access only the virtual CPU can make through the memory map (MMIO, a store into ROM or
// unassigned memory).
Exit TrapEngine::page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error) {
    const auto f = shadow_.fault(paging_state(s), linear, host_error & 2);
    if (auto x = shadow_fault_exit(f, linear)) return *x;
    Exit handled;  // mapped: run on
    handled.reason = ExitReason::kHandled;
    return handled;
}

Exit TrapEngine::run(VcpuState& s) {
    for (;;) {
        if (debug_.active() && stops_before(debug_, s.sreg(SegReg::cs).base + s.eip)) {
            Exit x;
            x.reason = ExitReason::kDebugStop;  // a breakpoint: nothing of it ran
            return x;
        }
        sync_address_space(s);
        data_watch_.follow(s, shadow_);
        load_context(s);
        // iretq checks EIP against the host CS limit, in the monitor: guest code beyond it
        // (the monitor's area, address-space compression) runs on the virtual CPU, one
        // instruction per exit, the native #GP(0) its fallback.
        if (!ldt_.reachable(ctx_.cs) || s.eip > ldt_.host_limit(ctx_.cs)) {
            ++compressed_code_;
            Exit x;
            x.reason = ExitReason::kEmulate;
            x.vector = vec::GP;
            x.has_error = true;
            return x;
        }
        ++entries_;
        iret_stepped_ = step_once_ && s.nmi_blocked && iret_at(s);
        prevt_enter_guest(&ctx_);
        // An escaped guest's selectors are the host's: report the escape, map nothing back.
        if (!ctx_.event.escaped && !ctx_.event.lost_in_host_syscall) save_context(s);
        if (ctx_.event.signal != SIGTRAP) step_once_ = false;  // any exit ends the one step
        Exit x = translate_event(s);
        if (x.reason != ExitReason::kHandled) return x;  // handled here: run on
    }
}

// A native `sysenter` (Intel) or `syscall` (AMD) went through the host kernel's 32-bit
// fast-syscall path (signals.cpp), or the guest ran in the host's 32-bit code segment some
// other way. sysenter loads ESP and EIP from its MSRs: stopped by seccomp with every other
// register intact, the virtual CPU runs it (the old EIP is unknown: s.eip is still the last
// entry's, and the trap trace shows that). What it cannot do: raise the #GP(0) sysenter
// raises with SYSENTER_CS = 0 (at the instruction, on the old stack), nor run on when the
// kernel has overwritten EAX or the guest's syscall lost ECX: then the guest stops (status 3).
Exit TrapEngine::fast_syscall(VcpuState& s) {
    Exit x;
    x.reason = ExitReason::kHostLimit;
    switch (ctx_.event.fast_syscall) {
        case native::FastSyscall::kSysenter:
            if (s.protected_mode() && (s.msr.sysenter_cs & 0xfffc) != 0) {
                static thread_local Decoded sysenter;
                static const uint8_t kSysenter[2] = {0x0f, 0x34};
                if (!decode_bytes(kSysenter, 2, true, true, s.eip, &sysenter))
                    throw HostError("internal error: Zydis does not decode sysenter");
                ++native_sysenters_;
                x.reason = ExitReason::kEmulate;
                x.vector = vec::UD;
                x.decoded = &sysenter;
                return x;
            }
            x.detail =
                "the guest executed `sysenter` natively with SYSENTER_CS = 0: it raises #GP(0) "
                "at the instruction, whose address (and the guest's ESP) the host kernel's "
                "SYSENTER path discards (no host system call ran; EIP and ESP below are where the "
                "guest last resumed). The trap engine cannot recover; --engine bt can";
            return x;
        case native::FastSyscall::kFaulted:
            x.detail =
                "the guest executed `sysenter` (or `syscall`) natively with EBP (ESP) not "
                "pointing at readable memory: the host kernel's fast-syscall path could not "
                "read it, replaced EAX with -EFAULT and returned to its vDSO (no host system "
                "call ran); the guest's EAX and EIP are lost. The trap engine cannot recover; "
                "--engine bt can";
            return x;
        case native::FastSyscall::kSyscall:
        case native::FastSyscall::kNone: break;
    }
    x.reason = ExitReason::kEscape;
    x.detail =
        ctx_.event.fast_syscall == native::FastSyscall::kSyscall
            ? "the guest executed `syscall` natively: on this host it entered the host "
              "kernel's 32-bit fast-syscall path, which discards the guest's EIP and ECX (no "
              "host system call ran). The trap engine cannot recover; --engine bt can"
            : "the guest ran in the host's 32-bit code segment (0x23): a native `sysenter` or "
              "`syscall` through the host kernel's fast-syscall path (no host system call "
              "ran), or a far transfer there. The trap engine cannot recover; --engine bt can";
    return x;
}

// Maps the host signal behind this exit onto the exit vocabulary. Software interrupts,
// int3 and guest system calls are backed up onto their instruction and handed to the
// emulator (kEmulate), so that one path applies the guest IDT's privilege checks.
Exit TrapEngine::translate_event(VcpuState& s) {
    const HostEvent& ev = ctx_.event;
    Exit x;
    x.host_signal = ev.signal;
    if (ev.escaped) {
        x.reason = ExitReason::kEscape;
        x.detail =
            "the guest far-jumped into the host's 64-bit code segment (0x33): the trap "
            "engine does not contain a hostile guest";
        return x;
    }
    if (ev.lost_in_host_syscall || ev.fast_syscall != native::FastSyscall::kNone) {
        if (Exit f = fast_syscall(s); f.reason != ExitReason::kHandled) {
            f.host_signal = ev.signal;
            return f;
        }
    }
    // A native step of an instruction on a watched page ends with this exit, whatever it is.
    const bool watch_stepped = std::exchange(watch_step_, false);
    if (watch_stepped) shadow_.watch(data_watch_.pages());
    auto fallback = [&](ExitReason r, uint8_t vector, bool has_error, uint32_t error) {
        x.reason = r;
        x.vector = vector;
        x.has_error = has_error;
        x.error_code = error;
        return x;
    };
    switch (ev.signal) {
        case SIGSEGV:
            if (ev.trapno == 13)
                return fallback(ExitReason::kEmulate, 13, true, guest_error_code(ev.error_code));
            if (ev.trapno == 14) {
                const auto& space = native::AddressSpace::instance();
                const uint64_t host = ev.fault_address;
                uint32_t linear = 0;
                if (!space.guest_linear(host, &linear))
                    throw GuestError(
                        "the guest touched linear address " + hex(host - space.offset()) +
                        ", in the monitor's reserved area (address-space compression)");
                if (host < space.lowest_mappable()) {
                    // Below vm.mmap_min_addr (guest page 0): no host mapping can serve it, so
                    // the virtual CPU runs the instruction (through the guest's page tables,
                    // with their faults), one exit per access.
                    x.reason = ExitReason::kMemoryMap;
                    x.address = linear;
                    return x;
                }
                // A page a data breakpoint watches (data_watch.hpp), paging off; with paging
                // on the shadow's fault says so. (An instruction fetch there faults too: the
                // virtual CPU runs that page's code.)
                if ((ev.error_code & 0x10) && shadow_.watched(linear & ~0xfffu, false) &&
                    step_watched_fetch(s, linear & ~0xfffu)) {  // (trap_watch.cpp)
                    x.reason = ExitReason::kHandled;
                    return x;
                }
                if (!shadow_.enabled() && shadow_.watched(linear & ~0xfffu, ev.error_code & 2)) {
                    x.reason = ExitReason::kMemoryMap;
                    x.address = linear;
                    return x;
                }
                if (shadow_.enabled()) {
                    Exit f = page_fault(s, linear, ev.error_code);
                    f.host_signal = ev.signal;
                    return f;
                }
                // Beyond the flat RAM and ROM: a read of unassigned memory maps the all-ones
                // page; MMIO and stores into ROM or unassigned memory run on the virtual CPU
                // (the memory map routes them). P = 1 is a store into a read-only page.
                if ((ev.error_code & 1) || !native::AddressSpace::instance().map_flat_fault(
                                               linear, ev.error_code & 2, ram_)) {
                    x.reason = ExitReason::kMemoryMap;
                    x.address = linear;
                    return x;
                }
                ++unassigned_maps_;
                x.reason = ExitReason::kHandled;
                return x;
            }
            if (ev.trapno == 4) {  // into: a trap, EIP is past the 1-byte instruction
                s.eip -= 1;
                return fallback(ExitReason::kEmulate, vec::OF, false, 0);
            }
            return fallback(ExitReason::kException, static_cast<uint8_t>(ev.trapno),
                            vec::has_error_code(static_cast<uint8_t>(ev.trapno)),
                            guest_error_code(ev.error_code));
        case SIGBUS:
            // A #AC the guest's CPL or CR0.AM excludes (the host checks alignment at ring 3 with
            // AC set, which a native popf sets): on with AC clear. trap keeps no virtual AC:
            // the guest's AC is lost there (one more of trap's leaks).
            if (ev.trapno == vec::AC && !(s.cpl() == 3 && (s.cr0 & cr0::AM))) {
                s.eflags &= ~eflags::AC;
                x.reason = ExitReason::kHandled;
                return x;
            }
            [[fallthrough]];
        case SIGFPE: {
            const auto v = static_cast<uint8_t>(ev.trapno < 0 ? 0 : ev.trapno);
            return fallback(ExitReason::kException, v, vec::has_error_code(v),
                            guest_error_code(ev.error_code));
        }
        case SIGILL: return fallback(ExitReason::kEmulate, vec::UD, false, 0);
        case SIGTRAP:
            if (ev.trapno == 3) {  // int3 (CC) or int $3 (CD 03): EIP is past it
                uint8_t prev = 0;  // (it just ran: its page translates)
                uint32_t at = s.sreg(SegReg::cs).base + s.eip - 1;
                if (s.paging()) {
                    const auto t = walk_guest_tables(ram_, s, at, false, false, true, true);
                    if (const auto* tr = std::get_if<shadowmmu::Translation>(&t)) at = tr->physical;
                }
                ram_.read_bytes(at, &prev, 1);
                s.eip -= prev == 0xcc ? 1 : 2;
                return fallback(ExitReason::kEmulate, vec::BP, false, 0);
            }
            if (step_once_ && !(s.eflags & eflags::TF)) {
                step_once_ = false;
                // A native iret done (a fault would have been another signal): the NMI
                // handler's end, which the virtual CPU did not see.
                if (std::exchange(iret_stepped_, false)) s.nmi_blocked = false;
                x.reason = ExitReason::kTimer;
                return x;
            }
            if ((single_step_ || debug_.step) && !(s.eflags & eflags::TF)) {  // the exec trace,
                x.reason = ExitReason::kDebugStop;                            // a debugger's step
                return x;
            }
            if (debug_.active() && !(s.eflags & eflags::TF)) {
                x.reason = ExitReason::kHandled;  // on: run() checks the breakpoints at entry
                return x;
            }
            if (watch_stepped && !(s.eflags & eflags::TF)) {  // the step on a watched page
                x.reason = ExitReason::kHandled;
                return x;
            }
            s.dr6 |= 0x4000;  // BS
            return fallback(ExitReason::kException, vec::DB, false, 0);
        case SIGSYS:  // int $0x80 (and syscall or sysenter from 64-bit code): two bytes long
            s.eip -= 2;
            return fallback(ExitReason::kEmulate, vec::UD, false, 0);
        case SIGALRM: x.reason = ExitReason::kTimer; return x;
        default:
            throw HostError("internal error: unexpected host signal " + std::to_string(ev.signal) +
                            " while the guest ran");
    }
}

std::vector<std::pair<std::string, uint64_t>> TrapEngine::counters() const {
    std::vector<std::pair<std::string, uint64_t>> c = {
        {"guest entries (iretq)", entries_},
        {"shadow descriptor lookups", ldt_.lookups()},
        {"shadow descriptor writes (modify_ldt)", ldt_.ldt_writes()},
        {"unassigned pages mapped", unassigned_maps_},
        {"instructions stepped natively on a data-breakpoint page", watch_steps_},
        {"instructions beyond the host CS limit (emulated)", compressed_code_},
        {"host mappings", native::AddressSpace::instance().mappings()},
        {"cpuid faulting (1 = cpuid traps)", cpuid_faulting_ ? 1u : 0u},
        {"native sysenters (through the host kernel, emulated)", native_sysenters_}};
    for (auto& entry : shadow_.counters()) c.push_back(std::move(entry));
    return c;
}

}  // namespace prevt
