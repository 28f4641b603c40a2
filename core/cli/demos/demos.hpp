// The seven demos of `prevt demo NAME`, one per challenge of the course (docs/teaching.md).
// Each runs its guests on `engines` (demo_run.hpp), prints tables of at most 100 columns with
// the figures measured in the same run, and returns 0, or kStatusGuestFailure when bt (the
// engine that must get everything right) did not.
#pragma once

#include <string>
#include <vector>

#include "core/cli/host_facts.hpp"
#include "core/machine.hpp"

namespace prevt::cli::demos {

struct DemoContext {
    MachineConfig base;
    std::vector<std::string> engines;
    HostFacts host;
};

int demo_sensitive(const DemoContext& c);    // demo_sensitive.cpp
int demo_rings(const DemoContext& c);        // demo_privilege.cpp
int demo_syscalls(const DemoContext& c);     // demo_privilege.cpp
int demo_compression(const DemoContext& c);  // demo_memory.cpp
int demo_paging(const DemoContext& c);       // demo_memory.cpp
int demo_interrupts(const DemoContext& c);   // demo_events.cpp
int demo_tpr(const DemoContext& c);          // demo_events.cpp

}  // namespace prevt::cli::demos
