// The remote protocol's packet framing and acks (rsp_framing.hpp).
#include "core/gdb/rsp_framing.hpp"

namespace prevt::gdb {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string to_hex(const uint8_t* bytes, size_t n) {
    std::string s;
    s.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
        s.push_back(kHex[bytes[i] >> 4]);
        s.push_back(kHex[bytes[i] & 15]);
    }
    return s;
}

bool from_hex(std::string_view hex, std::vector<uint8_t>* out) {
    if (hex.size() % 2) return false;
    out->clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return true;
}

std::string frame_packet(std::string_view payload) {
    std::string s = "$";
    uint8_t sum = 0;
    for (const char c : payload) {
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            s.push_back('}');
            sum += '}';
            const char escaped = static_cast<char>(c ^ 0x20);
            s.push_back(escaped);
            sum += static_cast<uint8_t>(escaped);
        } else {
            s.push_back(c);
            sum += static_cast<uint8_t>(c);
        }
    }
    s.push_back('#');
    s.push_back(kHex[sum >> 4]);
    s.push_back(kHex[sum & 15]);
    return s;
}

std::vector<RspDecoder::Event> RspDecoder::feed(std::string_view bytes) {
    std::vector<Event> events;
    for (const char c : bytes) {
        const uint8_t b = static_cast<uint8_t>(c);
        switch (state_) {
            case State::kIdle:
                if (c == '$') {
                    state_ = State::kPayload;
                    payload_.clear();
                    sum_ = 0;
                    bad_digit_ = false;
                } else if (b == 0x03) {
                    events.push_back({Kind::kInterrupt, {}});
                } else if (c == '+') {
                    events.push_back({Kind::kAck, {}});
                } else if (c == '-') {
                    events.push_back({Kind::kNack, {}});
                }
                break;
            case State::kPayload:
                if (c == '#') {
                    state_ = State::kSum1;
                    break;
                }
                sum_ += b;
                if (c == '}')
                    state_ = State::kEscape;
                else
                    payload_.push_back(c);
                break;
            case State::kEscape:
                sum_ += b;
                payload_.push_back(static_cast<char>(b ^ 0x20));
                state_ = State::kPayload;
                break;
            case State::kSum1: {
                const int d = hex_digit(c);
                bad_digit_ = d < 0;
                claimed_ = static_cast<uint8_t>((d < 0 ? 0 : d) << 4);
                state_ = State::kSum2;
                break;
            }
            case State::kSum2: {
                const int d = hex_digit(c);
                const bool ok = !bad_digit_ && d >= 0 && (claimed_ | d) == sum_;
                events.push_back({ok ? Kind::kPacket : Kind::kBadPacket,
                                  ok ? std::move(payload_) : std::string()});
                payload_.clear();
                state_ = State::kIdle;
                break;
            }
        }
    }
    return events;
}

}  // namespace prevt::gdb
