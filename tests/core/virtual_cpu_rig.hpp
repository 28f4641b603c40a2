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

    GuestMemory ram;
    FlatPhysicalMemory mem;
    devices::Bus ports;
    CpuHooks hooks;
    VcpuState s;
    Cpu cpu;
};

}  // namespace prevt
