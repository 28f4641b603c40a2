// SIGINT, SIGTERM and SIGHUP end a --stats run through its ordinary end, so that the
// statistics are printed however the run ends (issue 17): the handler records the signal and
// sends the process the guest timer's SIGALRM, whose exit brings the run loop back (guest code
// is left at an exact point); the run loop stops, --stats prints, then the process dies by the
// same signal (die_by_signal), so its parent sees what it would have seen without prevt.
// Without --stats the signals keep their default action (or the console's: core/console.hpp).
// With --stats these handlers take the console's place for the three signals: the terminal is
// put back by Machine::run before the death; a second signal before that (its default action
// is back) ends prevt at once, leaving a raw terminal raw.
//
// Invariant: the handler is async-signal-safe while guest code holds FS/GS: one atomic store
// and three system calls made by glibc's syscall() (assembly: no stack protector, no TLS but
// errno on failure, and getpid, gettid and tgkill to itself do not fail); SA_ONSTACK, since
// the guest's stack is not the monitor's.
#pragma once

namespace prevt {

void catch_stop_signals();  // idempotent
int stop_signal();          // the signal caught, 0 if none
// Raises the caught signal again, its default action back (SA_RESETHAND): the process ends.
void die_by_signal(int sig);

}  // namespace prevt
