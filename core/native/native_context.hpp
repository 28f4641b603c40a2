// What the world switch (world_switch.S) loads into and saves from the hardware. The assembly
// takes the offsets from asm_offsets.h, generated from this struct at build time
// (asm_offsets.cpp): the comments' offsets are for the reader.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>

namespace prevt::native {

// What the host kernel's 32-bit fast-system-call path left of a guest that executed
// `sysenter` (Intel) or `syscall` (AMD) natively in compatibility mode (signals.cpp; the
// probe tests/hostile/probes/sysenter_probe.c).
enum class FastSyscall : uint8_t {
    kNone,
    kSysenter,  // stopped by seccomp: every register but ESP and EIP is the guest's (sysenter
                // loads both from its MSRs: the virtual CPU can run it, unless it faults)
    kSyscall,   // stopped by seccomp, on AMD: the guest's EIP and ECX are gone
    kFaulted,   // the kernel could not read the dword at EBP (sysenter) or ESP (syscall):
                // EAX = -EFAULT, and it returned to its landing pad: EAX and EIP are gone
};

// Why a run of guest code ended, as the signal handler saw it.
struct HostEvent {
    int signal = 0;
    int si_code = 0;
    int trapno = -1;
    uint32_t error_code = 0;
    uint64_t fault_address = 0;
    int syscall_nr = -1;
    bool escaped = false;               // the guest was found running in 64-bit mode
    bool lost_in_host_syscall = false;  // the guest ran in the host's 32-bit code segment (0x23):
                                        // it went through the host's fast-syscall path (or
                                        // far-jumped there); its state is not recoverable
    FastSyscall fast_syscall = FastSyscall::kNone;  // what that path was, if known
};

struct NativeContext {
    uint32_t gpr[8];                  // 0: eax ecx edx ebx esp ebp esi edi
    uint32_t eip;                     // 32
    uint32_t eflags;                  // 36
    uint16_t cs, ss, ds, es, fs, gs;  // 40..50: host (shadow) selectors
    uint32_t callout_exit;            // 52: set by a bt callout, cleared on entry: bit 0 only
                                      // XMM0-7 and MXCSR were saved, bit 1 DS/ES/FS/GS are
                                      // still loaded (the engine clears it if a shadow
                                      // descriptor changed)
    uint64_t monitor_rsp;             // 56
    uint32_t stub_tf;                 // 64: bt: TF was set when a callout reached the stub
    uint32_t reserved0;               //     (the signal handler saw its trap there)
    uint64_t reserved[1];             // 72: (the host FS/GS bases live in globals)
    uint8_t* guest_fpu;               // 80: FXSAVE area of the guest (VcpuState::fpu)
    uint64_t pad1;                    // 88
    HostEvent event;                  // filled by the signal handler
};


}  // namespace prevt::native

extern "C" {
// Runs the guest from `ctx` until a signal handler sends it back; returns then with the guest
// state saved in `ctx` (registers by the handler, FPU by the exit trampoline).
void prevt_enter_guest(prevt::native::NativeContext* ctx);
void prevt_exit_trampoline();
void prevt_signal_entry(int sig, siginfo_t* info, void* uc);
extern char prevt_bt_callout_entry[];
extern prevt::native::NativeContext* prevt_active_ctx;
extern uint64_t prevt_host_fsbase, prevt_host_gsbase;
}
