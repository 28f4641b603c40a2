// The guest's data breakpoints as an engine's shadow MMU keeps them (bt, trap): while DR7
// enables a breakpoint of kind 01 or 11, the page it covers admits no native access (kind 11)
// or no native store (01), so such an access faults and the virtual CPU runs the instruction,
// checking DR0-DR3 (Cpu::note_data_access); the run loop raises the #DB trap after it.
// Every other page, and a guest with no data breakpoint, pays nothing.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <utility>

#include "core/emulate/debug_registers.hpp"
#include "core/vcpu_state.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt {

class DataWatch {
public:
    // At an entry: DR0-DR3 or DR7's enables and kinds changed since the last, the shadow
    // learns the pages (five compares when nothing changed). True when the pages changed.
    bool follow(const VcpuState& s, shadowmmu::ShadowMmu& shadow) {
        const std::array<uint32_t, 5> key{s.dr7 & 0xffff00ff, s.dr[0], s.dr[1], s.dr[2], s.dr[3]};
        if (key == key_) return false;
        key_ = key;
        auto pages = dr7::watched_pages(s.dr, s.dr7);
        if (pages == pages_) return false;
        pages_ = std::move(pages);
        shadow.watch(pages_);
        return true;
    }

    const std::map<uint32_t, bool>& pages() const { return pages_; }

private:
    std::array<uint32_t, 5> key_{};  // (the reset state: nothing enabled)
    std::map<uint32_t, bool> pages_;
};

}  // namespace prevt
