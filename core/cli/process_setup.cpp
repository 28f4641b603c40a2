#include "core/cli/process_setup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace prevt::cli {

bool prepare_process() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        // open() returns the lowest free descriptor: `fd` itself, since 0 .. fd-1 are open
        // (made so by the iterations before). O_RDWR: stdin reads EOF, outputs discard.
        const int got = open("/dev/null", O_RDWR);
        if (got < 0) return false;
        if (got != fd) {  // cannot happen (see above); keep the invariant anyway
            if (dup2(got, fd) < 0) return false;
            close(got);
        }
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    return sigaction(SIGPIPE, &ignore, nullptr) == 0;
}

}  // namespace prevt::cli
