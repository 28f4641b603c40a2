// One host destination of output: the guest's COM1 (--serial stdio|file:PATH), the 0xe9
// debug console, --trace. The output-error policy (docs/testing.md, "Output errors"):
//   - A reader that does not read (a full pipe, a stopped terminal): the write waits, but never
//     past the run's deadline (--timeout). At the deadline the bytes are dropped and the run
//     loop ends the run with status 124. Without --timeout it waits as long as the reader
//     needs, as any Unix program does (no output is lost to a slow `| less`).
//   - EAGAIN (a descriptor another process made non-blocking) is "not writable yet": waited
//     for as a full pipe, never retried in a spin.
//   - Any other write error (EPIPE: the reader went away, SIGPIPE being ignored; ENOSPC:
//     /dev/full or a full disk; EIO): ONE line on stderr naming the output and the error, and
//     from then on this output is dropped. The guest runs on and its exit status is its own,
//     as under QEMU, whose serial backend drops what it cannot write.
// Invariant: write() returns within the deadline, never raises a signal, never throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace prevt {

class HostOutput {
public:
    using Clock = std::chrono::steady_clock;

    // `fd` is written, closed at destruction if `owned`; `name` is for the error line
    // ("COM1 output (stdout)").
    HostOutput(int fd, bool owned, std::string name);
    ~HostOutput();
    HostOutput(const HostOutput&) = delete;
    HostOutput& operator=(const HostOutput&) = delete;

    void write(const void* data, size_t size);
    void put(uint8_t byte) { write(&byte, 1); }
    // Waits for a blocked reader end at `deadline` (Clock::time_point{}: no deadline).
    void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
    // A write error was reported and output is dropped from then on.
    bool failed() const { return failed_; }
    uint64_t dropped_bytes() const { return dropped_; }

    // A stdio stream whose writes go through this output (for --trace, written with fprintf):
    // line-buffered if `line_buffered`, else fully buffered. The caller fcloses it before this
    // output is destroyed; fclose never closes the descriptor.
    FILE* open_stream(bool line_buffered);

private:
    // Waits until the descriptor takes bytes; false when the deadline has passed.
    bool wait_writable();
    void fail(int error);

    int fd_;
    bool owned_;
    std::string name_;
    bool may_block_;  // not a regular file: a pipe, socket or terminal can be full
    bool failed_ = false;
    uint64_t dropped_ = 0;
    Clock::time_point deadline_{};
};

}  // namespace prevt
