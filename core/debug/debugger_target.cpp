// The Debugger as a DebugTarget (debugger.hpp): guest memory through the guest's own page
// tables, and the lists of breakpoints and watchpoints the stops are made from.
#include <algorithm>

#include "core/debug/debugger.hpp"
#include "core/emulate/paged_memory.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

bool Debugger::translate(uint32_t linear, uint32_t len,
                         std::vector<std::pair<uint64_t, uint32_t>>* runs) {
    uint64_t at = linear;
    const uint64_t end = uint64_t(linear) + len;
    if (end > (uint64_t(1) << 32)) return false;
    while (at < end) {
        const uint32_t in_page =
            static_cast<uint32_t>(std::min<uint64_t>(end - at, 4096 - (at & 4095)));
        uint64_t phys = at;
        if (s_.paging()) {  // a debugger's walk: no accessed or dirty bit set, no fault raised
            GuestTables tables(ram_);
            shadowmmu::Access look;
            look.debug = true;
            const auto t =
                shadowmmu::walk(tables, paging_state(s_).control, static_cast<uint32_t>(at), look);
            const auto* tr = std::get_if<shadowmmu::Translation>(&t);
            if (!tr) return false;
            phys = tr->physical;
        }
        runs->emplace_back(phys, in_page);
        at += in_page;
    }
    return true;
}

bool Debugger::read_linear(uint32_t linear, uint8_t* out, uint32_t len) {
    std::vector<std::pair<uint64_t, uint32_t>> runs;
    if (!translate(linear, len, &runs)) return false;
    for (const auto& [phys, n] : runs) {
        if (!ram_.read_bytes(phys, out, n)) return false;
        out += n;
    }
    return true;
}

bool Debugger::write_linear(uint32_t linear, const uint8_t* in, uint32_t len) {
    std::vector<std::pair<uint64_t, uint32_t>> runs;
    if (!translate(linear, len, &runs)) return false;
    std::vector<uint8_t> probe;  // all of it must be RAM before a byte is written
    for (const auto& [phys, n] : runs) {
        probe.resize(n);
        if (!ram_.read_bytes(phys, probe.data(), n)) return false;
    }
    for (const auto& [phys, n] : runs) {  // (the write observer tells bt of its code)
        if (!ram_.write_bytes(phys, in, n)) return false;
        in += n;
    }
    return true;
}

bool Debugger::read_physical(uint64_t phys, uint8_t* out, uint32_t len) {
    return ram_.read_bytes(phys, out, len);
}

bool Debugger::insert_stop(StopKind kind, uint32_t linear, uint32_t len) {
    switch (kind) {
        case StopKind::kBreakpoint: software_.push_back(linear); break;
        case StopKind::kHardwareBreakpoint: hardware_.push_back(linear); break;
        case StopKind::kWriteWatchpoint: {
            Watch w{linear, len, std::vector<uint8_t>(len)};
            if (!read_linear(linear, w.last.data(), len)) w.last.clear();
            watches_.push_back(std::move(w));
            break;
        }
    }
    return true;
}

bool Debugger::remove_stop(StopKind kind, uint32_t linear, uint32_t len) {
    auto drop_one = [linear](std::vector<uint32_t>& v) {
        const auto it = std::find(v.begin(), v.end(), linear);
        if (it != v.end()) v.erase(it);
    };
    switch (kind) {
        case StopKind::kBreakpoint: drop_one(software_); break;
        case StopKind::kHardwareBreakpoint: drop_one(hardware_); break;
        case StopKind::kWriteWatchpoint: {
            const auto it = std::find_if(watches_.begin(), watches_.end(), [&](const Watch& w) {
                return w.linear == linear && w.len == len;
            });
            if (it != watches_.end()) watches_.erase(it);
            break;
        }
    }
    return true;
}

void Debugger::remove_all_stops() {
    software_.clear();
    hardware_.clear();
    watches_.clear();
}

}  // namespace prevt
