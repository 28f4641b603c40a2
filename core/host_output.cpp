#include "core/host_output.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/native/signals.hpp"

namespace prevt {

HostOutput::HostOutput(int fd, bool owned, std::string name)
    : fd_(fd), owned_(owned), name_(std::move(name)) {
    struct stat st {};
    may_block_ = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
}

HostOutput::~HostOutput() {
    if (owned_ && fd_ >= 0) close(fd_);
}

bool HostOutput::wait_writable() {
    if (!may_block_) return true;
    for (;;) {
        int timeout_ms = -1;  // no deadline: as long as the reader needs
        if (deadline_ != Clock::time_point{}) {
            const auto left = deadline_ - Clock::now();
            if (left <= Clock::duration::zero()) return false;
            // Rounded up: poll must not return before the deadline and spin at timeout 0.
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
            timeout_ms = static_cast<int>(std::min<int64_t>(ms, INT_MAX));
        }
        pollfd p{fd_, POLLOUT, 0};
        const int n = poll(&p, 1, timeout_ms);
        if (n > 0) return true;  // writable, or POLLERR/POLLHUP: write() tells which error
        if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // let write() report
        // Timed out or interrupted (the 10 ms host timer): the loop looks at the deadline.
    }
}

void HostOutput::fail(int error) {
    failed_ = true;
    // One line, once. A failing stderr makes this write fail too: nothing more can be done.
    const std::string line = "prevt: " + name_ + ": " + strerror(error) +
                             (error == EPIPE ? " (the reader went away)" : "") +
                             "; further output there is dropped\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

void HostOutput::write(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
        if (failed_ || !wait_writable()) {
            dropped_ += size;
            if (!failed_) native::g_timer_pending.store(true);  // the run loop sees the deadline
            return;
        }
        // At most PIPE_BUF bytes: after POLLOUT a pipe takes that many without blocking.
        const ssize_t n = ::write(fd_, p, std::min<size_t>(size, PIPE_BUF));
        if (n > 0) {
            p += n;
            size -= static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            // Non-blocking and full although poll said writable: a short pause, no spin.
            poll(nullptr, 0, 1);
        } else {
            fail(n < 0 ? errno : EIO);  // n == 0: a device that takes nothing
        }
    }
}

namespace {

ssize_t stream_write(void* cookie, const char* buf, size_t size) {
    static_cast<HostOutput*>(cookie)->write(buf, size);
    return static_cast<ssize_t>(size);  // dropped bytes count as written: stdio stays sane
}

}  // namespace

FILE* HostOutput::open_stream(bool line_buffered) {
    cookie_io_functions_t io{};
    io.write = stream_write;  // no read, seek or close: fclose leaves the descriptor alone
    FILE* f = fopencookie(this, "w", io);
    if (f) setvbuf(f, nullptr, line_buffered ? _IOLBF : _IOFBF, 1 << 16);
    return f;
}

}  // namespace prevt
