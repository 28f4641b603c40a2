// Hardware task switching, as the Intel SDM vol. 3A ch. 7.3 describes it: a far jmp or call to
// a TSS descriptor or a task gate, an interrupt or exception through a task gate of the IDT,
// and iret with EFLAGS.NT (back through the link field). The busy bit, the link field and NT,
// CR0.TS, CR3 (32-bit TSS, paging on), the LDTR and the six segment registers of the new task
// with their faults (#TS, #NP, #SS: after the commit point, in the new task), the error code
// pushed on the new task's stack. 16-bit TSSs (types 1 and 3) too.
// Not modelled: the TSS's debug trap bit T (no #DB on entry), a switch into virtual-8086 mode
// (GuestError), the check that the old TSS is large enough before it is written.
#pragma once

#include <cstdint>

#include "core/emulate/cpu.hpp"
#include "core/emulate/interrupts.hpp"

namespace prevt {

enum class TaskEntry : uint8_t { kJump, kCall, kIret, kInterrupt };

// Whether a descriptor a far jmp/call names leads to a task switch (a task gate or a TSS).
inline bool is_task_target(const Descriptor& d) {
    const uint8_t t = d.type();
    return !d.s() && (t == 5 || t == 1 || t == 3 || t == 9 || t == 11);
}

// A far jmp or call (`why`) to `selector`, whose descriptor `d` is a task gate or a TSS: the
// privilege checks of JMP/CALL, then the switch. `next_eip` is saved in the old TSS.
void far_transfer_to_task(Cpu& cpu, uint16_t selector, const Descriptor& d, TaskEntry why,
                          uint32_t next_eip);

// An event through the IDT's task gate `gate` (its DPL and present bit already checked):
// the switch, then the error code pushed on the new task's stack.
void interrupt_to_task(Cpu& cpu, const Descriptor& gate, const Event& ev);

// iret with EFLAGS.NT set in protected mode: back to the task named by the current TSS's
// link field. `next_eip` is saved in the TSS left.
void return_from_task(Cpu& cpu, uint32_t next_eip);

// The switch itself, from the current task (TR) to the TSS at GDT selector `selector`
// (descriptor `tss`, already checked for type and presence). `saved_eip`: the EIP saved in the
// old TSS; `ext`: the EXT bit of the error codes of faults the switch raises. True when the
// new TSS has its T bit (the caller raises the #DB once its own part is done).
bool switch_task(Cpu& cpu, uint16_t selector, const Descriptor& tss, TaskEntry why,
                 uint32_t saved_eip, uint32_t ext);

}  // namespace prevt
