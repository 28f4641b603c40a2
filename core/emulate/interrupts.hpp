// Delivery of interrupts and exceptions through the guest's IDT (protected mode) or IVT
// (real mode), as the Intel SDM vol. 3 ch. 6 describes: gate checks, privilege checks for
// software interrupts, a stack switch from the TSS on a change of privilege, error codes,
// IF/TF/NT/RF/VM handling. Task gates switch tasks (task_switch.hpp).
#pragma once

#include <cstdint>

#include "core/emulate/cpu.hpp"

namespace prevt {

enum class EventSource : uint8_t {
    kException,          // a fault or trap raised by the processor (EXT = 1)
    kExternal,           // a hardware interrupt (EXT = 1)
    kSoftware,           // int n (gate DPL checked)
    kSoftwareException,  // int3 / into (gate DPL checked, EXT = 0)
};

struct Event {
    uint8_t vector;
    EventSource source;
    bool has_error = false;
    uint32_t error = 0;
    uint32_t return_eip = 0;  // EIP pushed: the faulting instruction, or the next one
};

// Throws GuestFault when delivery itself faults; the caller applies the double-fault rules.
void deliver_event(Cpu& cpu, const Event& event);

// The SDM's table 6-5: whether a fault during delivery of `first` turns into #DF.
bool makes_double_fault(uint8_t first, uint8_t second);

}  // namespace prevt
