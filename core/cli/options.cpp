#include "core/cli/options.hpp"

#include <cstdlib>

#include "core/errors.hpp"

namespace prevt::cli {

namespace {

uint64_t parse_mib(const std::string& v) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = strtoull(v.c_str(), &end, 10);
    if (v.empty() || end == v.c_str() || errno)
        throw InputError("-m/--mem: not a size: '" + v + "'");
    std::string suffix(end);
    uint64_t mib = n;
    if (suffix == "G" || suffix == "g")
        mib = n * 1024;
    else if (!(suffix.empty() || suffix == "M" || suffix == "m"))
        throw InputError("-m/--mem: unknown size suffix in '" + v + "' (use M or G)");
    if (mib < 2 || mib > 3072) throw InputError("-m/--mem: " + v + " is outside 2 MiB .. 3 GiB");
    return mib;
}

double parse_seconds(const std::string& v) {
    char* end = nullptr;
    const double d = strtod(v.c_str(), &end);
    if (v.empty() || *end || !(d > 0) || d > 1e7)
        throw InputError("--timeout: expected a positive number of seconds, got '" + v + "'");
    return d;
}

uint32_t parse_kib(const std::string& v) {
    char* end = nullptr;
    const unsigned long n = strtoul(v.c_str(), &end, 10);
    if (v.empty() || *end || n == 0 || n > (1u << 22))
        throw InputError("--tc-size: expected a size in KiB, got '" + v + "'");
    return static_cast<uint32_t>(n);
}

}  // namespace

const char* usage_text() {
    return R"(usage: prevt run [options] GUEST     run a Multiboot v1 ELF guest
       prevt demo [--engine E]         the sensitive-instruction demo (a built-in guest)
       prevt host                      what this host offers (CPUID faulting, UMIP, KVM)
       prevt table                     how the binary translator classifies instructions
       prevt --help | --version

options of run:
  --engine trap|bt|kvm   execution engine (default bt)
                         bt: all guest code runs from a translation cache (contained).
                         kvm: the host's KVM (on a host without VT-x/SVM only what KVM's
                         instruction emulator can run; the rest stops with "host limit").
                         trap: guest code runs natively at host ring 3 and privileged
                         instructions trap and are emulated. The trap engine is NOT
                         CONTAINED: a hostile guest can jump into the host's 64-bit code
                         segment. Run only trusted guests with it.
  -m, --mem MIB          guest RAM in MiB (suffix M or G; default 128)
  --append CMDLINE       the Multiboot command line (default: the guest's path)
  --serial stdio|none|file:PATH
                         where COM1's output goes (default stdio)
  --stats                print exit, trap, signal and device statistics on stderr
  --trace LIST           comma-separated: int, exec (trap), trap, io, in_asm, out_asm (bt), as QEMU's -d
  --trace-file PATH      write the trace there instead of stderr
  --timeout SECONDS      stop the guest after that long (exit status 124)
  --tc-size KIB          bt: limit the translation cache (flushed when full; default ~31 MiB)

exit status: (V << 1) | 1 when the guest writes V to port 0xf4 (isa-debug-exit); 0 when the
guest powers off; 2 for bad input; 3 when the guest fails (triple fault, unsupported state);
124 on --timeout.
)";
}

Command parse_command_line(const std::vector<std::string>& args) {
    Command c;
    if (args.empty()) throw InputError("no command given (try prevt --help)");
    c.verb = args[0];
    if (c.verb == "--help" || c.verb == "-h" || c.verb == "help") {
        c.verb = "help";
        return c;
    }
    if (c.verb == "--version") {
        c.verb = "version";
        return c;
    }
    if (c.verb != "run" && c.verb != "demo" && c.verb != "host" && c.verb != "table")
        throw InputError("unknown command '" + c.verb + "' (known: run, demo, host, table)");
    MachineConfig& m = c.machine;
    for (size_t i = 1; i < args.size(); ++i) {
        std::string a = args[i], value;
        const size_t eq = a.find('=');
        const bool has_eq = a.rfind("--", 0) == 0 && eq != std::string::npos;
        if (has_eq) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        }
        auto need = [&]() -> std::string {
            if (has_eq) return value;
            if (i + 1 >= args.size()) throw InputError(a + ": missing value");
            return args[++i];
        };
        if (a == "--engine")
            m.engine = need();
        else if (a == "-m" || a == "--mem")
            m.mem_mib = parse_mib(need());
        else if (a == "--append")
            m.cmdline = need();
        else if (a == "--serial")
            m.serial = need();
        else if (a == "--stats")
            m.stats = true;
        else if (a == "--trace")
            m.trace = need();
        else if (a == "--trace-file")
            m.trace_file = need();
        else if (a == "--timeout")
            m.timeout_seconds = parse_seconds(need());
        else if (a == "--tc-size")
            m.tc_kib = parse_kib(need());
        else if (a == "--help" || a == "-h")
            c.verb = "help";
        else if (!a.empty() && a[0] == '-')
            throw InputError("unknown option '" + a + "'");
        else if (c.verb == "run" && m.guest.empty())
            m.guest = a;
        else
            throw InputError("unexpected argument '" + a + "'");
    }
    if (c.verb == "run" && m.guest.empty())
        throw InputError("run: no guest given (prevt run GUEST.elf)");
    if (m.engine != "trap" && m.engine != "bt" && m.engine != "kvm")
        throw InputError("--engine: unknown engine '" + m.engine + "' (known: bt, trap, kvm)");
    return c;
}

}  // namespace prevt::cli
