// The signals that end a --stats run in order (stop_signals.hpp).
#include "core/stop_signals.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace prevt {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" __attribute__((no_stack_protector)) void prevt_stop_signal(int sig) {
    int none = 0;
    g_signal.compare_exchange_strong(none, sig, std::memory_order_relaxed);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGALRM);  // an exit now
}

}  // namespace

void catch_stop_signals() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    for (int s : kStopSignals) {
        struct sigaction old {};
        if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup
        struct sigaction sa {};
        sa.sa_handler = prevt_stop_signal;
        // SA_RESETHAND: the default action is back once caught (a second one ends prevt at
        // once), and die_by_signal needs no sigaction (the seccomp filter forbids it by then).
        sa.sa_flags = SA_ONSTACK | SA_RESTART | SA_RESETHAND;
        sigfillset(&sa.sa_mask);
        sigaction(s, &sa, nullptr);
    }
}

int stop_signal() {
    return g_signal.load(std::memory_order_relaxed);
}

void die_by_signal(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
}

}  // namespace prevt
