// `prevt demo`: runs the built-in guest (tests/guests/demo) that executes the 17
// sensitive-but-unprivileged instructions of Robin & Irvine (USENIX Security 2000) and the
// common privileged ones at guest ring 0, and prints what the guest saw beside what real
// ring-0 hardware returns, with one line of explanation each.
#pragma once

#include "core/machine.hpp"

namespace prevt::cli {

int run_demo(const MachineConfig& base);

}  // namespace prevt::cli
