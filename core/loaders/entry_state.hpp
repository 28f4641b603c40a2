// The machine state a boot protocol's 32-bit entry starts in (Multiboot 0.6.96 section 3.2, the
// Linux boot protocol's 32-bit entry): protected mode with paging and interrupts off, CS a
// flat execute/read code segment and every data segment register one flat data segment of a
// 4-entry GDT at `gdt`, no LDT, a busy-free 32-bit TSS type in TR (never loaded), the real-mode
// IVT as IDTR, the x87 and SSE in their reset state (FCW 0x37f, MXCSR 0x1f80). The loader then
// sets the registers its protocol defines. One definition for both loaders.
#pragma once

#include <cstdint>

#include "core/vcpu_state.hpp"

namespace prevt::loaders {

inline VcpuState flat_entry_state(uint32_t gdt, uint16_t cs, uint16_t ds, uint32_t eip) {
    VcpuState s;
    s.gdtr = {gdt, 31};
    s.idtr = {0, 0x3ff};
    s.cr0 = cr0::PE | cr0::ET;
    s.eflags = eflags::kFixed1;  // IF clear
    s.eip = eip;
    s.sreg(SegReg::cs) = Segment::flat(cs, 0xb);
    for (SegReg r : {SegReg::ds, SegReg::es, SegReg::fs, SegReg::gs, SegReg::ss})
        s.sreg(r) = Segment::flat(ds, 0x3);
    s.ldtr.present = false;
    s.tr = Segment{};
    s.tr.type = 0xb;
    s.tr.s = false;
    s.fpu.fill(0);  // (FXSAVE layout)
    s.fpu[0] = 0x7f;
    s.fpu[1] = 0x03;
    s.fpu[24] = 0x80;
    s.fpu[25] = 0x1f;
    return s;
}

}  // namespace prevt::loaders
