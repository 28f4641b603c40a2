// The gdb remote serial protocol's framing (gdb manual, "Overview" of the Remote Protocol):
// packets `$payload#cs` where cs is the payload's byte sum modulo 256 in two hex digits,
// acknowledged with `+` (good) or `-` (checksum wrong: send it again), and the out-of-band
// interrupt request 0x03 (gdb's Ctrl-C). Payload bytes `#`, `$`, `}` and `*` are escaped as
// `}` followed by the byte XOR 0x20 (binary data; gdb escapes `X` packets so).
//
// Missing: run-length encoding of replies (optional for a stub; gdb decodes it but never
// requires it) and QStartNoAckMode (acks are always sent). Ignored: bytes between packets
// other than 0x03, `+` and `-` (gdb sends none).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prevt::gdb {

// One framed packet ready to send: `$` payload (escaped) `#` checksum.
std::string frame_packet(std::string_view payload);

// Turns a byte stream from gdb into events. Pure: the socket is gdb_server's.
class RspDecoder {
public:
    enum class Kind { kPacket, kBadPacket, kInterrupt, kAck, kNack };
    struct Event {
        Kind kind;
        std::string payload;  // kPacket: unescaped
    };
    // Feeds received bytes; returns the events they complete, in order.
    std::vector<Event> feed(std::string_view bytes);

private:
    enum class State { kIdle, kPayload, kEscape, kSum1, kSum2 };
    State state_ = State::kIdle;
    std::string payload_;
    uint8_t sum_ = 0;      // of the raw payload bytes as received
    uint8_t claimed_ = 0;  // the checksum's first digit, then both
    bool bad_digit_ = false;
};

// Hex helpers shared by the command set.
std::string to_hex(const uint8_t* bytes, size_t n);
bool from_hex(std::string_view hex, std::vector<uint8_t>* out);  // false: odd length or not hex
int hex_digit(char c);                                           // -1 if not a hex digit

}  // namespace prevt::gdb
