// Protected-mode segment loads and far transfers, with the checks of the Intel SDM vol. 2
// (MOV, POP, LDS, JMP, CALL, RET, IRET). Real mode loads set base = selector * 16.
// Task gates and TSSs as far jmp/call targets switch tasks (task_switch.hpp).
// Not supported (GuestError): call gates, virtual-8086 mode.
#pragma once

#include <cstdint>

#include "core/emulate/cpu.hpp"

namespace prevt {

// mov/pop/lds/les/lfs/lgs/lss into a data segment register or SS (never CS).
void load_segment(Cpu& cpu, SegReg sr, uint16_t selector);
// Loads CS from a checked code descriptor at privilege `cpl` (RPL of the new CS).
void load_code_segment(Cpu& cpu, uint16_t selector, const Descriptor& d, unsigned cpl);

// `next_eip`: the instruction after the jmp (saved in the old TSS by a task switch).
void far_jump(Cpu& cpu, uint16_t selector, uint32_t offset, unsigned operand_size,
              uint32_t next_eip);
void far_call(Cpu& cpu, uint16_t selector, uint32_t offset, unsigned operand_size,
              uint32_t return_eip);
void far_return(Cpu& cpu, unsigned operand_size, uint16_t release_bytes);
// iret within the task (EFLAGS.NT clear; with NT set, return_from_task in task_switch.hpp).
void interrupt_return(Cpu& cpu, unsigned operand_size);

// The checks a far transfer makes on its target code segment (same privilege only).
Descriptor checked_code_target(Cpu& cpu, uint16_t selector);
// EFLAGS written by popf/iret at the current CPL and IOPL (the SDM's rules on IF and IOPL).
// `iret`: a 32-bit iret loads RF too (popf never does: SDM IRET, POPF).
void write_eflags(Cpu& cpu, uint32_t value, unsigned operand_size, bool iret = false);

}  // namespace prevt
