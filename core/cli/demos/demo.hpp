// `prevt demo [NAME] [--engine LIST]`: one demo per challenge of trap-and-emulate on x86
// (docs/teaching.md): sensitive (the default), rings, compression, paging, syscalls,
// interrupts, tpr, or all seven. Each runs built-in guests on the engines given (default:
// trap, bt and kvm where /dev/kvm opens) and prints what they saw and what it cost, measured
// in the same run.
#pragma once

#include <string>

#include "core/machine.hpp"

namespace prevt::cli {

// `engines`: the --engine value as given ("" when none). Throws InputError for an unknown
// demo or engine.
int run_demo(const MachineConfig& base, const std::string& name, const std::string& engines);

}  // namespace prevt::cli
