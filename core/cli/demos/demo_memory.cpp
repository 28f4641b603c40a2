// `prevt demo compression` and `prevt demo paging`: the guest's address space.
// compression: the monitor in the top 32 MiB of the guest's 4 GiB, the shadow segments
// truncated below it, a guest that maps and touches a page there (teach_memory.c).
// paging: hidden against true faults, counted and timed; accessed and dirty bits; a CR3 switch.
#include "core/cli/demos/demo_table.hpp"
#include "core/cli/demos/demos.hpp"
#include "core/native/layout.hpp"

namespace prevt::cli::demos {

int demo_compression(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "compression", c.engines, c.host.tsc_mhz);
    printf("prevt demo compression: the monitor inside the guest's 4 GiB\n");
    printf(
        "trap and bt keep their stubs, cache and per-vCPU data at guest-linear 0x%08llx-"
        "0xffffffff;\nthe guest maps a page of its own at 0x%08llx and uses it:\n\n",
        static_cast<unsigned long long>(native::kMonitorBase),
        static_cast<unsigned long long>(native::kMonitorBase));
    print_results(r, {{"read_at_fe000000", "the guest's value, not ours"},
                      {"store_at_fe000004", "lands in the guest's frame"},
                      {"ds_limit_by_lsl", "the shadow DS ends below"}});
    printf("\nWhat a load costs there against an ordinary page (ns per access):\n");
    print_costs(r, {{"load_low_page", "native"},
                    {"load_at_fe000000", "beyond the host segment"},
                    {"store_at_fe000000", "beyond the host segment"}});
    printf("\nWhat the engines did (counts for the whole run):\n");
    print_counter(r, "host signals", "host signals");
    print_counter(r, "callouts", "callouts to the virtual CPU");
    print_counter(r, "sites made callouts", "accesses the host's shorter segments");
    print_failures(r);
    printf("\n");
    print_wrapped(
        "Every shadow segment ends below the monitor (lsl under trap shows the truncated limit; "
        "bt emulates lsl and shows the guest's). An access above it faults natively (#GP, a "
        "host signal); the virtual CPU then runs the instruction with the guest's own segments "
        "and page tables: the right value, at a trap's price. bt retranslates a site that "
        "keeps faulting as a callout (adaptive), so its price falls to a callout's.");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

int demo_paging(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "paging", c.engines, c.host.tsc_mhz);
    printf("prevt demo paging: a shadow MMU's hidden and true faults, A/D bits, a CR3 switch\n\n");
    print_results(r, {{"accessed_after_read", "A set by the read"},
                      {"dirty_after_read", "D still clear"},
                      {"dirty_after_write", "D set by the write"},
                      {"true_faults_seen", "the guest's #PF handler count"},
                      {"cr3_switch_sees", "the new address space's page"}});
    printf("\nWhat each costs (ns per operation):\n");
    print_costs(r, {{"mapped_read", "a page the shadow maps"},
                    {"true_fault", "not present: the guest's #PF"},
                    {"invlpg_refill", "invlpg + a hidden fault"},
                    {"pte_write", "a store into a page table"},
                    {"cr3_switch_8_pages", "mov cr3 + 8 pages touched"}});
    printf("\nWhat the shadow counted (the whole run):\n");
    print_counter(r, "hidden faults", "hidden page faults");
    print_counter(r, "true faults", "true page faults");
    print_counter(r, "invlpg", "shadow: invlpg");
    print_counter(r, "CR3 writes", "shadow: CR3 writes");
    print_counter(r, "pages prefetched", "pages prefetched");
    print_failures(r);
    printf("\n");
    print_wrapped(
        "A hidden fault is one the guest's own tables would not take: the shadow had not yet "
        "mapped the page (first touch, after invlpg or a CR3 write, or a first write that must "
        "set D), so the monitor fills it and resumes, and the guest never knows. A true fault "
        "is the guest's: it reaches its #PF handler (1000 here, as it counted). A and D are set "
        "by the shadow in the guest's PTE: a page is mapped read-only until its first write.");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

}  // namespace prevt::cli::demos
