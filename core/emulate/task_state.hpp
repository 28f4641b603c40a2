// A task's state as its TSS holds it (Intel SDM vol. 3A 7.2.1 for the 32-bit layout, 7.6 for
// the 16-bit one): read from a new task's TSS, written to the old task's, and loaded into the
// virtual CPU with the checks of SDM table 7-1 (the part of a task switch after its commit
// point). Used by task_switch.cpp only.
#pragma once

#include <array>
#include <cstdint>

#include "core/emulate/cpu.hpp"

namespace prevt {

struct TaskImage {
    uint16_t link = 0;
    uint32_t cr3 = 0, eip = 0, eflags = 0;
    std::array<uint32_t, 8> gpr{};
    std::array<uint16_t, kSegRegCount> sel{};  // in SegReg order (es, cs, ss, ds, fs, gs)
    uint16_t ldt = 0;
    bool trap = false;  // the T bit (32-bit TSS, byte 0x64 bit 0): #DB on entering the task
};

// The smallest limit a TSS descriptor may have: 0x67 (32-bit), 0x2b (16-bit).
inline uint32_t minimum_tss_limit(bool tss32) {
    return tss32 ? 0x67 : 0x2b;
}

// Everything a switch loads, read from the TSS at linear `base` (a fault here is before the
// commit point).
TaskImage read_task_image(Cpu& cpu, uint32_t base, bool tss32);
// The dynamic fields of the current task (EIP `eip`, EFLAGS `flags`, the general registers,
// the segment selectors) written to its TSS at linear `base`.
void save_task_state(Cpu& cpu, uint32_t base, bool tss32, uint32_t eip, uint32_t flags);

// After the commit point: the LDTR, then CS, SS, DS, ES, FS, GS from `t`, each checked as
// SDM table 7-1 says (#TS, #NP, #SS with `ext`); CPL becomes CS.RPL. A fault leaves the
// registers not yet loaded unusable, as the CPU does, for the new task's handler.
void load_task_segments(Cpu& cpu, const TaskImage& t, uint32_t ext);

}  // namespace prevt
