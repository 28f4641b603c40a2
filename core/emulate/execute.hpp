// Executes one guest instruction on the virtual CPU: the privileged, I/O, segment and
// control-transfer instructions that the native engines cannot run directly. Shared by the
// trap engine (after a #GP or #UD) and, later, the bt engine's callouts.
#pragma once

#include <cstdint>

#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/decoded.hpp"

namespace prevt {

enum class Outcome : uint8_t {
    kDone,         // executed; EIP advanced or transferred
    kHalt,         // hlt executed at CPL 0: the vCPU waits for an interrupt
    kNotEmulated,  // not an instruction the virtual CPU emulates: the native fault stands
};

// Throws GuestFault for the exceptions the instruction raises (EIP still at the instruction,
// except for software interrupts, which are delivered here), GuestError for unsupported state.
Outcome execute(Cpu& cpu, const Decoded& d);

// Groups of execute(), one file each.
Outcome execute_system(Cpu& cpu, const Decoded& d);  // CRn, DRn, tables, MSRs, cpuid, hlt...
// mov to/from DRn (debug_moves.cpp): DR4/DR5 aliases, DR7.GD's #DB, the fixed bits.
uint32_t read_debug_register(Cpu& cpu, unsigned n);
void write_debug_register(Cpu& cpu, unsigned n, uint32_t v);
Outcome execute_io(Cpu& cpu, const Decoded& d);                // in, out, ins, outs (rep too)
Outcome execute_descriptor_query(Cpu& cpu, const Decoded& d);  // lar, lsl, verr, verw
// mov, movzx/movsx, xchg, integer arithmetic, shifts and rotates (ordinary.cpp)
bool is_ordinary(const Decoded& d);
Outcome execute_ordinary(Cpu& cpu, const Decoded& d);
// push/pop r/m, the string moves and compares (rep too), xlat, hint nops (data_moves.cpp):
// what guests do through cs:, which bt always calls out.
Outcome execute_data_move(Cpu& cpu, const Decoded& d);
// fnstenv, fnsave, fxsave with the guest's FIP and selectors (fpu_env.cpp).
Outcome execute_fpu_store(Cpu& cpu, const Decoded& d);
Outcome execute_fpu_load(Cpu& cpu, const Decoded& d);  // fldenv, frstor, fxrstor (fpu_env.cpp)
// jcc, loop, jcxz with CS's limit checked (branches.cpp).
Outcome execute_branch(Cpu& cpu, const Decoded& d);
// The flags of `cmp a, b` at `bytes` width, computed on the host (ordinary.cpp).
void compare_flags(VcpuState& s, unsigned bytes, uint32_t a, uint32_t b);

// What sysenter does to CS, SS and EFLAGS (flat ring-0 segments from SYSENTER_CS, VM/IF/RF
// clear); the caller checked SYSENTER_CS and sets ESP/EIP. bt's inline sysenter uses it too.
void sysenter_segments(VcpuState& s);
// What sysexit does to CS and SS (flat ring-3 segments from SYSENTER_CS + 16 and + 24).
void sysexit_segments(VcpuState& s);

// What `cpuid` reports: the guest's CPU profile (cpu_profiles.hpp), leaf by leaf (cpuid.cpp);
// `limited`: IA32_MISC_ENABLE limits the basic leaves to 2.
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4],
           const CpuProfile& profile = default_profile(), bool limited = false);

// Whether the host's rdtsc gives the guest's answer: the virtual TSC is the host's (the guest
// never wrote the TSC MSR) and CR4.TSD does not make it fault (#GP at CPL > 0).
inline bool native_tsc(const VcpuState& s) {
    return s.msr.tsc_offset == 0 && (s.cpl() == 0 || !(s.cr4 & cr4::TSD));
}

// A rep string instruction runs at most this many iterations per emulation, then stops with
// EIP still on it (restartable, as the CPU leaves it when it takes an interrupt): the run loop
// serves interrupts and --timeout in between, whatever ECX the guest chose.
inline constexpr uint32_t kRepIterationsPerExit = 65536;

}  // namespace prevt
