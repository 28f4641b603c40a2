// The machine the virtual CPU's unit tests run on: flat guest RAM, an empty port bus, no-op
// engine hooks, a VcpuState and the Cpu over them. A test fixture derives from it and sets up
// the descriptors and registers its instructions need.
#pragma once

#include <cstddef>

#include "core/emulate/cpu.hpp"
#include "core/emulate/linear_memory.hpp"
#include "core/guest_memory.hpp"
#include "devices/bus.hpp"

namespace prevt {

struct VirtualCpuRig {
    explicit VirtualCpuRig(size_t ram_bytes)
        : ram(ram_bytes), mem(ram), ports("port"), cpu{s, mem, ports, hooks} {}
    // Physical memory laid out by `map`, its MMIO ranges routed to `mmio`.
    VirtualCpuRig(const MemoryMap& map, devices::Bus* mmio)
        : ram(map, mmio), mem(ram), ports("port"), cpu{s, mem, ports, hooks} {}

    // Protected mode as a flat guest sets it up: the GDT `gdt` (`bytes` long) written at
    // `gdt_at`, CS = 0x08 and every data segment register = 0x10 loaded from its entries 1
    // and 2, ESP = `stack`, CPL 0.
    void enter_flat_protected_mode(uint32_t gdt_at, const uint32_t* gdt, size_t bytes,
                                   uint32_t stack) {
        ram.write_bytes(gdt_at, gdt, bytes);
        s.cr0 = cr0::PE | cr0::ET;
        s.gdtr = {gdt_at, static_cast<uint16_t>(bytes - 1)};
        Descriptor code, data;
        code.lo = gdt[2], code.hi = gdt[3];
        data.lo = gdt[4], data.hi = gdt[5];
        s.sreg(SegReg::cs) = code.to_segment(0x08);
        for (SegReg r : {SegReg::ds, SegReg::es, SegReg::ss, SegReg::fs, SegReg::gs})
            s.sreg(r) = data.to_segment(0x10);
        s.set_cpl(0);
        s.gpr[prevt::esp] = stack;
    }

    GuestMemory ram;
    FlatPhysicalMemory mem;
    devices::Bus ports;
    CpuHooks hooks;
    VcpuState s;
    Cpu cpu;
};

}  // namespace prevt
