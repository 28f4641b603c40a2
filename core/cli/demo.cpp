#include "core/cli/demo.hpp"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/cli/host_facts.hpp"
#include "core/errors.hpp"

extern "C" const unsigned char prevt_demo_guest[];
extern "C" const unsigned char prevt_demo_guest_end[];
extern "C" const unsigned char prevt_nanobench_guest[];
extern "C" const unsigned char prevt_nanobench_guest_end[];

namespace prevt::cli {

namespace {

struct Explanation {
    const char* name;
    const char* kind;  // "sensitive" (does not trap at ring 3) or "privileged" (traps)
    const char* why;
};

// One line per instruction: why the trap engine gets it right or wrong.
// clang-format off
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
// clang-format on

const Explanation* explain(const std::string& name) {
    for (const auto& e : kExplanations)
        if (name == e.name) return &e;
    return nullptr;
}

struct Row {
    std::string name, saw, hardware;
};

// Lines "PREFIX|a|b|c..." of a guest's output, split on '|'.
std::vector<std::vector<std::string>> fields(const std::string& output, const std::string& prefix) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(prefix + "|", 0) != 0) continue;
        std::vector<std::string> f;
        std::istringstream parts(line);
        std::string part;
        while (std::getline(parts, part, '|')) f.push_back(part);
        rows.push_back(f);
    }
    return rows;
}

// An embedded guest, as a file the loader can open.
std::string embedded_guest_path(const unsigned char* begin, const unsigned char* end) {
    const int fd = memfd_create("prevt-embedded-guest", 0);
    if (fd < 0) throw GuestError("cannot create the embedded guest file");
    const size_t size = end - begin;
    if (write(fd, begin, size) != static_cast<ssize_t>(size))
        throw GuestError("cannot write the embedded guest file");
    return "/proc/self/fd/" + std::to_string(fd);
}

// Runs one embedded guest on one engine in a child process (each run installs its own
// seccomp filter, irrevocable, as `prevt run` does: the demo's next run must still be able
// to load its guest); returns its COM1 output, sent back through a pipe.
std::string run_guest(const MachineConfig& base, const std::string& engine, const std::string& path,
                      int* status) {
    MachineConfig config = base;
    config.engine = engine;
    config.guest = path;
    config.serial = "capture";
    std::string output;
    config.capture = [&output](uint8_t b) { output.push_back(static_cast<char>(b)); };
    if (config.timeout_seconds == 0) config.timeout_seconds = 60;
    int fds[2];
    if (pipe(fds) != 0) throw HostError(std::string("pipe: ") + strerror(errno));
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw HostError(std::string("fork: ") + strerror(errno));
    if (pid == 0) {  // the child: one run, its output to the pipe, its status
        close(fds[0]);
        int st = kStatusHostFailure;
        try {
            Machine machine(config);
            st = machine.run();
        } catch (const std::exception& e) {
            fprintf(stderr, "prevt: %s\n", e.what());
        }
        for (size_t at = 0; at < output.size();) {
            const ssize_t n = write(fds[1], output.data() + at, output.size() - at);
            if (n <= 0) break;
            at += static_cast<size_t>(n);
        }
        _exit(st);
    }
    close(fds[1]);
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) output.append(buf, n);
    close(fds[0]);
    int wst = 0;
    waitpid(pid, &wst, 0);
    *status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
    return output;
}

}  // namespace

int run_demo(const MachineConfig& base) {
    const HostFacts host = probe_host();
    const std::string demo = embedded_guest_path(prevt_demo_guest, prevt_demo_guest_end);
    const std::string bench = embedded_guest_path(prevt_nanobench_guest, prevt_nanobench_guest_end);
    int status = 0;
    const std::vector<std::string> engines = {"trap", "bt"};
    std::map<std::string, std::map<std::string, std::string>> saw;  // engine -> name -> value
    std::vector<Row> rows;
    for (const std::string& engine : engines) {
        const std::string out = run_guest(base, engine, demo, &status);
        if (status != 1) {
            fprintf(stderr, "prevt: the demo guest failed under the %s engine (status %d)\n",
                    engine.c_str(), status);
            return kStatusGuestFailure;
        }
        for (const auto& f : fields(out, "RESULT")) {
            if (f.size() < 4) continue;
            saw[engine][f[1]] = f[2];
            if (engine == engines[0]) rows.push_back({f[1], f[2], f[3]});
        }
    }
    printf(
        "prevt demo: x86's sensitive instructions at guest ring 0, trap-and-emulate vs binary "
        "translation\n(Robin & Irvine, USENIX Security 2000; host %s, UMIP %s)\n\n",
        host.cpu_model.c_str(),
        host.umip ? "on: the host kernel fakes sgdt/sidt/sldt/str/smsw at ring 3"
                  : "off: sgdt/sidt/sldt/str/smsw leak the host's real values");
    printf("%-12s %-10s %-10s %-10s %-10s %s\n", "instruction", "kind", "trap saw", "bt saw",
           "ring-0 hw", "why trap-and-emulate gets it wrong (or right)");
    int wrong_trap = 0, wrong_bt = 0;
    for (const Row& r : rows) {
        const Explanation* e = explain(r.name);
        const std::string& t = saw["trap"][r.name];
        const std::string& b = saw["bt"][r.name];
        wrong_trap += t != r.hardware;
        wrong_bt += b != r.hardware;
        printf("%-12s %-10s %-9s%s %-9s%s %-10s %s\n", r.name.c_str(), e ? e->kind : "?", t.c_str(),
               t == r.hardware ? " " : "!", b.c_str(), b == r.hardware ? " " : "!",
               r.hardware.c_str(), e ? e->why : "");
    }
    printf("\n'!' marks a wrong answer. trap: %d of %zu wrong; bt: %d of %zu wrong.\n", wrong_trap,
           rows.size(), wrong_bt, rows.size());
    printf(
        "The trap engine cannot fix them: they do not trap. The translator rewrites them before "
        "they run.\n\n");

    // The cost of each path, measured now, on this machine (bench/guests/nanobench.c).
    std::map<std::string, std::map<std::string, std::string>> cycles;
    for (const std::string& engine : engines)
        for (const auto& f : fields(run_guest(base, engine, bench, &status), "BENCH"))
            if (f.size() >= 3) cycles[engine][f[1]] = f[2];
    printf("What each path costs here (guest-measured, ns per operation at %.0f MHz TSC):\n",
           host.tsc_mhz);
    printf("  %-16s %12s %12s\n", "operation", "trap", "bt");
    for (const char* op : {"cli_sti", "in_port", "int80_iret", "divide_by_zero", "call_ret"}) {
        auto ns = [&](const std::string& e) {
            const auto it = cycles[e].find(op);
            if (it == cycles[e].end() || host.tsc_mhz <= 0) return std::string("-");
            char buf[32];
            snprintf(buf, sizeof buf, "%.0f", std::stod(it->second) * 1000 / host.tsc_mhz);
            return std::string(buf);
        };
        printf("  %-16s %12s %12s\n", op, ns("trap").c_str(), ns("bt").c_str());
    }
    printf("(trap: a host signal per privileged instruction; bt: a callout, no signal.)\n");
    return wrong_bt == 0 ? 0 : kStatusGuestFailure;
}

}  // namespace prevt::cli
