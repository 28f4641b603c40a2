// The remote protocol's commands over a DebugTarget (gdb_commands.hpp).
#include "core/gdb/gdb_commands.hpp"

#include <cstdio>
#include <vector>

#include "core/gdb/gdb_registers.hpp"
#include "core/gdb/rsp_framing.hpp"

namespace prevt::gdb {

namespace {

constexpr uint32_t kMaxTransfer = 0x1000;  // bytes per m/M (PacketSize 0x4000 hex digits)
constexpr char kTargetXml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target><architecture>i386</architecture></target>";

// A hexadecimal number at the start of `s`, up to `stop` (or the end); false if none.
bool parse_hex(std::string_view& s, uint64_t* out, char stop = 0) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] != stop; ++i) {
        const int d = hex_digit(s[i]);
        if (d < 0 || v >> 60) return false;
        v = v << 4 | static_cast<unsigned>(d);
    }
    if (i == 0) return false;
    *out = v;
    s.remove_prefix(i < s.size() ? i + 1 : i);  // and the separator
    return true;
}

bool starts(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string GdbCommands::stop_reply(int signal, const char* watch_kind, uint32_t watch_address) {
    char r[64];
    if (watch_kind)
        snprintf(r, sizeof r, "T%02x%s:%x;thread:01;", signal, watch_kind, watch_address);
    else
        snprintf(r, sizeof r, "T%02xthread:01;", signal);
    return r;
}

std::string GdbCommands::exit_reply(int status) {
    char r[8];
    snprintf(r, sizeof r, "W%02x", status & 0xff);
    return r;
}

GdbCommands::Result GdbCommands::handle(std::string_view p) {
    Result r;
    if (p.empty()) return r;
    const char cmd = p[0];
    std::string_view args = p.substr(1);
    switch (cmd) {
        case '?': r.reply = last_stop_; break;
        case 'g': {
            const std::vector<uint8_t> regs = read_all_registers(t_.vcpu());
            r.reply = to_hex(regs.data(), regs.size());
            break;
        }
        case 'G': {
            std::vector<uint8_t> bytes;
            if (!from_hex(args, &bytes))
                r.reply = "E01";
            else
                r.reply = write_all_registers(t_.vcpu(), bytes) ? "OK" : "E16";
            break;
        }
        case 'p': {
            uint64_t n = 0;
            if (!parse_hex(args, &n) || !register_size(static_cast<int>(n))) {
                r.reply = "E01";
                break;
            }
            uint8_t v[16];
            read_register(t_.vcpu(), static_cast<int>(n), v);
            r.reply = to_hex(v, register_size(static_cast<int>(n)));
            break;
        }
        case 'P': {
            uint64_t n = 0;
            std::vector<uint8_t> v;
            if (!parse_hex(args, &n, '=') || !from_hex(args, &v) ||
                v.size() != register_size(static_cast<int>(n))) {
                r.reply = "E01";
                break;
            }
            r.reply = write_register(t_.vcpu(), static_cast<int>(n), v.data()) ? "OK" : "E16";
            break;
        }
        case 'm': r.reply = memory_read(args); break;
        case 'M': r.reply = memory_write(args); break;
        case 'c':
        case 's':
            if (!args.empty()) {  // resuming at another address: not offered
                r.reply = "E01";
                break;
            }
            r.next = cmd == 'c' ? Next::kContinue : Next::kStep;
            break;
        case 'Z':
        case 'z': r.reply = stop_point(cmd == 'Z', args); break;
        case 'D':
            t_.remove_all_stops();
            r.next = Next::kDetach;
            r.reply = "OK";
            break;
        case 'k': r.next = Next::kKill; break;
        case 'H': r.reply = "OK"; break;  // one thread: any selection is it
        case 'T': r.reply = "OK"; break;  // thread 1 is alive
        case 'q': r.reply = query(args); break;
        case 'v':
            if (args == "Cont?" || starts(args, "MustReplyEmpty")) r.reply = "";
            break;
        default: break;  // unsupported: the empty reply
    }
    return r;
}

std::string GdbCommands::query(std::string_view q) {
    if (starts(q, "Supported")) return "PacketSize=4000;qXfer:features:read+";
    if (q == "Attached") return "1";  // attached to an existing process: k is a kill
    if (q == "C") return "QC01";
    if (q == "fThreadInfo") return "m01";
    if (q == "sThreadInfo") return "l";
    if (starts(q, "Rcmd,")) {
        std::vector<uint8_t> command;
        if (!from_hex(q.substr(5), &command)) return "E01";
        if (!monitor_) return "";
        const std::string out = monitor_(
            std::string_view(reinterpret_cast<const char*>(command.data()), command.size()));
        return out.empty() ? "OK"
                           : to_hex(reinterpret_cast<const uint8_t*>(out.data()), out.size());
    }
    if (starts(q, "Xfer:features:read:target.xml:")) {
        std::string_view range = q.substr(30);
        uint64_t offset = 0, length = 0;
        if (!parse_hex(range, &offset, ',') || !parse_hex(range, &length)) return "E01";
        const std::string_view xml = kTargetXml;
        if (offset >= xml.size()) return "l";
        const std::string_view part = xml.substr(offset, length);
        return (offset + part.size() < xml.size() ? "m" : "l") + std::string(part);
    }
    return "";
}

std::string GdbCommands::memory_read(std::string_view args) {
    uint64_t address = 0, length = 0;
    if (!parse_hex(args, &address, ',') || !parse_hex(args, &length) || address >> 32) return "E01";
    if (length > kMaxTransfer) length = kMaxTransfer;  // gdb asks again for the rest
    std::vector<uint8_t> bytes(length);
    if (!t_.read_linear(static_cast<uint32_t>(address), bytes.data(),
                        static_cast<uint32_t>(length)))
        return "E14";
    return to_hex(bytes.data(), bytes.size());
}

std::string GdbCommands::memory_write(std::string_view args) {
    uint64_t address = 0, length = 0;
    std::vector<uint8_t> bytes;
    if (!parse_hex(args, &address, ',') || !parse_hex(args, &length, ':') ||
        !from_hex(args, &bytes) || bytes.size() != length || address >> 32 || length > kMaxTransfer)
        return "E01";
    return t_.write_linear(static_cast<uint32_t>(address), bytes.data(),
                           static_cast<uint32_t>(length))
               ? "OK"
               : "E14";
}

// Z/z type,address,kind.
std::string GdbCommands::stop_point(bool insert, std::string_view args) {
    uint64_t type = 0, address = 0, kind = 0;
    if (!parse_hex(args, &type, ',') || !parse_hex(args, &address, ',') ||
        !parse_hex(args, &kind, ';') || address >> 32)
        return "E01";
    DebugTarget::StopKind k;
    switch (type) {
        case 0: k = DebugTarget::StopKind::kBreakpoint; break;
        case 1: k = DebugTarget::StopKind::kHardwareBreakpoint; break;
        case 2: k = DebugTarget::StopKind::kWriteWatchpoint; break;
        default: return "";  // read and access watchpoints: unsupported
    }
    if (k == DebugTarget::StopKind::kWriteWatchpoint && (kind == 0 || kind > 8)) return "E01";
    const uint32_t a = static_cast<uint32_t>(address), len = static_cast<uint32_t>(kind);
    const bool ok = insert ? t_.insert_stop(k, a, len) : t_.remove_stop(k, a, len);
    return ok ? "OK" : "";
}

}  // namespace prevt::gdb
