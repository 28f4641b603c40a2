// The command line, QEMU habits: `prevt run [options] GUEST`, `prevt demo`, `prevt host`.
#pragma once

#include <string>
#include <vector>

#include "core/machine.hpp"

namespace prevt::cli {

struct Command {
    std::string verb;  // run | demo | host | help | version
    MachineConfig machine;
    std::string demo;          // prevt demo NAME ("" = sensitive)
    std::string demo_engines;  // prevt demo --engine LIST, as given ("" = the default columns)
};

// Throws InputError with one line for any bad option or value.
Command parse_command_line(const std::vector<std::string>& args);
const char* usage_text();

}  // namespace prevt::cli
