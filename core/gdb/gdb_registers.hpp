// The i386 register file as gdb numbers it (gdb's i386 target description, features
// org.gnu.gdb.i386.core and .sse; the layout of QEMU's i386 stub without orig_eax), read from
// and written to the guest's architectural state (VcpuState), never the engines' host view:
//   0-7   eax ecx edx ebx esp ebp esi edi   8 eip   9 eflags   10-15 cs ss ds es fs gs  (4 bytes)
//   16-23 st0-st7 (10 bytes, from the FXSAVE image)
//   24-31 fctrl fstat ftag fiseg fioff foseg fooff fop (4 bytes; ftag the full 2-bit tag word)
//   32-39 xmm0-xmm7 (16 bytes)   40 mxcsr (4 bytes)
// Writes: the general registers, EIP, the FPU/SSE image; of EFLAGS the status flags, TF and
// DF (IF, IOPL, VM, NT and the rest are the virtual CPU's to change: kept); a segment
// register only to its present value (a new selector needs a descriptor load: refused).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/vcpu_state.hpp"

namespace prevt::gdb {

inline constexpr int kRegisterCount = 41;

unsigned register_size(int n);  // 0 for a number gdb's i386 does not have
void read_register(const VcpuState& s, int n, uint8_t* out);
bool write_register(VcpuState& s, int n, const uint8_t* in);

// The `g` reply's bytes (all registers, in order) and the `G` write (all or nothing).
std::vector<uint8_t> read_all_registers(const VcpuState& s);
bool write_all_registers(VcpuState& s, const std::vector<uint8_t>& bytes);

}  // namespace prevt::gdb
