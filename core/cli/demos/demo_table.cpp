#include "core/cli/demos/demo_table.hpp"

#include <sstream>

namespace prevt::cli::demos {

namespace {

constexpr int kNameWidth = 20, kCellWidth = 10;

// A RESULT value without its leading zeros ("00000003" -> "3").
std::string trim(const std::string& hex) {
    const size_t nz = hex.find_first_not_of('0');
    return nz == std::string::npos ? "0" : hex.substr(nz);
}

void header(const Runs& r, const char* last) {
    printf("  %-*s", kNameWidth, "");
    for (const GuestRun& g : r.runs) printf("%*s", kCellWidth + 1, g.engine.c_str());
    printf("%*s\n", kCellWidth + 1, last);
}

// The note after `used` columns, cut to the width.
void note(int used, const char* text) {
    const int room = kMaxColumns - used - 2;
    if (room > 0 && text && *text) printf("  %.*s", room, text);
    printf("\n");
}

}  // namespace

const GuestRun* Runs::find(const std::string& engine) const {
    for (const GuestRun& g : runs)
        if (g.engine == engine) return &g;
    return nullptr;
}

bool Runs::bt_right() const {
    const GuestRun* bt = find("bt");
    if (!bt) return true;
    for (const auto& [name, v] : bt->results)
        if (v.first != v.second) return false;
    return bt->ok();
}

Runs run_all(const MachineConfig& base, Guest guest, const std::string& section,
             const std::vector<std::string>& engines, double mhz) {
    Runs r;
    r.mhz = mhz;
    for (const std::string& e : engines) r.runs.push_back(run_guest(base, guest, e, section));
    return r;
}

double ns_of(const Runs& r, const std::string& engine, const std::string& op) {
    const GuestRun* g = r.find(engine);
    if (!g || r.mhz <= 0) return -1;
    const auto it = g->cycles.find(op);
    return it == g->cycles.end() ? -1 : it->second * 1000 / r.mhz;
}

std::string format_ns(double ns) {
    char buf[32];
    snprintf(buf, sizeof buf, ns < 10 ? "%.2f" : ns < 100 ? "%.1f" : "%.0f", ns);
    return buf;
}

void print_results(const Runs& r, const std::vector<Row>& rows) {
    header(r, "hardware");
    for (const Row& row : rows) {
        std::string hw = "?";
        for (const GuestRun& g : r.runs)
            if (g.results.count(row.name)) hw = trim(g.results.at(row.name).second);
        printf("  %-*s", kNameWidth, row.name);
        for (const GuestRun& g : r.runs) {
            const auto it = g.results.find(row.name);
            if (it == g.results.end())
                printf("%*s ", kCellWidth, g.ok() ? "-" : g.failure_word.c_str());
            else
                printf("%*s%c", kCellWidth, trim(it->second.first).c_str(),
                       trim(it->second.first) == hw ? ' ' : '!');
        }
        printf("%*s", kCellWidth + 1, hw.c_str());
        note(2 + kNameWidth + (kCellWidth + 1) * (static_cast<int>(r.runs.size()) + 1), row.note);
    }
}

void print_costs(const Runs& r, const std::vector<Row>& rows) {
    const bool ratio = r.find("trap") && r.find("bt");
    header(r, ratio ? "trap/bt" : "");
    for (const Row& row : rows) {
        printf("  %-*s", kNameWidth, row.name);
        for (const GuestRun& g : r.runs) {
            const double ns = ns_of(r, g.engine, row.name);
            const std::string cell = ns >= 0  ? format_ns(ns)
                                     : g.ok() ? std::string("-")
                                              : g.failure_word;
            printf("%*s ", kCellWidth, cell.c_str());
        }
        const double t = ns_of(r, "trap", row.name), b = ns_of(r, "bt", row.name);
        std::string x = "";
        if (ratio && t >= 0 && b > 0) x = format_ns(t / b) + "x";
        printf("%*s", kCellWidth + 1, x.c_str());
        note(2 + kNameWidth + (kCellWidth + 1) * (static_cast<int>(r.runs.size()) + 1), row.note);
    }
}

void print_counter(const Runs& r, const char* label, const char* part) {
    printf("  %-*s", kNameWidth, label);
    for (const GuestRun& g : r.runs) {
        const uint64_t* v = g.counter(part);
        if (v)
            printf("%*llu", kCellWidth + 1, static_cast<unsigned long long>(*v));
        else
            printf("%*s", kCellWidth + 1,
                   g.ok() || !g.counters.empty() ? "-" : g.failure_word.c_str());
    }
    printf("\n");
}

void print_failures(const Runs& r) {
    for (const GuestRun& g : r.runs) {
        if (g.ok()) continue;
        std::string why =
            g.failure_line.empty() ? "status " + std::to_string(g.status) : g.failure_line;
        if (why.rfind("host limit: ", 0) == 0) why = why.substr(12);  // (the word says it)
        print_wrapped(g.engine + " stopped (" + g.failure_word + "): " + why, "  ");
    }
}

void print_wrapped(const std::string& text, const char* indent) {
    std::istringstream words(text);
    std::string line = indent, w;
    const size_t base = line.size();
    while (words >> w) {
        if (line.size() > base && line.size() + 1 + w.size() > kMaxColumns) {
            printf("%s\n", line.c_str());
            line = indent;
        }
        if (line.size() > base) line += ' ';
        line += w;
    }
    if (line.size() > base) printf("%s\n", line.c_str());
}

}  // namespace prevt::cli::demos
