// The host descriptor for a guest segment: the containment rule of the native engines, as a
// pure function (unit-tested by sweeping every kind of segment over its boundary values).
//
// Invariant: the host linear addresses a host descriptor reaches are a subset of
// [offset, offset + window), where window = min(ceiling, kMonitorBase - offset) in guest-linear
// terms: never the monitor's area at the top of the 4 GiB, never the unmappable hole below
// the offset, and (at the user ceiling) never the kernel's region. Within that window the
// host segment reaches exactly the guest segment's addresses, as far as one descriptor can
// express them; what it cannot reach faults natively and runs on the virtual CPU
// (address-space compression).
//
// Cases, in guest-linear terms (addresses wrap at 4 GiB; "top" is 0xffff or 0xffffffff by B):
//   expand-up [base, base + limit]: ends at the window's end; a base at or beyond the window
//     end gives an empty segment (a limit of 0 would still be one byte);
//   expand-down (limit, top]: only its lower bound can move: raised until the segment lies
//     in the window (the top offset must map inside it, or the segment is empty);
//   empty: an expand-down data segment with limit 0xffffffff, which no offset satisfies, for
//     data and code alike (`empty` tells the engines never to enter such a code segment; a
//     data register may hold it, and every access through it faults and is emulated).
// Conforming code is shadowed as non-conforming (Linux refuses present conforming LDT code;
// the virtual CPU makes the privilege checks of control transfers).
#pragma once

#include <asm/ldt.h>

#include <cstdint>

#include "core/vcpu_state.hpp"

namespace prevt::native {

struct HostDescriptor {
    user_desc desc{};
    bool empty = false;  // no offset of the segment is reachable natively
};

HostDescriptor make_host_descriptor(unsigned slot, const Segment& s, uint64_t offset,
                                    uint64_t ceiling);

// The host linear range [first, last] a descriptor reaches (its valid offsets, moved by its
// base, 4 GiB wrap applied): false if empty. `wraps` when the range crosses 4 GiB: it is then
// [first, 4 GiB) and [0, last].
struct HostRange {
    uint64_t first = 0, last = 0;
    bool wraps = false;
};
bool host_range(const user_desc& d, HostRange* out);

}  // namespace prevt::native
