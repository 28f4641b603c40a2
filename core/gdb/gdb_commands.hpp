// The gdb remote protocol's command set (gdb manual, "Packets", "General Query Packets",
// "Stop Reply Packets"), answered from a DebugTarget: one packet in, one reply out, and what
// the machine must do next. Pure (no socket, no machine): unit-tested with a fake target.
//
// Answered: ? g G p P m M c s (no address argument: resuming elsewhere is refused) Z0 z0 Z1 z1
// (both "stop when EIP reaches X") Z2 z2 (write watchpoints: the guest is single-stepped and
// the watched bytes compared, so a store of the same value goes unseen) D k H (one thread)
// T qSupported qAttached qC qfThreadInfo qsThreadInfo qXfer:features:read:target.xml
// (architecture i386 only: gdb's own i386 description, core + SSE, is the layout above)
// qOffsets (empty: none) vCont? (empty: unsupported, gdb falls back to c and s), qRcmd (gdb's
// `monitor CMD`: the monitor's command, its output as the reply).
// Empty replies (unsupported, as the protocol says): Z3/Z4 (read and access watchpoints:
// nothing sees a read), X (gdb falls back to M), vCont, vRun, qTStatus and every query not
// listed. Error replies: E01 malformed, E14 memory that does not translate (EFAULT), E16 a
// register write the guest's state does not allow.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/debug/debug_target.hpp"

namespace prevt::gdb {

class GdbCommands {
public:
    enum class Next { kReply, kContinue, kStep, kDetach, kKill };
    struct Result {
        Next next = Next::kReply;
        std::string reply;  // sent for kReply and kDetach; none for the others
    };
    explicit GdbCommands(DebugTarget& target) : t_(target) {}

    Result handle(std::string_view packet);
    // Stop replies: the guest stopped with `signal` (5 SIGTRAP, 2 SIGINT); with a watchpoint's
    // address when one fired. `W xx`: the guest's run ended with status xx.
    static std::string stop_reply(int signal, const char* watch_kind = nullptr,
                                  uint32_t watch_address = 0);
    static std::string exit_reply(int status);
    // gdb's `monitor CMD` (qRcmd): runs CMD, returns its output.
    void set_monitor(std::function<std::string(std::string_view)> run) {
        monitor_ = std::move(run);
    }
    // The last stop (for `?`).
    void set_last_stop(std::string reply) { last_stop_ = std::move(reply); }

private:
    std::string query(std::string_view q);
    std::string memory_read(std::string_view args);
    std::string memory_write(std::string_view args);
    std::string stop_point(bool insert, std::string_view args);

    DebugTarget& t_;
    std::string last_stop_ = "S05";
    std::function<std::string(std::string_view)> monitor_;
};

}  // namespace prevt::gdb
