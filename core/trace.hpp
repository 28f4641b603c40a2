// --trace LIST / -d LIST (QEMU's -d items where they mean the same), written to --trace-file
// / -D or stderr. The items (docs/qemu-options.md has the table against QEMU's):
//   int           every interrupt and exception delivered to the guest (QEMU's int)
//   exec          every guest instruction executed, at its own address, the emulated ones
//                 marked (QEMU's exec, per instruction: QEMU with one-insn-per-tb); all
//                 engines step the guest one instruction at a time for it
//   cpu           the guest's registers after every instruction (QEMU's cpu; steps as exec)
//   trap          every instruction the monitor emulated, with the host signal that brought it
//   io            every port and MMIO access: address, size, direction, value, device
//   guest_errors  accesses to unassigned ports and MMIO (QEMU's guest_errors, that part)
//   in_asm        (bt) each guest block as it is translated, every instruction with its category
//   out_asm       (bt) the translation of each block, decoded again
#pragma once

#include <cstdio>
#include <string>

namespace prevt {

struct Trace {
    bool interrupts = false, exec = false, cpu = false, traps = false, io = false,
         guest_errors = false, in_asm = false, out_asm = false;
    FILE* out = stderr;

    // Parses "int,exec,..."; throws InputError naming an unknown item and the known ones.
    static Trace parse(const std::string& list);
    // The items with one line each (-d help).
    static const char* help_text();
    // Throws InputError for an item `engine` cannot produce, naming the engines that can.
    void require_engine(const std::string& engine) const;
    // The guest must be stepped one instruction at a time (exec, cpu).
    bool steps() const { return exec || cpu; }
    bool any() const {
        return interrupts || exec || cpu || traps || io || guest_errors || in_asm || out_asm;
    }
};

}  // namespace prevt
