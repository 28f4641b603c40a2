// prevt's entry point: parse the command line, build the machine, run it.
// Bad input of any kind ends here with one line on stderr and exit status 2.
#include <sys/prctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/cli/demos/demo.hpp"
#include "core/cli/host_facts.hpp"
#include "core/cli/options.hpp"
#include "core/cli/process_setup.hpp"
#include "core/cli/table.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/trace.hpp"
#include "devices/bus.hpp"

int main(int argc, char** argv) {
    using namespace prevt;
    // First of all: descriptors 0-2 open (else the memfds below become stdout and stderr).
    if (!cli::prepare_process()) {  // a host without /dev/null: a host failure
        fprintf(stderr, "prevt: host failure: cannot open /dev/null: %s\n", strerror(errno));
        return kStatusHostFailure;
    }
    try {
        // Reserve the low 4 GiB before anything else can be allocated there.
        native::AddressSpace::instance();
        const cli::Command cmd =
            cli::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
        if (cmd.verb == "help") {
            fputs(cli::usage_text(), stdout);
            return 0;
        }
        if (cmd.verb == "version") {
            puts("prevt 0.1");
            return 0;
        }
        if (cmd.verb == "host") return cli::print_host_facts(stdout);
        if (cmd.verb == "table") return cli::print_classification_table(stdout, *cmd.machine.cpu);
        if (cmd.verb == "cpu-help") return cli::print_cpu_profiles(stdout);
        if (cmd.verb == "trace-help") {  // -d help
            fputs(Trace::help_text(), stdout);
            return 0;
        }
        // -name: the process's name, as QEMU's -name ...,process= sets it (ps, top, perf).
        if (!cmd.machine.name.empty()) prctl(PR_SET_NAME, cmd.machine.name.c_str());
        if (cmd.verb == "demo") return cli::run_demo(cmd.machine, cmd.demo, cmd.demo_engines);
        Machine machine(cmd.machine);
        return machine.run();
    } catch (const InputError& e) {
        fprintf(stderr, "prevt: %s\n", e.what());
        return kStatusBadInput;
    } catch (const devices::BusError& e) {
        fprintf(stderr, "prevt: %s\n", e.what());
        return kStatusBadInput;
    } catch (const GuestError& e) {
        fprintf(stderr, "prevt: %s\n", e.what());
        return kStatusGuestFailure;
    } catch (const HostError& e) {
        fprintf(stderr, "prevt: host failure: %s\n", e.what());
        return kStatusHostFailure;
    }
}
