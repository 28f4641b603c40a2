// The machine's debuggers (core/debug/debugger.hpp): the gdb stub (-gdb, -s, -S) and the
// monitor (-monitor stdio, or Ctrl-A c on the serial console), wired to the machine's state,
// its console and its statistics.
#include <chrono>
#include <cstdio>
#include <cstring>

#include "core/errors.hpp"
#include "core/machine.hpp"

namespace prevt {

// Only when asked for (or a console that can reach the monitor): a debugger looks at every
// exit and keeps the guest timer running.
void Machine::build_debugger() {
    const bool monitor = config_.monitor == "stdio" || console_;
    if (config_.gdb.empty() && !monitor) {
        if (config_.start_stopped)
            throw InputError(
                "-S: nothing could start the guest (add -s, -gdb tcp::PORT or -monitor stdio; "
                "see prevt --help)");
        return;
    }
    DebugOptions o;
    o.gdb = config_.gdb;
    o.start_stopped = config_.start_stopped;
    o.monitor_stdio = config_.monitor == "stdio";
    o.console_monitor = console_ != nullptr;
    Debugger::Hooks h;
    h.poll_console = [this] {
        poll_serial_input();
        return stop_;
    };
    h.end_run = [this] {
        exit_status_ = kStatusPowerOff;
        stop_ = true;
    };
    h.print_registers = [this](FILE* out) { dump_registers(out); };
    h.print_stats = [this](FILE* out) { print_stats(out); };
    h.console_out = [o = com1_output_.get()](std::string_view text) {
        if (o) o->write(text.data(), text.size());
    };
    debugger_ = std::make_unique<Debugger>(o, vcpu_, ram_, *engine_, std::move(h));
    if (console_)
        console_->set_monitor([d = debugger_.get()](uint8_t b) { d->console_monitor_byte(b); },
                              [d = debugger_.get()] { d->console_monitor_entered(); });
}

void Machine::print_stats(FILE* out) const {
    const double secs = std::chrono::duration<double>(Stats::Clock::now() - started_).count();
    stats_.print(out, *engine_, ports_, secs);
}

}  // namespace prevt
