// The machine's side of the gdb stub and the monitor (debugger.hpp).
#include "core/debug/debugger.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/errors.hpp"
#include "core/stop_signals.hpp"

namespace prevt {

namespace {
constexpr int kSigInt = 2, kSigTrap = 5;  // gdb's signal numbers in stop replies
}

Debugger::Debugger(const DebugOptions& options, VcpuState& s, GuestMemory& ram, Engine& engine,
                   Hooks hooks)
    : s_(s), ram_(ram), engine_(engine), hooks_(std::move(hooks)) {
    if (!options.gdb.empty()) {
        if (!engine_.set_debug_stops(stops_))
            throw InputError(std::string("-gdb/-s: the ") + engine_.name() +
                             " engine cannot stop the guest for a debugger on this host (kvm: "
                             "KVM_SET_GUEST_DEBUG refused); use --engine bt or trap (see prevt "
                             "--help)");
        server_ = std::make_unique<gdb::GdbServer>(options.gdb);
    }
    const Monitor::Hooks base{hooks_.print_registers, hooks_.print_stats, nullptr};
    if (server_) {  // gdb's `monitor CMD`: the commands that read (stop and cont are gdb's own)
        Monitor::Hooks h = base;
        h.out = [this](std::string_view text) { gdb_monitor_out_ += text; };
        gdb_monitor_ = std::make_unique<Monitor>(*this, engine_, std::move(h), false);
        commands_.set_monitor([this](std::string_view command) {
            gdb_monitor_out_.clear();
            const Monitor::Request r = gdb_monitor_->execute(command);
            if (r == Monitor::Request::kQuit)
                monitor_request(r);
            else if (r != Monitor::Request::kNone)
                gdb_monitor_out_ += "use gdb's own commands to stop and continue\n";
            return gdb_monitor_out_;
        });
    }
    if (options.monitor_stdio) {
        Monitor::Hooks h = base;
        h.out = [](std::string_view text) {
            fwrite(text.data(), 1, text.size(), stdout);
            fflush(stdout);
        };
        stdio_monitor_ = std::make_unique<Monitor>(*this, engine_, std::move(h), false);
    }
    if (options.console_monitor) {
        Monitor::Hooks h = base;
        h.out = hooks_.console_out;
        console_monitor_ = std::make_unique<Monitor>(*this, engine_, std::move(h), true);
    }
    running_ = !options.start_stopped;
}

void Debugger::start() {
    if (stdio_monitor_) {
        fputs("prevt monitor - type 'help' for more information\n", stdout);
        stdio_monitor_->prompt();
    }
    if (running_) return;
    if (server_)
        fprintf(stderr, "prevt: -S: the guest waits for gdb on port %u%s\n", server_->port(),
                stdio_monitor_ ? " (or the monitor's cont)" : "");
    else
        fprintf(stderr, "prevt: -S: the guest waits for the monitor's cont\n");
    commands_.set_last_stop(gdb::GdbCommands::stop_reply(kSigTrap));
    wait_while_stopped();
}

// ---- Deciding to stop.

void Debugger::after_exit(const Exit& x) {
    if (ended_) return;
    if (x.reason == ExitReason::kTimer) poll_inputs(0);  // Ctrl-C, the monitor
    if (!running_) return wait_while_stopped();
    if (x.reason == ExitReason::kTimer || x.reason == ExitReason::kHandled) return;
    const uint32_t linear = s_.sreg(SegReg::cs).base + s_.eip;
    std::string reply;
    if (stops_.step && user_step_) {
        reply = gdb::GdbCommands::stop_reply(kSigTrap);
    } else if (const Watch* w = changed_watch()) {
        reply = gdb::GdbCommands::stop_reply(kSigTrap, "watch", w->linear);
    } else if (x.reason == ExitReason::kDebugStop && stops_.breakpoints.count(linear)) {
        reply = gdb::GdbCommands::stop_reply(kSigTrap);
    } else {
        return;
    }
    stop(reply);
    wait_while_stopped();
}

const Debugger::Watch* Debugger::changed_watch() {
    const Watch* hit = nullptr;
    for (Watch& w : watches_) {
        std::vector<uint8_t> now(w.len);
        if (!read_linear(w.linear, now.data(), w.len)) now.clear();
        if (now != w.last && !hit) hit = &w;
        w.last = std::move(now);
    }
    return hit;
}

void Debugger::stop(std::string reply) {
    running_ = false;
    commands_.set_last_stop(reply);
    if (gdb_waiting_ && server_ && server_->connected()) server_->send(reply);
    gdb_waiting_ = false;
}

void Debugger::resume(bool step) {
    user_step_ = step;
    apply_stops();
    stops_.step = step || !watches_.empty();
    stops_.resume_set = true;
    stops_.resume_at = s_.sreg(SegReg::cs).base + s_.eip;
    engine_.set_debug_stops(stops_);
    running_ = true;
}

void Debugger::apply_stops() {
    stops_.breakpoints.clear();
    stops_.breakpoints.insert(software_.begin(), software_.end());
    stops_.breakpoints.insert(hardware_.begin(), hardware_.end());
}

// ---- Serving gdb, the monitor and the console.

void Debugger::wait_while_stopped() {
    while (!running_ && !ended_ && !stop_signal()) {
        poll_inputs(10);
        if (!running_ && hooks_.poll_console && hooks_.poll_console()) ended_ = true;
    }
}

bool Debugger::poll_while_halted() {
    poll_inputs(0);
    return !running_ || ended_;
}

void Debugger::poll_inputs(int timeout_ms) {
    pollfd fds[2];
    nfds_t n = 0;
    if (server_) fds[n++] = {server_->wait_fd(), POLLIN, 0};
    if (stdio_monitor_) fds[n++] = {STDIN_FILENO, POLLIN, 0};
    if (n == 0) {
        if (timeout_ms) usleep(static_cast<useconds_t>(timeout_ms) * 1000);
        return;
    }
    const int ready = ::poll(fds, n, timeout_ms);
    if (server_) serve_gdb(0);  // (also when nothing came: a second gdb is turned away)
    if (ready > 0 && stdio_monitor_ && (fds[n - 1].revents & (POLLIN | POLLHUP))) {
        char buf[256];
        const ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
        if (got > 0)
            monitor_request(stdio_monitor_->feed(std::string_view(buf, static_cast<size_t>(got))));
        else if (got == 0 || errno != EINTR)
            stdio_monitor_.reset();  // stdin closed: the monitor is gone, the guest runs on
    }
}

void Debugger::serve_gdb(int timeout_ms) {
    if (!server_->connected()) {
        if (!server_->accept_connection(false)) return;
        // As QEMU: a debugger that connects finds the guest stopped.
        if (running_) stop(gdb::GdbCommands::stop_reply(kSigInt));
    } else {
        server_->accept_connection(false);  // a second gdb waiting: turned away
    }
    for (const gdb::RspDecoder::Event& e : server_->receive(timeout_ms)) {
        if (e.kind == gdb::RspDecoder::Kind::kInterrupt) {
            if (running_) stop(gdb::GdbCommands::stop_reply(kSigInt));
            continue;
        }
        const gdb::GdbCommands::Result r = commands_.handle(e.payload);
        switch (r.next) {
            case gdb::GdbCommands::Next::kReply: server_->send(r.reply); break;
            case gdb::GdbCommands::Next::kContinue:
            case gdb::GdbCommands::Next::kStep:
                gdb_waiting_ = true;
                resume(r.next == gdb::GdbCommands::Next::kStep);
                break;
            case gdb::GdbCommands::Next::kDetach:
                server_->send(r.reply);
                server_->close_connection();
                resume(false);
                break;
            case gdb::GdbCommands::Next::kKill:
                fprintf(stderr, "prevt: killed by gdb\n");
                server_->close_connection();
                ended_ = true;
                hooks_.end_run();
                return;
        }
    }
    if (!server_->connected() && !ended_) {  // gdb went away: the guest runs on, as after D
        remove_all_stops();
        gdb_waiting_ = false;
        if (!running_) resume(false);
    }
}

void Debugger::monitor_request(Monitor::Request r) {
    switch (r) {
        case Monitor::Request::kNone: break;
        case Monitor::Request::kStop:
            if (running_) stop(gdb::GdbCommands::stop_reply(kSigInt));
            break;
        case Monitor::Request::kContinue:
            if (!running_) resume(false);
            break;
        case Monitor::Request::kQuit:
            ended_ = true;
            hooks_.end_run();
            break;
    }
}

void Debugger::console_monitor_entered() {
    if (console_monitor_) console_monitor_->prompt();
}

void Debugger::console_monitor_byte(uint8_t b) {
    if (!console_monitor_) return;
    const char c = static_cast<char>(b);
    monitor_request(console_monitor_->feed(std::string_view(&c, 1)));
}

void Debugger::run_ended(int status) {
    if (!server_ || !server_->connected()) return;
    server_->send(gdb::GdbCommands::exit_reply(status));
    server_->close_connection();
}

}  // namespace prevt
