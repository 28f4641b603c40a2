// `prevt demo interrupts` and `prevt demo tpr`: the virtual interrupt flag and the local APIC.
// interrupts: cli, a pending self-IPI, the popf that must let it in, sti (teach_interrupts.c).
// tpr: the frequently written privileged register, the LAPIC's TPR at 0xfee00080 (teach.c).
#include "core/cli/demos/demo_table.hpp"
#include "core/cli/demos/demos.hpp"

namespace prevt::cli::demos {

int demo_interrupts(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "interrupts", c.engines, c.host.tsc_mhz);
    printf("prevt demo interrupts: the virtual IF, a pending interrupt, popf\n");
    printf("The guest does cli, sends itself an IPI (pending: IF is 0), then popf with IF=1:\n\n");
    print_results(r, {{"if_after_cli", "IF as pushf reads it"},
                      {"taken_while_if_0", "held while IF is 0"},
                      {"taken_after_popf", "popf must let it in"},
                      {"taken_after_sti", "sti lets it in anyway"},
                      {"self_ipis_taken", "2000 sent, 2000 taken"}});
    printf("\nWhat each costs (ns per operation):\n");
    print_costs(r, {{"cli_sti", "the virtual IF, twice"},
                    {"pushf_popf", "native under trap: wrong IF"},
                    {"self_ipi_taken", "ICR write, delivery, EOI, iret"}});
    printf("\nWhat the engines counted (the whole run):\n");
    print_counter(r, "host signals", "host signals");
    print_counter(r, "interrupt windows", "interrupt-window exits");
    print_failures(r);
    printf("\n");
    print_wrapped(
        "The guest's IF is virtual: the host's is always 1. Under trap cli and sti trap and "
        "set the virtual IF, but popf at CPL 3 (IOPL 0) changes every flag except IF, without a "
        "fault: the monitor never learns that the guest enabled interrupts, and the pending one "
        "waits for the next sti. bt rewrites pushf and popf to read and write the virtual IF, "
        "and when an interrupt waits, a store that sets IF leaves the cache for its delivery.");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

int demo_tpr(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "tpr", c.engines, c.host.tsc_mhz);
    printf("prevt demo tpr: a privileged register written all the time, the LAPIC's TPR\n");
    printf("(0xfee00080: a Windows kernel writes it at every IRQL change)\n\n");
    print_results(r, {{"tpr_read_back", "the register holds its value"}});
    printf("\nWhat each access costs (ns per operation):\n");
    print_costs(r, {{"ram_store", "a store to RAM: native price"},
                    {"tpr_write", "mov to 0xfee00080"},
                    {"tpr_read", "mov from 0xfee00080"},
                    {"eoi_write", "mov to 0xfee000b0"}});
    printf("\nWhat the engines counted (the whole run):\n");
    print_counter(r, "host signals", "host signals");
    print_counter(r, "callouts", "callouts to the virtual CPU");
    print_failures(r);
    printf("\n");
    print_wrapped(
        "The APIC page is never mapped for a native engine: under trap every access faults "
        "(a host signal) and the virtual CPU runs it on the device. Hardware vendors answered "
        "this very cost with the TPR shadow of VT-x and CR8 of AMD-V, and VMware's BT patched "
        "the guest's TPR accesses. bt does what VMware did: a TPR store it has seen once is "
        "translated as one store to the TPR's slot, exiting only while an interrupt waits; "
        "reads and the EOI stay callouts.");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

}  // namespace prevt::cli::demos
