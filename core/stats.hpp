// --stats: what the run cost, by exit kind, by emulated instruction, by host signal, by guest
// event delivered and by device. Printed on stderr when the run ends.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "core/exit.hpp"

namespace prevt {

namespace devices {
class Bus;
}
class Engine;

struct Counter {
    uint64_t count = 0;
    uint64_t nanoseconds = 0;
    void add(uint64_t ns) {
        ++count;
        nanoseconds += ns;
    }
};

class Stats {
public:
    using Clock = std::chrono::steady_clock;

    void exit(ExitReason r, uint64_t ns) { exits_[static_cast<int>(r)].add(ns); }
    void instruction(const std::string& mnemonic, uint64_t ns) { instructions_[mnemonic].add(ns); }
    void host_signal(int sig) { ++signals_[sig]; }
    void event(uint8_t vector, bool software) { ++(software ? software_ : exceptions_)[vector]; }

    void print(FILE* out, const Engine& engine, const devices::Bus& ports, double seconds) const;

private:
    std::array<Counter, static_cast<int>(ExitReason::kCount)> exits_{};
    std::map<std::string, Counter> instructions_;
    std::map<int, uint64_t> signals_;
    std::map<uint8_t, uint64_t> exceptions_, software_;
};

}  // namespace prevt
