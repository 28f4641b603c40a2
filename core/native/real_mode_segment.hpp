// The host's view of a guest segment register in real mode (CR0.PE clear).
//
// In real mode a segment load sets only the selector and the base (selector * 16); the limit
// and the attributes stay what the hidden part last held (64 KiB and writable data after
// reset; whatever protected mode left: "unreal" mode keeps a 4 GiB limit). The CPU makes no
// type or privilege check in real mode, so every register is shadowed as present, writable,
// expand-up data with its hidden base and limit; only SS's B bit still matters (the stack's
// address size). Selector 0 is an ordinary segment here (the IVT's), not the null selector.
#pragma once

#include "core/vcpu_state.hpp"

namespace prevt::native {

inline Segment real_mode_view(const Segment& hidden) {
    Segment v;
    v.selector = hidden.selector;
    v.base = hidden.base;
    v.limit = hidden.limit;
    v.type = 0x3;  // read/write data, accessed
    v.s = true;
    v.dpl = 0;
    v.present = true;
    v.db = hidden.db;
    v.g = hidden.g;
    return v;
}

}  // namespace prevt::native
