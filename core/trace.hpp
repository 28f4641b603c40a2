// --trace LIST (QEMU -d style) written to --trace-file or stderr:
//   int   every interrupt and exception delivered to the guest
//   exec  every guest instruction executed (trap engine: single-stepping with EFLAGS.TF)
//   trap  every instruction the monitor emulated, with the host signal that brought it
//   io    every port and MMIO access, by any engine (the buses tell: devices/bus.hpp)
//   in_asm  (bt) each guest block as it is translated, every instruction with its category
//   out_asm (bt) the translation of each block, decoded again
#pragma once

#include <cstdio>
#include <string>

namespace prevt {

struct Trace {
    bool interrupts = false, exec = false, traps = false, io = false, in_asm = false,
         out_asm = false;
    FILE* out = stderr;

    // Parses "int,exec,..."; throws InputError naming an unknown item.
    static Trace parse(const std::string& list);
    // Throws InputError for an item `engine` cannot produce, naming the engines that can
    // (in_asm and out_asm are bt's translations: trap and kvm translate nothing).
    void require_engine(const std::string& engine) const;
    bool any() const { return interrupts || exec || traps || io || in_asm || out_asm; }
};

}  // namespace prevt
