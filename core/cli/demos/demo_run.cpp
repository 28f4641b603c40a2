#include "core/cli/demos/demo_run.hpp"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/errors.hpp"

extern "C" const unsigned char prevt_demo_guest[];
extern "C" const unsigned char prevt_demo_guest_end[];
extern "C" const unsigned char prevt_teach_guest[];
extern "C" const unsigned char prevt_teach_guest_end[];

namespace prevt::cli::demos {

namespace {

// An embedded guest as a file the loader can open (one memfd per guest, kept for the run).
const std::string& embedded_path(Guest guest) {
    static std::map<Guest, std::string> paths;
    auto& path = paths[guest];
    if (!path.empty()) return path;
    const unsigned char* begin = guest == Guest::kDemo ? prevt_demo_guest : prevt_teach_guest;
    const unsigned char* end = guest == Guest::kDemo ? prevt_demo_guest_end : prevt_teach_guest_end;
    const int fd = memfd_create("prevt-embedded-guest", 0);
    if (fd < 0) throw HostError(std::string("memfd_create: ") + strerror(errno));
    const size_t size = end - begin;
    if (write(fd, begin, size) != static_cast<ssize_t>(size))
        throw HostError("cannot write the embedded guest file");
    path = "/proc/self/fd/" + std::to_string(fd);
    return path;
}

std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) s.append(buf, n);
    close(fd);
    return s;
}

void write_all(int fd, const std::string& s) {
    for (size_t at = 0; at < s.size();) {
        const ssize_t n = write(fd, s.data() + at, s.size() - at);
        if (n <= 0) break;
        at += static_cast<size_t>(n);
    }
}

// The child: one run (its own seccomp filter, irrevocable, as `prevt run` installs: hence a
// process per run); COM1's bytes, then the counters as COUNTER lines, to `out`; its stderr
// is the parent's pipe.
[[noreturn]] void child(MachineConfig config, int out) {
    std::string output;
    config.capture = [&output](uint8_t b) { output.push_back(static_cast<char>(b)); };
    int status = kStatusHostFailure;
    std::ostringstream counters;
    try {
        Machine machine(config);
        status = machine.run();
        for (const auto& [name, v] : machine.engine().counters())
            counters << "COUNTER|" << name << "|" << v << "\n";
        for (int r = 0; r < static_cast<int>(ExitReason::kCount); ++r)
            counters << "COUNTER|exits: " << exit_reason_name(static_cast<ExitReason>(r)) << "|"
                     << machine.stats().exit_count(static_cast<ExitReason>(r)) << "\n";
        counters << "COUNTER|host signals|" << machine.stats().host_signal_count() << "\n";
    } catch (const InputError& e) {
        fprintf(stderr, "prevt: %s\n", e.what());
        status = kStatusBadInput;
    } catch (const std::exception& e) {
        fprintf(stderr, "prevt: %s\n", e.what());
    }
    write_all(out, "\n" + output + "\n" + counters.str());
    fflush(stderr);
    _exit(status);
}

void parse(const std::string& text, GuestRun* run) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::istringstream parts(line);
        for (std::string part; std::getline(parts, part, '|');) f.push_back(part);
        if (f.size() >= 4 && f[0] == "RESULT") {
            if (!run->results.count(f[1])) run->result_order.push_back(f[1]);
            run->results[f[1]] = {f[2], f[3]};
        } else if (f.size() >= 3 && f[0] == "BENCH") {
            run->cycles[f[1]] = std::strtod(f[2].c_str(), nullptr);
        } else if (f.size() == 3 && f[0] == "COUNTER") {
            run->counters[f[1]] = std::strtoull(f[2].c_str(), nullptr, 10);
        }
    }
}

// Why a run failed, in a word, from its status and its first line of error.
void explain_failure(const std::string& errors, const std::string& output, GuestRun* run) {
    if (run->status == 1) return;
    std::istringstream in(errors);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("prevt: ", 0) == 0 && line.find("warning:") == std::string::npos) {
            run->failure_line = line.substr(7);
            break;
        }
    const size_t fault = output.find("unexpected exception");
    if (run->failure_line.empty() && fault != std::string::npos)  // the guest's own report
        run->failure_line = "the guest's " + output.substr(fault, output.find('\n', fault) - fault);
    const std::string& l = run->failure_line;
    if (run->status == kStatusTimeout)
        run->failure_word = "timeout";
    else if (fault != std::string::npos)
        run->failure_word = "exception";
    else if (l.find("host limit") != std::string::npos)
        run->failure_word = "host-limit";
    else if (l.find("cannot open /dev/kvm") != std::string::npos)
        run->failure_word = "no-kvm";
    else if (l.find("cannot recover") != std::string::npos)
        run->failure_word = "cannot";
    else
        run->failure_word = "failed";
}

}  // namespace

const uint64_t* GuestRun::counter(const std::string& part) const {
    for (const auto& [name, v] : counters)
        if (name.find(part) != std::string::npos) return &v;
    return nullptr;
}

GuestRun run_guest(const MachineConfig& base, Guest guest, const std::string& engine,
                   const std::string& section) {
    MachineConfig config = base;
    config.engine = engine;
    config.guest = embedded_path(guest);
    config.cmdline = section;
    config.serial = "capture";
    config.stats = false;
    // Every run takes well under a second; one that hangs (kvm-pvm delivering an interrupt)
    // must not hold the lecture up.
    if (config.timeout_seconds == 0) config.timeout_seconds = 2;
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw HostError(std::string("pipe: ") + strerror(errno));
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw HostError(std::string("fork: ") + strerror(errno));
    if (pid == 0) {
        close(out[0]);
        close(err[0]);
        dup2(err[1], STDERR_FILENO);
        close(err[1]);
        child(config, out[1]);
    }
    close(out[1]);
    close(err[1]);
    GuestRun run;
    run.engine = engine;
    const std::string text = read_all(out[0]);  // (the child writes it all at its end)
    const std::string errors = read_all(err[0]);
    int wst = 0;
    waitpid(pid, &wst, 0);
    run.status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
    parse(text, &run);
    explain_failure(errors, text, &run);
    return run;
}

std::vector<std::string> demo_engines(const std::string& given, bool host_has_kvm) {
    std::vector<std::string> engines;
    if (given.empty()) {
        engines = {"trap", "bt"};
        if (host_has_kvm) engines.push_back("kvm");
        return engines;
    }
    std::istringstream in(given);
    for (std::string e; std::getline(in, e, ',');) {
        if (e != "trap" && e != "bt" && e != "kvm")
            throw InputError("--engine: unknown engine '" + e + "' (known: bt, trap, kvm)");
        engines.push_back(e);
    }
    if (engines.empty()) throw InputError("--engine: no engine given");
    return engines;
}

}  // namespace prevt::cli::demos
