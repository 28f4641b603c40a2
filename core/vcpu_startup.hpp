// The state a CPU starts from after an INIT and a start-up IPI (SDM vol. 3A 9.1.1 table 9-1,
// 8.4.4.1 and 11.6.1): real mode at vector * 0x1000, CS = vector << 8, IP 0; the rest as at
// reset (EFLAGS 2, CR0 with CD, NW and ET, the 64 KiB segments at 0, IDTR and GDTR at 0 with
// limit 0xffff, DR6/DR7 reset), the x87 and SSE as FNINIT leaves them (FCW 0x37f, MXCSR
// 0x1f80). An INIT leaves the MSRs alone; an AP that never ran has the reset values anyway.
#pragma once

#include <cstdint>

#include "core/vcpu_state.hpp"

namespace prevt {

inline VcpuState startup_state(uint8_t vector, const Msrs& msrs) {
    VcpuState s;
    s.cr0 = cr0::ET | cr0::CD | cr0::NW;
    s.eflags = eflags::kFixed1;
    s.eip = 0;
    for (Segment& seg : s.seg) {
        seg = Segment{};  // selector 0, base 0, 64 KiB, present
        seg.type = 0x3;   // read/write data, accessed
    }
    Segment& cs = s.sreg(SegReg::cs);
    cs.selector = static_cast<uint16_t>(vector << 8);
    cs.base = uint32_t{vector} << 12;
    cs.type = 0xb;  // execute/read code, accessed
    s.gdtr = {0, 0xffff};
    s.idtr = {0, 0xffff};
    s.ldtr = Segment{};
    s.ldtr.type = 0x2;
    s.ldtr.s = false;
    s.tr = Segment{};
    s.tr.type = 0xb;
    s.tr.s = false;
    s.set_cpl(0);
    s.msr = msrs;
    s.fpu.fill(0);
    s.fpu[0] = 0x7f;
    s.fpu[1] = 0x03;
    s.fpu[24] = 0x80;
    s.fpu[25] = 0x1f;
    return s;
}

}  // namespace prevt
