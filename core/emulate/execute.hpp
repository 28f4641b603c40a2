// Executes one guest instruction on the virtual CPU: the privileged, I/O, segment and
// control-transfer instructions that the native engines cannot run directly. Shared by the
// trap engine (after a #GP or #UD) and, later, the bt engine's callouts.
#pragma once

#include <cstdint>

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
Outcome execute_io(Cpu& cpu, const Decoded& d);      // in, out, ins, outs (rep too)
Outcome execute_descriptor_query(Cpu& cpu, const Decoded& d);  // lar, lsl, verr, verw
// mov, movzx/movsx, xchg, integer arithmetic, shifts and rotates (ordinary.cpp)
bool is_ordinary(const Decoded& d);
Outcome execute_ordinary(Cpu& cpu, const Decoded& d);

// What sysenter does to CS, SS and EFLAGS (flat ring-0 segments from SYSENTER_CS, VM/IF/RF
// clear); the caller checked SYSENTER_CS and sets ESP/EIP. bt's inline sysenter uses it too.
void sysenter_segments(VcpuState& s);
// What sysexit does to CS and SS (flat ring-3 segments from SYSENTER_CS + 16 and + 24).
void sysexit_segments(VcpuState& s);

// The profile of the virtual i686 CPU that `cpuid` reports.
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
// FPU PSE TSC MSR CX8 SEP CMOV MMX FXSR SSE SSE2
inline constexpr uint32_t kCpuidFeaturesEdx = 0x07808939;
inline constexpr uint32_t kCpuidFeaturesEcx = 0x80000000;  // hypervisor present

}  // namespace prevt
