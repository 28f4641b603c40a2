// The monitor console, QEMU's human monitor in miniature: `-monitor stdio` (stdin's lines),
// or Ctrl-A c on the serial console (core/console.hpp switches the terminal between the
// guest and the `(prevt)` prompt). The guest runs on while the monitor is used, as under QEMU.
//
// Commands (QEMU's names): help | info registers | info stats (the --stats counters, live) |
// info tlb (the shadow MMU's host mappings of guest-linear pages) | info tc (bt: the
// translation cache's use) | x/FMT ADDR (guest-linear, through the guest's page tables) |
// xp/FMT ADDR (guest-physical) | stop | cont (c) | quit (q).
// FMT is [COUNT][x][b|h|w] (hexadecimal bytes, halfwords or words; default 1 word).
// Missing: QEMU's other formats (d, u, o, c, i), `info mem`, `system_reset`, `sendkey`,
// savevm/loadvm, command history and completion.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "core/debug/debug_target.hpp"
#include "core/engines/engine.hpp"

namespace prevt {

class Monitor {
public:
    enum class Request { kNone, kStop, kContinue, kQuit };
    struct Hooks {
        std::function<void(FILE*)> print_registers, print_stats;
        std::function<void(std::string_view)> out;  // where replies go
    };
    // `echo`: the input is a raw terminal (the console), so typed bytes are echoed here.
    Monitor(DebugTarget& target, const Engine& engine, Hooks hooks, bool echo)
        : t_(target), engine_(engine), hooks_(std::move(hooks)), echo_(echo) {}

    // Typed bytes; each complete line is executed. Returns the last request a line made.
    Request feed(std::string_view bytes);
    Request execute(std::string_view line);
    void prompt() { hooks_.out("(prevt) "); }
    static const char* help_text();

private:
    void examine(std::string_view format, std::string_view address, bool physical);
    void info_tlb();
    void info_tc();
    void print(const std::function<void(FILE*)>& f);

    DebugTarget& t_;
    const Engine& engine_;
    Hooks hooks_;
    bool echo_;
    std::string line_;
};

}  // namespace prevt
