// The options prevt takes in QEMU's spelling (qemu-system-i386's -d, -D, -serial, -accel,
// -machine, -enable-kvm, -smp, -no-reboot, -name, -vga, -nodefaults, -device), each mapped to
// what prevt's machine is, or refused in one line where prevt has no honest equivalent. The
// mapping is documented in docs/qemu-options.md.
#pragma once

#include <functional>
#include <string>

#include "core/machine.hpp"

namespace prevt::cli {

// What an option handler may ask of the command line: the option's value (the next argument,
// or what followed '='), and a check that a flag was given no value.
struct OptionArgs {
    std::function<std::string()> value;
    std::function<void()> flag;
};

// What the options said so far, where a later option or the end of the line decides.
struct QemuParse {
    // Which option chose the engine (--engine, -accel, -machine accel=, -enable-kvm): two
    // that disagree are refused.
    std::string engine_by;
    void choose_engine(MachineConfig& m, const std::string& engine, const std::string& option);
    std::string vga;          // -vga std|none as given ("": not given)
    bool nodefaults = false;  // -nodefaults: no VGA unless -vga std, COM1 unconnected unless
                              // -serial (QEMU's default devices: the VGA and serial0)
    // At the end of the line: the defaults -nodefaults changes. `serial_given`: -serial,
    // -nographic or --display said where COM1 goes.
    void finish(MachineConfig& m, bool serial_given) const;
};

// Applies option `a` if it is one of QEMU's handled here; false if it is not one of them.
// `verb` becomes "trace-help" for -d help. Throws InputError for a value prevt refuses.
bool apply_qemu_option(const std::string& a, const OptionArgs& args, MachineConfig& m, QemuParse& q,
                       std::string* verb);

// --serial / -serial: stdio | none | null | file:PATH | pty | mon:stdio, as the machine takes it
// (stdio, none, file:PATH, pty).
std::string parse_serial(const std::string& v);

}  // namespace prevt::cli
