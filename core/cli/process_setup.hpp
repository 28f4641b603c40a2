// What the process needs before anything else runs: standard descriptors that are open, and
// no death by SIGPIPE. main() calls it first, before the address space (a memfd) is reserved.
#pragma once

namespace prevt::cli {

// Opens /dev/null onto any of descriptors 0, 1 and 2 that is closed (cron, daemons and
// `prevt ... >&- 2>&-` start programs so): otherwise the first files prevt opens (the memfds of
// guest RAM and unassigned memory) would become "stdout" and "stderr", and COM1 output,
// --trace and prevt's own messages would be written into guest memory. Ignores SIGPIPE: a
// reader that went away is an EPIPE the output code reports (core/host_output.hpp), not a
// silent death. Returns false (with errno) if /dev/null cannot be opened.
bool prepare_process();

}  // namespace prevt::cli
