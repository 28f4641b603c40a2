// `prevt demo sensitive`: x86's sensitive-but-unprivileged instructions (Robin & Irvine, USENIX
// Security 2000) and the common privileged ones at guest CPL 0 (the guest tests/guests/demo):
// what each engine's guest saw beside what ring-0 hardware returns; then what the paths cost
// (the teaching guest's "sensitive" section).
#include "core/cli/demos/demo_table.hpp"
#include "core/cli/demos/demos.hpp"

namespace prevt::cli::demos {

namespace {

// What trap gets wrong, or why it gets it right, in a few words (the table's last column).
// clang-format off
const std::vector<Row> kSensitive = {
    {"sgdt", "host's GDTR (or UMIP's dummy)"},
    {"sidt", "host's IDTR (or UMIP's dummy)"},
    {"sldt", "the host's LDT selector"},
    {"str", "host's TR: equal by coincidence"},
    {"smsw", "host's CR0 bits (or a dummy)"},
    {"pushf", "host's IF (1) after the cli"},
    {"popf", "IF change ignored at CPL 3"},
    {"lar", "host shadow descriptor's rights"},
    {"lsl", "shadow limit: below the monitor"},
    {"verr", "checked in the host's tables"},
    {"verw", "checked in the host's tables"},
    {"push_cs", "shadow selector: LDT, RPL 3"},
    {"pop_ds", "the shadow selector comes back"},
    {"mov_from_cs", "shadow selector: CPL 3 shows"},
    {"mov_to_ds", "load traps; reads back shadow"},
    {"lcall", "traps, emulated: right CS"},
    {"lret", "traps, emulated"},
    {"int", "DPL 0 host gate: #GP, emulated"},
};
const std::vector<Row> kPrivileged = {
    {"cli", "traps: the virtual IF"},
    {"sti", "traps: the virtual IF"},
    {"in", "traps (IOPL 0): the port bus"},
    {"out", "traps: the port bus"},
    {"lgdt", "traps: the virtual GDTR"},
    {"mov_cr0", "traps: the virtual CR0"},
    {"mov_cr3", "traps: the virtual CR3"},
    {"rdmsr", "traps: the virtual MSR"},
    {"wrmsr", "traps: the virtual MSR"},
    {"invlpg", "traps: the shadow's entry"},
    {"iret", "traps: restores the virtual IF"},
};
const std::vector<Row> kCosts = {
    {"cli_sti", "privileged: trap vs 2 stores"},
    {"in_port", "privileged: trap vs callout"},
    {"sgdt", "sensitive: native vs emulated"},
    {"pushf", "sensitive: native vs rewritten"},
    {"read_cs", "sensitive: native vs rewritten"},
    {"call_ret", "ordinary code, native speed"},
};
// clang-format on

// Wrong answers among the rows the run produced.
int wrong(const GuestRun& g, const std::vector<Row>& rows) {
    int n = 0;
    for (const Row& row : rows) {
        const auto it = g.results.find(row.name);
        n += it != g.results.end() && it->second.first != it->second.second;
    }
    return n;
}

}  // namespace

int demo_sensitive(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kDemo, "demo", c.engines, c.host.tsc_mhz);
    printf(
        "prevt demo sensitive: x86's sensitive instructions at guest CPL 0 (Robin & Irvine "
        "2000)\n");
    printf("host: %.90s\n", c.host.cpu_model.c_str());
    printf("UMIP %s\n\n", c.host.umip
                              ? "on: the host kernel answers sgdt/sidt/smsw at CPL 3 with dummies"
                              : "off: sgdt/sidt/smsw at CPL 3 read the host's own registers");
    printf("Sensitive, not privileged: no trap at CPL 3, so trap-and-emulate never sees them\n");
    print_results(r, kSensitive);
    printf("Privileged: they trap at CPL 3 and are emulated\n");
    print_results(r, kPrivileged);
    std::vector<Row> all = kSensitive;
    all.insert(all.end(), kPrivileged.begin(), kPrivileged.end());
    printf("\n'!' marks a wrong answer:");
    for (const GuestRun& g : r.runs) {
        printf(" %s %d of %zu", g.engine.c_str(), wrong(g, all), g.results.size());
        if (!g.ok()) printf(" (then %s)", g.failure_word.c_str());
        printf("%s", &g == &r.runs.back() ? ".\n" : ";");
    }
    print_failures(r);
    print_wrapped(
        "trap cannot fix the sensitive ones: they never trap. bt rewrites them before they run.");

    const Runs cost = run_all(c.base, Guest::kTeach, "sensitive", c.engines, c.host.tsc_mhz);
    printf("\nWhat each path costs here (ns per operation, measured in the guest, TSC %.0f MHz):\n",
           c.host.tsc_mhz);
    print_costs(cost, kCosts);
    print_failures(cost);
    print_wrapped("trap pays a host signal per privileged instruction; bt a callout or nothing.");
    const GuestRun* bt = r.find("bt");
    return bt && (!bt->ok() || wrong(*bt, all) || bt->results.size() != all.size())
               ? kStatusGuestFailure
               : 0;
}

}  // namespace prevt::cli::demos
