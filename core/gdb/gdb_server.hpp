// The gdb stub's connection: a TCP socket opened by `-gdb tcp:[HOST]:PORT` (`-s`: tcp::1234),
// one gdb at a time, as QEMU's gdbstub. The listening socket is opened when the machine is
// built (a port that does not parse or is in use is bad input: status 2, one line); gdb may
// connect at any time after (accept4 without blocking while the guest runs; -S waits).
// HOST empty means 127.0.0.1 (QEMU listens on every interface; a debugger port gives whoever
// reaches it the guest, and under trap the host process: prevt keeps it local unless told).
//
// Acks: every packet received is acknowledged (+, or - for a bad checksum); a `-` from gdb
// sends the last packet again. Missing: no-ack mode, a second connection (refused while one
// is open: accepted and closed), Unix-domain sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/gdb/rsp_framing.hpp"

namespace prevt::gdb {

class GdbServer {
public:
    explicit GdbServer(const std::string& spec);  // throws InputError
    ~GdbServer();
    GdbServer(const GdbServer&) = delete;
    GdbServer& operator=(const GdbServer&) = delete;

    uint16_t port() const { return port_; }
    bool connected() const { return conn_ >= 0; }
    // The descriptor poll() should watch: the connection, else the listening socket.
    int wait_fd() const { return conn_ >= 0 ? conn_ : listen_; }
    // Takes a waiting connection (`wait`: blocks until one comes); true if connected now.
    bool accept_connection(bool wait);
    // What gdb sent, waiting up to `timeout_ms` (0: what is there); the connection closing
    // ends it (connected() false).
    std::vector<RspDecoder::Event> receive(int timeout_ms);
    void send(std::string_view payload);
    void close_connection();

private:
    void write_all(std::string_view bytes);

    int listen_ = -1, conn_ = -1;
    uint16_t port_ = 0;
    RspDecoder decoder_;
    std::string last_sent_;
};

}  // namespace prevt::gdb
