// --stats: what the run cost, by exit kind, by emulated instruction, by host signal, by guest
// event delivered and by device. Printed on stderr when the run ends.
#pragma once

#include <x86intrin.h>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/exit.hpp"

namespace prevt {

namespace devices {
class Bus;
}
class Engine;

// Times are kept in TSC ticks (rdtsc costs a few ns, clock_gettime ~25) and converted to
// ns when printed, with the TSC rate measured then.
struct Counter {
    uint64_t count = 0;
    uint64_t ticks = 0;
    void add(uint64_t t) {
        ++count;
        ticks += t;
    }
};

class Stats {
public:
    using Clock = std::chrono::steady_clock;
    // Exits and instructions are always counted; timed only with --stats (rdtsc in this VM
    // costs ~20 cycles, four of them a callout: a tenth of its price).
    void set_timed(bool on) { timed_ = on; }
    uint64_t ticks() const { return timed_ ? __rdtsc() : 0; }

    void exit(ExitReason r, uint64_t ticks) { exits_[static_cast<int>(r)].add(ticks); }
    // Emulated instructions by Zydis mnemonic (an index, no string work on the hot path).
    void instruction(unsigned mnemonic, uint64_t ticks) {
        if (mnemonic >= instructions_.size()) instructions_.resize(mnemonic + 1);
        instructions_[mnemonic].add(ticks);
    }
    void host_signal(int sig) { ++signals_[sig]; }
    void vcpu_switch(uint64_t ticks) { vcpu_switches_.add(ticks); }  // -smp: the run loop's part
    void event(uint8_t vector, bool software) { ++(software ? software_ : exceptions_)[vector]; }

    void print(FILE* out, const Engine& engine, const devices::Bus& ports, double seconds) const;
    // (for `prevt demo`, which shows the counts beside its figures)
    uint64_t exit_count(ExitReason r) const { return exits_[static_cast<int>(r)].count; }
    uint64_t host_signal_count() const {
        uint64_t n = 0;
        for (const auto& [sig, count] : signals_) n += count;
        return n;
    }

private:
    bool timed_ = false;
    std::array<Counter, static_cast<int>(ExitReason::kCount)> exits_{};
    std::vector<Counter> instructions_;
    Counter vcpu_switches_;
    std::map<int, uint64_t> signals_;
    std::map<uint8_t, uint64_t> exceptions_, software_;
};

}  // namespace prevt
