#include "core/native/signals.hpp"

#include <cpuid.h>
#include <immintrin.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/native/layout.hpp"
#include "core/native/native_context.hpp"
#include "core/native/seccomp.hpp"

extern "C" {
prevt::native::NativeContext* prevt_active_ctx = nullptr;
uint64_t prevt_host_fsbase = 0;
uint64_t prevt_host_gsbase = 0;
int prevt_handle_signal(int sig, siginfo_t* info, void* ucv);
}

namespace prevt::native {

std::atomic<bool> g_timer_pending{false};

namespace {

constexpr int kGuestSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGALRM};
constexpr size_t kAltStackSize = 256 * 1024;

// The host kernel's 32-bit fast-syscall path (sysenter on Intel, syscall on AMD: the other
// one is #UD in compatibility mode) reports the call at its landing pad in the vDSO.
VdsoRange g_vdso;
constexpr int kSysSeccomp = 1;  // si_code of a SIGSYS from seccomp (asm-generic/siginfo.h)
bool g_fast_path_is_syscall = false;

bool amd_host() {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
    return (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163) ||  // AuthenticAMD
           (b == 0x6f677948 && d == 0x6e65476e && c == 0x656e6975);    // HygonGenuine
}

void write_str(const char* s) {
    (void)!write(STDERR_FILENO, s, strlen(s));
}

void write_hex(uint64_t v) {
    char buf[19] = "0x";
    for (int i = 0; i < 16; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    write_str(buf);
}

void (*g_monitor_fault_hook)() noexcept = nullptr;

// A fault in the monitor itself is a bug in prevt: say where, and end with the status of a
// host or internal failure (4), not with a host signal. The hook first (the terminal back).
[[noreturn]] __attribute__((noinline)) void monitor_fault(int sig, uint64_t rip, uint64_t addr) {
    if (g_monitor_fault_hook) g_monitor_fault_hook();
    if (sig == SIGSYS) {  // the seccomp allowlist (seccomp.hpp): addr is the call's number
        write_str("prevt: stopped: the monitor made system call ");
        write_hex(addr);
        write_str(" at rip ");
        write_hex(rip);
        write_str(
            ", which the seccomp filter forbids (a bug in prevt, or code that escaped "
            "containment)\n");
        _exit(4);
    }
    write_str("prevt: internal error: signal ");
    char n[4] = {char('0' + sig / 10), char('0' + sig % 10), ' ', 0};
    write_str(n);
    write_str("in the monitor at rip ");
    write_hex(rip);
    write_str(" address ");
    write_hex(addr);
    write_str("\n");
    _exit(4);
}

// The live data-segment selectors (the signal frame has none of them, see below).
struct DataSelectors {
    uint16_t ds, es, fs, gs;
};
DataSelectors read_data_selectors() {
    DataSelectors d;
    asm volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                 : "=r"(d.ds), "=r"(d.es), "=r"(d.fs), "=r"(d.gs));
    return d;
}

}  // namespace

void install_signal_handlers() {
    static bool installed = false;
    if (installed) return;
    void* stack =
        mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        throw HostError(std::string("cannot allocate the signal stack: ") + strerror(errno));
    stack_t ss{};
    ss.ss_sp = stack;
    ss.ss_size = kAltStackSize;
    if (sigaltstack(&ss, nullptr) != 0)
        throw HostError(std::string("sigaltstack failed: ") + strerror(errno));
    g_vdso = host_vdso();
    g_fast_path_is_syscall = amd_host();
    prevt_host_fsbase = _readfsbase_u64();
    prevt_host_gsbase = _readgsbase_u64();
    struct sigaction sa {};
    sa.sa_sigaction = prevt_signal_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int s : kGuestSignals) sigaddset(&sa.sa_mask, s);
    for (int s : kGuestSignals)
        if (sigaction(s, &sa, nullptr) != 0)
            throw HostError(std::string("sigaction failed: ") + strerror(errno));
    installed = true;
}

void set_monitor_fault_hook(void (*hook)() noexcept) {
    g_monitor_fault_hook = hook;
}

void set_guest_timer(unsigned interval_ms) {
    itimerval t{};
    t.it_interval.tv_sec = interval_ms / 1000;
    t.it_interval.tv_usec = (interval_ms % 1000) * 1000;
    t.it_value = t.it_interval;
    if (setitimer(ITIMER_REAL, &t, nullptr) != 0)
        throw HostError(std::string("setitimer failed: ") + strerror(errno));
}

void arm_device_timer(uint64_t deadline_ns) {
    static timer_t timer;
    static bool created = false;
    if (!created) {
        sigevent ev{};
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SIGALRM;
        // Without it the PIT's interrupts would never come: a host failure, not a silent one.
        if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0)
            throw HostError(std::string("timer_create failed: ") + strerror(errno));
        created = true;
    }
    itimerspec t{};
    t.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1000000000);
    t.it_value.tv_nsec = static_cast<long>(deadline_ns % 1000000000);
    if (deadline_ns == 0) t.it_value = {};
    if (timer_settime(timer, TIMER_ABSTIME, &t, nullptr) != 0)
        throw HostError(std::string("timer_settime failed: ") + strerror(errno));
}

}  // namespace prevt::native

using namespace prevt::native;

// prevt_signal_entry (world_switch.S) calls this with the host's FS/GS bases loaded and puts
// the interrupted ones back afterwards, whatever was interrupted. Guest code: the frame is
// rewritten to return into the exit trampoline. The world switch and the monitor: a timer
// tick is noted and they resume; anything else there is a bug in prevt.
extern "C" int prevt_handle_signal(int sig, siginfo_t* info, void* ucv) {
    auto* uc = static_cast<ucontext_t*>(ucv);
    greg_t* g = uc->uc_mcontext.gregs;
    const uint64_t rip = g[REG_RIP];
    const uint16_t cs = g[REG_CSGSFS] & 0xffff;
    NativeContext* ctx = prevt_active_ctx;
    const bool guest_compat = (cs & 4) != 0;  // an LDT selector: guest code
    // The bt engine's 64-bit callout stub lives in the monitor area: a timer signal there is
    // the monitor's business, not an escape; the stub is on its way out anyway.
    if (cs == kHostCs64 && rip >= kMonitorBase && rip < kFourGiB &&
        (sig == SIGALRM || sig == SIGTRAP)) {
        if (sig == SIGALRM) g_timer_pending.store(true, std::memory_order_relaxed);
        // (A step trap there: TF was set when the callout left; the kernel has cleared TF in
        // the frame by now, so the trap itself is the evidence.)
        if (sig == SIGTRAP && ctx) ctx->stub_tf = 1;
        g[REG_EFL] &= ~0x100;  // a single-step that ran into a callout ends here
        return 0;
    }
    const bool guest_long = cs == kHostCs64 && rip < kMonitorBase && ctx;
    // A guest `sysenter` (Intel) or `syscall` (AMD) in compatibility mode enters the host
    // kernel's 32-bit fast-syscall path (tests/hostile/probes/sysenter_probe.c). It replaces the
    // return address with its landing pad, computed from the vDSO's base (the 64-bit one here,
    // above 4 GiB), CS/SS with the host's 32-bit user selectors (0x23/0x2b), RSP with the
    // guest's EBP (sysenter: EBP holds the user's ESP by the vDSO's convention) or ESP
    // (syscall), then reads the dword at that address into RBP. If it can, seccomp stops the
    // call (seccomp.hpp): SIGSYS at the landing pad, the other registers the guest's. If it
    // cannot, EAX becomes -EFAULT and the kernel irets to the landing pad, which compatibility
    // mode truncates to 32 bits: a fault there (or in guest code mapped there) at CS 0x23.
    const bool fast_syscall = sig == SIGSYS && info->si_code == kSysSeccomp && cs == kHostCs32 &&
                              g_vdso.contains(rip) && ctx;
    const bool guest_syscall32 = cs == kHostCs32 && rip < kFourGiB && ctx;
    if (!guest_compat && !guest_long && !guest_syscall32 && !fast_syscall) {
        if (sig == SIGALRM) {
            g_timer_pending.store(true, std::memory_order_relaxed);
            return 0;
        }
        monitor_fault(
            sig, rip,
            sig == SIGSYS ? uint64_t(info->si_syscall) : reinterpret_cast<uint64_t>(info->si_addr));
    }
    HostEvent& ev = ctx->event;
    ev.signal = sig;
    ev.si_code = info->si_code;
    ev.trapno = static_cast<int>(g[REG_TRAPNO]);
    ev.error_code = static_cast<uint32_t>(g[REG_ERR]);
    ev.fault_address = reinterpret_cast<uint64_t>(info->si_addr);
    ev.syscall_nr = sig == SIGSYS ? info->si_syscall : -1;
    ev.escaped = guest_long;
    ev.fast_syscall = FastSyscall::kNone;
    if (fast_syscall)
        ev.fast_syscall = g_fast_path_is_syscall ? FastSyscall::kSyscall : FastSyscall::kSysenter;
    else if (guest_syscall32 &&
             static_cast<uint32_t>(rip - g_vdso.begin) < g_vdso.end - g_vdso.begin &&
             static_cast<uint32_t>(g[REG_RAX]) == static_cast<uint32_t>(-EFAULT))
        ev.fast_syscall = FastSyscall::kFaulted;
    const bool recoverable = ev.fast_syscall == FastSyscall::kSysenter;
    ev.lost_in_host_syscall = (guest_syscall32 || fast_syscall) && !recoverable;
    if (sig == SIGALRM) g_timer_pending.store(true, std::memory_order_relaxed);
    static constexpr int kRegs[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX,
                                     REG_RSP, REG_RBP, REG_RSI, REG_RDI};
    if (recoverable) {
        // The guest's ESP and EIP are not in the frame (sysenter replaces both): they keep
        // the values of the last entry; its EBP is in RSP.
        for (int i = 0; i < 8; ++i)
            if (i != 4) ctx->gpr[i] = static_cast<uint32_t>(g[kRegs[i]]);
        ctx->gpr[5] = static_cast<uint32_t>(g[REG_RSP]);
    } else {
        for (int i = 0; i < 8; ++i) ctx->gpr[i] = static_cast<uint32_t>(g[kRegs[i]]);
        ctx->eip = static_cast<uint32_t>(rip);
    }
    ctx->eflags = static_cast<uint32_t>(g[REG_EFL]);
    const uint64_t csgsfs = g[REG_CSGSFS];
    if (!guest_syscall32 && !fast_syscall) {  // else CS/SS are the host's 0x23/0x2b
        ctx->cs = cs;
        ctx->ss = (csgsfs >> 48) & 0xffff;
    }
    // Linux writes 0 for FS and GS in a 64-bit signal frame and has no slot for DS and ES;
    // signal delivery leaves all four selector registers as they were (only the FS/GS bases
    // were changed, by prevt_signal_entry), so read them live.
    const DataSelectors live = read_data_selectors();
    ctx->ds = live.ds;
    ctx->es = live.es;
    ctx->fs = live.fs;
    ctx->gs = live.gs;
    // Return into the monitor: sigreturn loads these, in 64-bit mode, on the monitor stack.
    g[REG_RIP] = reinterpret_cast<greg_t>(prevt_exit_trampoline);
    g[REG_RSP] = static_cast<greg_t>(ctx->monitor_rsp);
    g[REG_EFL] = 0x202;
    g[REG_CSGSFS] = static_cast<greg_t>(uint64_t(kHostCs64) | (uint64_t(kHostSs) << 48));
    return 0;
}
