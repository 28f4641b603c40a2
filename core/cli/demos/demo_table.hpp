// The tables of `prevt demo`: one column per engine, every line at most 100 columns (a
// projector's width), figures in ns converted from the guest's cycles at the measured TSC
// rate, a run that could not produce a figure showing why in a word.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/cli/demos/demo_run.hpp"

namespace prevt::cli::demos {

inline constexpr int kMaxColumns = 100;

struct Row {
    const char* name;  // the guest's RESULT or BENCH name
    const char* note;  // a few words: what the row shows (fits the line)
};

// The runs of one demo and the TSC rate their cycles convert at.
struct Runs {
    std::vector<GuestRun> runs;
    double mhz = 0;
    const GuestRun* find(const std::string& engine) const;
    // bt (the engine that must get everything right) ended as it should and saw what the
    // hardware gives on every row; true when bt did not run.
    bool bt_right() const;
};

// Runs `section` of `guest` on each engine.
Runs run_all(const MachineConfig& base, Guest guest, const std::string& section,
             const std::vector<std::string>& engines, double mhz);

// "what the guest saw" rows: per engine the value ('!' when it differs from the hardware's),
// then the hardware's, then the note.
void print_results(const Runs& r, const std::vector<Row>& rows);
// Cost rows: ns per operation per engine, then trap/bt when both ran, then the note.
void print_costs(const Runs& r, const std::vector<Row>& rows);
// One line per engine that failed: its word and its error, cut to the width.
void print_failures(const Runs& r);
// Counter rows: per engine the value of the first counter whose name contains `part`.
void print_counter(const Runs& r, const char* label, const char* part);

// ns per operation of `op` on `engine` (negative if not measured).
double ns_of(const Runs& r, const std::string& engine, const std::string& op);
// A figure of ns as the tables print it: two significant digits at least ("0.41", "12.3").
std::string format_ns(double ns);
// Lines of `text` wrapped at the width, each prefixed by `indent`.
void print_wrapped(const std::string& text, const char* indent = "");

}  // namespace prevt::cli::demos
