// One run of a built-in guest for `prevt demo`: the guest on one engine in a child process,
// its COM1 lines (RESULT and BENCH, tests/guests/teach/teach.h), the engine's counters and
// the run's exit and signal counts, and, when it failed, why in a word and in a line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/machine.hpp"

namespace prevt::cli::demos {

struct GuestRun {
    std::string engine;
    int status = 0;  // prevt's exit status (1: the guest exited with V = 0)
    std::map<std::string, std::pair<std::string, std::string>> results;  // name -> saw, hw
    std::vector<std::string> result_order;                               // as printed
    std::map<std::string, double> cycles;      // BENCH: cycles per operation
    std::map<std::string, uint64_t> counters;  // engine counters, "exits: R", "host signals"
    std::string failure_word, failure_line;    // empty when the guest ended as it should

    bool ok() const { return failure_word.empty(); }
    // The first counter whose name contains `part` (null if the engine has none).
    const uint64_t* counter(const std::string& part) const;
};

enum class Guest { kDemo, kTeach };

// Runs `section` of the guest (its Multiboot command line) on `engine`.
GuestRun run_guest(const MachineConfig& base, Guest guest, const std::string& engine,
                   const std::string& section);

// The engines a demo shows: `--engine` as given (a comma list), else trap, bt and, where the
// host opens /dev/kvm, kvm. Throws InputError for an unknown name.
std::vector<std::string> demo_engines(const std::string& given, bool host_has_kvm);

}  // namespace prevt::cli::demos
