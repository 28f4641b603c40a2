#include "core/terminal_keys.hpp"

#include <array>

namespace prevt {

namespace {

constexpr uint8_t kBreak = 0xf0, kExtended = 0xe0, kLeftShift = 0x12, kLeftCtrl = 0x14, kEsc = 0x76,
                  kEnter = 0x5a, kBackspace = 0x66, kTab = 0x0d;

// One key: its make code, whether it is extended (0xe0) and the modifier held around it.
struct Key {
    uint8_t code = 0;
    bool extended = false;
    uint8_t modifier = 0;  // 0, kLeftShift or kLeftCtrl
};

// The set 2 make code of each printable ASCII character (0x20-0x7e) and whether it needs
// Shift on a US keyboard.
struct Printable {
    uint8_t code;
    bool shift;
};
constexpr std::array<Printable, 95> kPrintable = {{
    {0x29, false}, {0x16, true},  {0x52, true},  {0x26, true},  {0x25, true},  {0x2e, true},
    {0x3d, true},  {0x52, false}, {0x46, true},  {0x45, true},  {0x3e, true},  {0x55, true},
    {0x41, false}, {0x4e, false}, {0x49, false}, {0x4a, false}, {0x45, false}, {0x16, false},
    {0x1e, false}, {0x26, false}, {0x25, false}, {0x2e, false}, {0x36, false}, {0x3d, false},
    {0x3e, false}, {0x46, false}, {0x4c, true},  {0x4c, false}, {0x41, true},  {0x55, false},
    {0x49, true},  {0x4a, true},  {0x1e, true},  {0x1c, true},  {0x32, true},  {0x21, true},
    {0x23, true},  {0x24, true},  {0x2b, true},  {0x34, true},  {0x33, true},  {0x43, true},
    {0x3b, true},  {0x42, true},  {0x4b, true},  {0x3a, true},  {0x31, true},  {0x44, true},
    {0x4d, true},  {0x15, true},  {0x2d, true},  {0x1b, true},  {0x2c, true},  {0x3c, true},
    {0x2a, true},  {0x1d, true},  {0x22, true},  {0x35, true},  {0x1a, true},  {0x54, false},
    {0x5d, false}, {0x5b, false}, {0x36, true},  {0x4e, true},  {0x0e, false}, {0x1c, false},
    {0x32, false}, {0x21, false}, {0x23, false}, {0x24, false}, {0x2b, false}, {0x34, false},
    {0x33, false}, {0x43, false}, {0x3b, false}, {0x42, false}, {0x4b, false}, {0x3a, false},
    {0x31, false}, {0x44, false}, {0x4d, false}, {0x15, false}, {0x2d, false}, {0x1b, false},
    {0x2c, false}, {0x3c, false}, {0x2a, false}, {0x1d, false}, {0x22, false}, {0x35, false},
    {0x1a, false}, {0x54, true},  {0x5d, true},  {0x5b, true},  {0x0e, true},
}};

// Press and release.
std::vector<uint8_t> stroke(const Key& k) {
    std::vector<uint8_t> out;
    if (k.modifier) out.push_back(k.modifier);
    if (k.extended) out.push_back(kExtended);
    out.push_back(k.code);
    if (k.extended) out.push_back(kExtended);
    out.push_back(kBreak);
    out.push_back(k.code);
    if (k.modifier) {
        out.push_back(kBreak);
        out.push_back(k.modifier);
    }
    return out;
}

std::vector<uint8_t> ascii_key(uint8_t byte) {
    if (byte >= 0x20 && byte <= 0x7e) {
        const Printable p = kPrintable[byte - 0x20];
        return stroke({p.code, false, static_cast<uint8_t>(p.shift ? kLeftShift : 0)});
    }
    switch (byte) {
        case '\r':
        case '\n': return stroke({kEnter});
        case 0x7f:
        case 0x08: return stroke({kBackspace});
        case '\t': return stroke({kTab});
        case 0x1b: return stroke({kEsc});
        default: break;
    }
    if (byte >= 0x01 && byte <= 0x1a)  // Ctrl-A .. Ctrl-Z
        return stroke({kPrintable['a' - 0x20 + byte - 1].code, false, kLeftCtrl});
    return {};
}

}  // namespace

std::vector<uint8_t> TerminalKeys::feed(uint8_t byte) {
    switch (state_) {
        case State::kText:
            if (byte == 0x1b) {
                state_ = State::kEscape;
                return {};
            }
            return ascii_key(byte);
        case State::kEscape:
            if (byte == '[' || byte == 'O') {
                state_ = byte == '[' ? State::kCsi : State::kSs3;
                parameters_.clear();
                return {};
            } else {
                state_ = State::kText;
                std::vector<uint8_t> out = stroke({kEsc});
                const std::vector<uint8_t> next = feed(byte);
                out.insert(out.end(), next.begin(), next.end());
                return out;
            }
        case State::kCsi:
            if ((byte >= '0' && byte <= '9') || byte == ';') {
                if (parameters_.size() < 8) parameters_ += static_cast<char>(byte);
                return {};
            }
            state_ = State::kText;
            return sequence_end(byte);
        case State::kSs3: state_ = State::kText; return sequence_end(byte);
    }
    return {};
}

std::vector<uint8_t> TerminalKeys::sequence_end(uint8_t final_byte) {
    switch (final_byte) {
        case 'A': return stroke({0x75, true});  // up
        case 'B': return stroke({0x72, true});  // down
        case 'C': return stroke({0x74, true});  // right
        case 'D': return stroke({0x6b, true});  // left
        case 'H': return stroke({0x6c, true});  // home
        case 'F': return stroke({0x69, true});  // end
        case 'P': return stroke({0x05});        // F1 (ESC O P)
        case 'Q': return stroke({0x06});        // F2
        case 'R': return stroke({0x04});        // F3
        case 'S': return stroke({0x0c});        // F4
        case '~': break;
        default: return {};
    }
    static constexpr struct {
        const char* n;
        Key key;
    } kTilde[] = {{"1", {0x6c, true}}, {"2", {0x70, true}}, {"3", {0x71, true}},
                  {"4", {0x69, true}}, {"5", {0x7d, true}}, {"6", {0x7a, true}},
                  {"15", {0x03}},      {"17", {0x0b}},      {"18", {0x83}},
                  {"19", {0x0a}},      {"20", {0x01}},      {"21", {0x09}},
                  {"23", {0x78}},      {"24", {0x07}}};
    for (const auto& t : kTilde)
        if (parameters_ == t.n) return stroke(t.key);
    return {};
}

std::vector<uint8_t> TerminalKeys::flush() {
    if (state_ != State::kEscape) return {};
    state_ = State::kText;
    return stroke({kEsc});
}

}  // namespace prevt
