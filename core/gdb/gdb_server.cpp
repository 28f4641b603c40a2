// The gdb stub's TCP connection (gdb_server.hpp).
#include "core/gdb/gdb_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"

namespace prevt::gdb {

namespace {

[[noreturn]] void refuse(const std::string& spec, const std::string& why) {
    throw InputError("-gdb " + spec + ": " + why + " (see prevt --help)");
}

}  // namespace

GdbServer::GdbServer(const std::string& spec) {
    // tcp:HOST:PORT or tcp::PORT (QEMU's chardev spelling); a bare PORT is taken too.
    std::string rest = spec;
    if (rest.rfind("tcp:", 0) == 0) rest = rest.substr(4);
    std::string host;
    const size_t colon = rest.rfind(':');
    if (colon != std::string::npos) {
        host = rest.substr(0, colon);
        rest = rest.substr(colon + 1);
    }
    if (rest.empty() || rest.size() > 5 ||
        rest.find_first_not_of("0123456789") != std::string::npos)
        refuse(spec, "expected tcp::PORT with PORT 1..65535");
    const unsigned long port = std::stoul(rest);
    if (port == 0 || port > 65535) refuse(spec, "expected tcp::PORT with PORT 1..65535");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (host.empty() || host == "localhost") host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
        refuse(spec, "the host must be an IPv4 address or localhost, got '" + host + "'");
    listen_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_ < 0) throw HostError(std::string("-gdb: socket: ") + strerror(errno));
    const int one = 1;
    setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted sockets inherit it (Linux): gdb's small packets go out at once.
    setsockopt(listen_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_, 1) != 0) {
        const std::string why = strerror(errno);
        close(listen_);
        listen_ = -1;
        refuse(spec, "cannot listen on " + host + ":" + rest + ": " + why);
    }
    port_ = static_cast<uint16_t>(port);
}

GdbServer::~GdbServer() {
    close_connection();
    if (listen_ >= 0) close(listen_);
}

bool GdbServer::accept_connection(bool wait) {
    if (conn_ >= 0) {  // one at a time: a second gdb is turned away
        const int extra = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (extra >= 0) close(extra);
        return true;
    }
    for (;;) {
        conn_ = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn_ >= 0) {
            decoder_ = RspDecoder();
            last_sent_.clear();
            return true;
        }
        if (!wait || (errno != EAGAIN && errno != EINTR)) return false;
        pollfd p{listen_, POLLIN, 0};
        ::poll(&p, 1, -1);
    }
}

std::vector<RspDecoder::Event> GdbServer::receive(int timeout_ms) {
    std::vector<RspDecoder::Event> events;
    if (conn_ < 0) return events;
    pollfd p{conn_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return events;
    char buf[4096];
    const ssize_t n = read(conn_, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return events;
    if (n <= 0) {  // gdb went away
        close_connection();
        return events;
    }
    for (RspDecoder::Event& e : decoder_.feed(std::string_view(buf, static_cast<size_t>(n)))) {
        switch (e.kind) {
            case RspDecoder::Kind::kPacket: write_all("+"); break;
            case RspDecoder::Kind::kBadPacket: write_all("-"); continue;
            case RspDecoder::Kind::kNack: write_all(last_sent_); continue;
            case RspDecoder::Kind::kAck: continue;
            case RspDecoder::Kind::kInterrupt: break;
        }
        events.push_back(std::move(e));
    }
    return events;
}

void GdbServer::send(std::string_view payload) {
    last_sent_ = frame_packet(payload);
    write_all(last_sent_);
}

void GdbServer::write_all(std::string_view bytes) {
    while (conn_ >= 0 && !bytes.empty()) {
        const ssize_t n = write(conn_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // gdb is gone (SIGPIPE is ignored: process_setup.cpp)
            close_connection();
            return;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

void GdbServer::close_connection() {
    if (conn_ >= 0) close(conn_);
    conn_ = -1;
}

}  // namespace prevt::gdb
