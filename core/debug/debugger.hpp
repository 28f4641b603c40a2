// The link between the machine and its debuggers: the gdb stub (core/gdb/) and the monitor
// (monitor.hpp). It is the DebugTarget both read (the guest's registers; memory through the
// guest's page tables, never touching a device), keeps the stops and hands them to the
// engine (debug_stops.hpp), and decides after each exit whether the guest stops: a
// breakpoint reached, a step done, a watched word changed, Ctrl-C from gdb, the monitor's
// `stop`. While the guest is stopped it serves gdb, the monitor and the serial console until
// one of them lets it run (c, s, D, cont) or ends the run (k, quit, Ctrl-A x).
//
// Watchpoints (Z2, writes): the engine single-steps the guest and the watched bytes are
// compared after each instruction (gdb's stop comes after the store, as on hardware); a store
// of the value already there is not seen, and the run is as slow as stepping (bt: a
// one-instruction block per instruction; trap: a host #DB per instruction).
// Interrupts and timers are held while a step is under way (QEMU's default SSTEP_NOIRQ):
// `stepi` never lands in an interrupt handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/debug/debug_stops.hpp"
#include "core/debug/debug_target.hpp"
#include "core/debug/monitor.hpp"
#include "core/engines/engine.hpp"
#include "core/exit.hpp"
#include "core/gdb/gdb_commands.hpp"
#include "core/gdb/gdb_server.hpp"
#include "core/guest_memory.hpp"

namespace prevt {

struct DebugOptions {
    std::string gdb;               // -gdb tcp::PORT (-s: tcp::1234); empty: no stub
    bool start_stopped = false;    // -S
    bool monitor_stdio = false;    // -monitor stdio
    bool console_monitor = false;  // Ctrl-A c on the serial console
};

class Debugger final : public DebugTarget {
public:
    struct Hooks {
        std::function<bool()> poll_console;  // the serial console while stopped; true: end
        std::function<void()> end_run;       // k, quit: the run ends, status 0
        std::function<void(FILE*)> print_registers, print_stats;
        std::function<void(std::string_view)> console_out;  // the console's monitor output
    };
    // Opens the gdb port (InputError: bad spec, port in use; the engine cannot stop).
    Debugger(const DebugOptions& options, VcpuState& s, GuestMemory& ram, Engine& engine,
             Hooks hooks);

    // Before the first instruction: with -S, serves gdb and the monitor until one resumes.
    void start();
    // After the run loop served exit `x`: stops the guest if a debugger asks, and serves
    // them until it may run again.
    void after_exit(const Exit& x);
    // While hlt waits: gdb's Ctrl-C or the monitor's stop (then the waiting ends).
    bool poll_while_halted();
    bool stepping() const { return stops_.step && user_step_; }  // gdb's step (not a watch)
    // The run ended with `status`: gdb hears `W status`.
    void run_ended(int status);
    // A byte typed at the console in monitor mode (console.hpp); entering shows the prompt.
    void console_monitor_byte(uint8_t b);
    void console_monitor_entered();

    // DebugTarget.
    VcpuState& vcpu() override { return s_; }
    bool read_linear(uint32_t linear, uint8_t* out, uint32_t len) override;
    bool write_linear(uint32_t linear, const uint8_t* in, uint32_t len) override;
    bool read_physical(uint64_t phys, uint8_t* out, uint32_t len) override;
    bool insert_stop(StopKind kind, uint32_t linear, uint32_t len) override;
    bool remove_stop(StopKind kind, uint32_t linear, uint32_t len) override;
    void remove_all_stops() override;

private:
    struct Watch {
        uint32_t linear, len;
        std::vector<uint8_t> last;  // empty: unreadable when last looked
    };
    bool translate(uint32_t linear, uint32_t len, std::vector<std::pair<uint64_t, uint32_t>>* runs);
    void poll_inputs(int timeout_ms);
    void serve_gdb(int timeout_ms);
    void monitor_request(Monitor::Request r);
    void stop(std::string gdb_reply);
    void wait_while_stopped();
    void resume(bool step);
    void apply_stops();
    const Watch* changed_watch();

    VcpuState& s_;
    GuestMemory& ram_;
    Engine& engine_;
    Hooks hooks_;
    std::unique_ptr<gdb::GdbServer> server_;
    gdb::GdbCommands commands_{*this};
    std::unique_ptr<Monitor> stdio_monitor_, console_monitor_, gdb_monitor_;
    std::string gdb_monitor_out_;  // what gdb's `monitor CMD` printed
    DebugStops stops_;
    std::vector<uint32_t> hardware_;  // Z1 (the same mechanism as Z0; counted apart)
    std::vector<uint32_t> software_;  // Z0
    std::vector<Watch> watches_;
    bool running_ = true;
    bool gdb_waiting_ = false;  // gdb sent c or s and waits for the stop reply
    bool user_step_ = false;    // the step is gdb's (else the watchpoints')
    bool stop_requested_ = false;
    bool ended_ = false;
};

}  // namespace prevt
