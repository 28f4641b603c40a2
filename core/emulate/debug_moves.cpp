// MOV to and from the debug registers (the virtual CPU's; at CPL 0, which the caller checks):
// DR4/DR5 as DR6/DR7 while CR4.DE is clear (#UD with it), DR7.GD, the bits of DR6 and DR7 that
// always read as 1 or 0. The registers are virtual: no host breakpoint is armed; the engines
// read them (bt's instruction breakpoints, the shadow's watched pages: data_watch.hpp).
#include "core/emulate/debug_registers.hpp"
#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

uint32_t& debug_register(Cpu& cpu, unsigned n) {
    if ((n == 4 || n == 5) && (cpu.s.cr4 & cr4::DE)) throw fault_ud();
    if (n < 4) return cpu.s.dr[n];
    return (n == 4 || n == 6) ? cpu.s.dr6 : cpu.s.dr7;
}

// DR7.GD (general detect): any MOV to or from a debug register, at CPL 0 (the CPL's #GP
// comes first, as KVM orders them), is #DB, a fault before the instruction, with DR6.BD set;
// GD is cleared so that the handler can use the registers (SDM 18.2.4). (QEMU TCG does not
// implement GD: the guest data_breakpoints' golden is the SDM's there.)
void check_general_detect(Cpu& cpu) {
    if (!(cpu.s.dr7 & dr7::kGeneralDetect)) return;
    cpu.s.dr6 |= dr7::kDr6Bd;
    cpu.s.dr7 &= ~dr7::kGeneralDetect;
    throw GuestFault{vec::DB, false, 0};
}

}  // namespace

uint32_t read_debug_register(Cpu& cpu, unsigned n) {
    check_general_detect(cpu);
    return debug_register(cpu, n);
}

// DR6 and DR7 have bits that always read as 1 (DR6 0xffff0ff0, DR7 bit 10) and reserved
// bits that read as 0.
void write_debug_register(Cpu& cpu, unsigned n, uint32_t v) {
    check_general_detect(cpu);
    uint32_t& r = debug_register(cpu, n);
    if (&r == &cpu.s.dr6)
        v = (v & 0x0000e00f) | 0xffff0ff0;
    else if (&r == &cpu.s.dr7)
        v = (v & 0xffff2fff) | 0x400;
    r = v;
}

}  // namespace prevt
