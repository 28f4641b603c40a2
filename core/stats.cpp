#include "core/stats.hpp"

#include <Zydis/Zydis.h>

#include <chrono>
#include <cstring>

#include "core/engines/engine.hpp"
#include "devices/bus.hpp"

namespace prevt {

const char* exit_reason_name(ExitReason r) {
    static const char* const kNames[] = {
        "emulate",    "exception", "software-int", "io",         "mmio",       "halt",   "timer",
        "memory-map", "shutdown",  "escape",       "host-limit", "debug-stop", "handled"};
    static_assert(sizeof kNames / sizeof kNames[0] == static_cast<int>(ExitReason::kCount));
    return kNames[static_cast<int>(r)];
}

namespace {
double g_ticks_per_ns = 1;

// The TSC rate, measured against CLOCK_MONOTONIC over 20 ms (only when printing).
double measure_ticks_per_ns() {
    const auto t0 = Stats::Clock::now();
    const uint64_t c0 = __rdtsc();
    while (Stats::Clock::now() - t0 < std::chrono::milliseconds(20)) {
    }
    const double ns = std::chrono::duration<double, std::nano>(Stats::Clock::now() - t0).count();
    return (__rdtsc() - c0) / ns;
}

void row(FILE* out, const std::string& name, const Counter& c) {
    const double ns = c.ticks / g_ticks_per_ns;
    const double us = c.count ? ns / 1e3 / c.count : 0;
    fprintf(out, "  %-34s %12llu %14.3f %10.3f\n", name.c_str(),
            static_cast<unsigned long long>(c.count), ns / 1e6, us);
}
}  // namespace

void Stats::print(FILE* out, const Engine& engine, const devices::Bus& ports,
                  double seconds) const {
    g_ticks_per_ns = measure_ticks_per_ns();
    fprintf(out, "prevt statistics (engine %s, %.3f s wall)\n", engine.name(), seconds);
    fprintf(out, "  %-34s %12s %14s %10s\n", "exits by reason", "count", "total ms", "us each");
    for (int i = 0; i < static_cast<int>(ExitReason::kCount); ++i)
        if (exits_[i].count) row(out, exit_reason_name(static_cast<ExitReason>(i)), exits_[i]);
    if (vcpu_switches_.count) row(out, "vCPU switches (-smp)", vcpu_switches_);
    if (!instructions_.empty()) {
        fprintf(out, "  %-34s\n", "emulated instructions");
        for (size_t m = 0; m < instructions_.size(); ++m)
            if (instructions_[m].count)
                row(out, std::string("  ") + ZydisMnemonicGetString(static_cast<ZydisMnemonic>(m)),
                    instructions_[m]);
    }
    if (!signals_.empty()) {
        fprintf(out, "  %-34s\n", "host signals");
        for (const auto& [sig, n] : signals_)
            fprintf(out, "    %-32s %12llu\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                    static_cast<unsigned long long>(n));
    }
    for (const auto* table : {&exceptions_, &software_}) {
        if (table->empty()) continue;
        fprintf(out, "  %s\n",
                table == &exceptions_ ? "exceptions delivered to the guest"
                                      : "software interrupts delivered");
        for (const auto& [v, n] : *table)
            fprintf(out, "    vector 0x%02x %-20s %12llu\n", v, "",
                    static_cast<unsigned long long>(n));
    }
    fprintf(out, "  port I/O by device                       reads       writes\n");
    for (const auto& [base, e] : ports.entries())
        fprintf(out, "    %-16.16s 0x%04llx        %12llu %12llu\n",
                std::string(e.device->name()).c_str(), static_cast<unsigned long long>(base),
                static_cast<unsigned long long>(e.counters.reads),
                static_cast<unsigned long long>(e.counters.writes));
    fprintf(out, "    %-16s             %12llu %12llu\n", "(unassigned)",
            static_cast<unsigned long long>(ports.unassigned().reads),
            static_cast<unsigned long long>(ports.unassigned().writes));
    fprintf(out, "  engine counters\n");
    for (const auto& [name, v] : engine.counters())
        fprintf(out, "    %-38s %12llu\n", name.c_str(), static_cast<unsigned long long>(v));
}

}  // namespace prevt
