// The monitor's commands (monitor.hpp).
#include "core/debug/monitor.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace prevt {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string format(const char* fmt, auto... args) {
    char buf[160];
    snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

}  // namespace

const char* Monitor::help_text() {
    return "help                 this list\n"
           "info registers       the guest's registers\n"
           "info stats           the --stats counters, now\n"
           "info tlb             the shadow MMU's host mappings (guest-linear -> physical)\n"
           "info tc              the translation cache's use (bt)\n"
           "x/FMT ADDR           guest-linear memory (FMT: [COUNT][x][b|h|w])\n"
           "xp/FMT ADDR          guest-physical memory\n"
           "stop                 stop the guest\n"
           "cont | c             let it run again\n"
           "quit | q             end the run (status 0)\n";
}

Monitor::Request Monitor::feed(std::string_view bytes) {
    Request last = Request::kNone;
    for (const char c : bytes) {
        if (c == '\r' || c == '\n') {
            if (echo_) hooks_.out("\n");
            const std::string line = std::move(line_);
            line_.clear();
            const Request r = execute(line);
            if (r != Request::kNone) last = r;
            if (r != Request::kQuit) prompt();
        } else if (c == 0x7f || c == 0x08) {
            if (!line_.empty()) {
                line_.pop_back();
                if (echo_) hooks_.out("\b \b");
            }
        } else if (static_cast<unsigned char>(c) >= 0x20) {
            line_.push_back(c);
            if (echo_) hooks_.out(std::string_view(&c, 1));
        }
    }
    return last;
}

void Monitor::print(const std::function<void(FILE*)>& f) {
    char* text = nullptr;
    size_t size = 0;
    FILE* mem = open_memstream(&text, &size);
    if (!mem) return hooks_.out("monitor: out of memory\n");
    f(mem);
    fclose(mem);
    hooks_.out(std::string_view(text, size));
    free(text);
}

Monitor::Request Monitor::execute(std::string_view line) {
    line = trim(line);
    if (line.empty()) return Request::kNone;
    const size_t space = line.find_first_of(" \t");
    const std::string_view word = line.substr(0, space);
    const std::string_view rest = space == std::string_view::npos ? "" : trim(line.substr(space));
    if (word == "help" || word == "?") {
        hooks_.out(help_text());
    } else if (word == "info") {
        if (rest == "registers")
            print(hooks_.print_registers);
        else if (rest == "stats")
            print(hooks_.print_stats);
        else if (rest == "tlb")
            info_tlb();
        else if (rest == "tc")
            info_tc();
        else
            hooks_.out("info: expected registers, stats, tlb or tc\n");
    } else if (word.substr(0, 2) == "x/" || word == "x") {
        examine(word.size() > 2 ? word.substr(2) : "", rest, false);
    } else if (word.substr(0, 3) == "xp/" || word == "xp") {
        examine(word.size() > 3 ? word.substr(3) : "", rest, true);
    } else if (word == "stop") {
        return Request::kStop;
    } else if (word == "cont" || word == "c") {
        return Request::kContinue;
    } else if (word == "quit" || word == "q") {
        return Request::kQuit;
    } else {
        hooks_.out("unknown command: '" + std::string(word) + "' (try help)\n");
    }
    return Request::kNone;
}

void Monitor::examine(std::string_view fmt, std::string_view address, bool physical) {
    unsigned count = 0, size = 4;
    size_t i = 0;
    for (; i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9'; ++i) {
        count = count * 10 + static_cast<unsigned>(fmt[i] - '0');
        if (count > 4096) return hooks_.out("x: at most 4096 units\n");
    }
    if (!count) count = 1;
    for (; i < fmt.size(); ++i) {
        if (fmt[i] == 'x') continue;
        if (fmt[i] == 'b' || fmt[i] == 'h' || fmt[i] == 'w')
            size = fmt[i] == 'b' ? 1 : fmt[i] == 'h' ? 2 : 4;
        else
            return hooks_.out("x: the format is [COUNT][x][b|h|w]\n");
    }
    const std::string a(address);
    char* end = nullptr;
    const unsigned long long at = strtoull(a.c_str(), &end, 0);
    if (a.empty() || *end || at > 0xffffffffull)
        return hooks_.out("x: expected an address (0x... or decimal) below 4 GiB\n");
    std::vector<uint8_t> bytes(count * size);
    const bool ok = physical
                        ? t_.read_physical(at, bytes.data(), static_cast<uint32_t>(bytes.size()))
                        : t_.read_linear(static_cast<uint32_t>(at), bytes.data(),
                                         static_cast<uint32_t>(bytes.size()));
    if (!ok)
        return hooks_.out(format("Cannot access memory at %s address 0x%llx\n",
                                 physical ? "physical" : "linear", at));
    const unsigned per_line = 16 / size;
    std::string text;
    for (unsigned u = 0; u < count; ++u) {
        if (u % per_line == 0) text += format("%s%08llx:", u ? "\n" : "", at + u * size);
        uint32_t v = 0;
        memcpy(&v, &bytes[u * size], size);
        text += format(" 0x%0*x", static_cast<int>(2 * size), v);
    }
    hooks_.out(text + "\n");
}

void Monitor::info_tlb() {
    const VcpuState& s = t_.vcpu();
    if (!s.paging()) return hooks_.out("paging is off: guest-linear = guest-physical\n");
    const std::vector<Engine::ShadowMapping> maps = engine_.shadow_mappings();
    std::string text = format("%zu pages mapped by the %s engine's shadow MMU (CR3 %08x):\n",
                              maps.size(), engine_.name(), s.cr3);
    for (const Engine::ShadowMapping& m : maps)
        text += format("%08x -> %08x %s%s\n", m.linear, m.frame, m.writable ? "rw" : "ro",
                       m.large ? " (from a 4 MiB page)" : "");
    hooks_.out(text);
}

void Monitor::info_tc() {
    const auto use = engine_.cache_use();
    if (use.empty())
        return hooks_.out(std::string("info tc: the ") + engine_.name() +
                          " engine has no translation cache (bt has)\n");
    std::string text;
    for (const auto& [name, value] : use)
        text += format("%-36s %llu\n", name.c_str(), static_cast<unsigned long long>(value));
    hooks_.out(text);
}

}  // namespace prevt
