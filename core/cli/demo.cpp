#include "core/cli/demo.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/cli/host_facts.hpp"
#include "core/errors.hpp"

extern "C" const unsigned char prevt_demo_guest[];
extern "C" const unsigned char prevt_demo_guest_end[];

namespace prevt::cli {

namespace {

struct Explanation {
    const char* name;
    const char* kind;  // "sensitive" (does not trap at ring 3) or "privileged" (traps)
    const char* why;
};

// One line per instruction: why the trap engine gets it right or wrong.
constexpr Explanation kExplanations[] = {
    {"sgdt", "sensitive", "unprivileged read of GDTR: native code sees the host's (UMIP: a dummy the host kernel returns)"},
    {"sidt", "sensitive", "unprivileged read of IDTR: native code sees the host's (UMIP: a dummy)"},
    {"sldt", "sensitive", "unprivileged read of LDTR: native code sees the host's LDT selector"},
    {"str", "sensitive", "unprivileged read of TR: the host's TR (0x40 on Linux) - equal here only by coincidence"},
    {"smsw", "sensitive", "unprivileged read of CR0's low bits: the host's (UMIP: a dummy), not the guest's"},
    {"pushf", "sensitive", "pushes the real EFLAGS: IF is the host's (1) after the guest's cli"},
    {"popf", "sensitive", "at host ring 3 popf silently ignores IF: the guest cannot disable interrupts"},
    {"lar", "sensitive", "reads access rights of the host's shadow descriptor: DPL 3, not the guest's 0"},
    {"lsl", "sensitive", "reads the limit of the host's shadow descriptor, truncated below the monitor"},
    {"verr", "sensitive", "checks readability against the host LDT, not the guest's GDT"},
    {"verw", "sensitive", "checks writability against the host LDT, not the guest's GDT"},
    {"push_cs", "sensitive", "pushes the host's shadow selector (LDT, RPL 3): ring aliasing"},
    {"pop_ds", "sensitive", "a selector the guest pushed natively is a shadow selector"},
    {"mov_from_cs", "sensitive", "reads the shadow selector (LDT, RPL 3): the guest sees it runs at ring 3"},
    {"mov_to_ds", "sensitive", "the load traps (guest selector is a host GDT selector) and is emulated; reading back shows the shadow"},
    {"lcall", "sensitive", "a far call to a guest selector traps and is emulated; the pushed CS is right"},
    {"lret", "sensitive", "a far return to a guest selector traps and is emulated"},
    {"int", "sensitive", "int n hits a host IDT gate with DPL 0: #GP, emulated through the guest IDT"},
    {"cli", "privileged", "traps (#GP at ring 3) and is emulated on the virtual IF"},
    {"sti", "privileged", "traps and is emulated on the virtual IF"},
    {"in", "privileged", "traps (IOPL 0) and is emulated on the port bus"},
    {"out", "privileged", "traps and is emulated on the port bus"},
    {"lgdt", "privileged", "traps and loads the virtual GDTR"},
    {"mov_cr0", "privileged", "traps and reads/writes the virtual CR0"},
    {"mov_cr3", "privileged", "traps and reads/writes the virtual CR3"},
    {"rdmsr", "privileged", "traps and reads the virtual MSR"},
    {"wrmsr", "privileged", "traps and writes the virtual MSR"},
    {"invlpg", "privileged", "traps and invalidates the virtual TLB entry"},
    {"iret", "privileged", "iret to a guest selector traps and is emulated, restoring the virtual IF"},
};

const Explanation* explain(const std::string& name) {
    for (const auto& e : kExplanations)
        if (name == e.name) return &e;
    return nullptr;
}

struct Row {
    std::string name, saw, hardware;
};

std::vector<Row> parse_results(const std::string& output) {
    std::vector<Row> rows;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("RESULT|", 0) != 0) continue;
        std::vector<std::string> f;
        std::istringstream fields(line);
        std::string part;
        while (std::getline(fields, part, '|')) f.push_back(part);
        if (f.size() >= 4) rows.push_back({f[1], f[2], f[3]});
    }
    return rows;
}

// The embedded guest, as a file the loader can open.
std::string embedded_guest_path() {
    const int fd = memfd_create("prevt-demo-guest", 0);
    if (fd < 0) throw GuestError("cannot create the demo guest file");
    const size_t size = prevt_demo_guest_end - prevt_demo_guest;
    if (write(fd, prevt_demo_guest, size) != static_cast<ssize_t>(size))
        throw GuestError("cannot write the demo guest file");
    return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

int run_demo(const MachineConfig& base) {
    MachineConfig config = base;
    config.guest = embedded_guest_path();
    config.serial = "capture";
    std::string output;
    config.capture = [&output](uint8_t b) { output.push_back(static_cast<char>(b)); };
    if (config.timeout_seconds == 0) config.timeout_seconds = 20;
    const auto t0 = std::chrono::steady_clock::now();
    int status;
    {
        Machine machine(config);
        status = machine.run();
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const std::vector<Row> rows = parse_results(output);
    if (rows.empty()) {
        fprintf(stderr, "prevt: the demo guest printed no results (status %d)\n", status);
        return kStatusGuestFailure;
    }
    const HostFacts host = probe_host();
    printf("prevt demo: x86's sensitive instructions at guest ring 0, engine '%s'\n",
           config.engine.c_str());
    printf("(Robin & Irvine, USENIX Security 2000; host %s, UMIP %s)\n\n", host.cpu_model.c_str(),
           host.umip ? "on: the host kernel fakes sgdt/sidt/sldt/str/smsw at ring 3"
                     : "off: sgdt/sidt/sldt/str/smsw leak the host's real values");
    printf("%-12s %-10s %-12s %-12s %-6s %s\n", "instruction", "kind", "guest saw",
           "ring-0 hw", "", "why");
    int wrong = 0;
    for (const Row& r : rows) {
        const Explanation* e = explain(r.name);
        const bool same = r.saw == r.hardware;
        wrong += !same;
        printf("%-12s %-10s %-12s %-12s %-6s %s\n", r.name.c_str(), e ? e->kind : "?",
               r.saw.c_str(), r.hardware.c_str(), same ? "ok" : "WRONG",
               e ? e->why : "");
    }
    printf("\n%d of %zu instructions gave the guest a different answer than real hardware "
           "(run took %.1f ms).\n",
           wrong, rows.size(), ms);
    printf("The trap engine cannot fix these: they do not trap. Binary translation (--engine bt)\n"
           "rewrites them before they run.\n");
    return status == 1 ? 0 : status;
}

}  // namespace prevt::cli
