#include "core/emulate/paged_memory.hpp"

#include <algorithm>

#include "core/emulate/fault.hpp"

namespace prevt {

std::variant<shadowmmu::Translation, shadowmmu::PageFault> walk_guest_tables(
    GuestMemory& ram, const VcpuState& s, uint32_t linear, bool write, bool user, bool peek,
    bool fetch) {
    GuestTables tables(ram);
    const shadowmmu::PagingState p = paging_state(s);
    shadowmmu::Access a{write, user, peek};
    a.fetch = fetch;
    a.ac = !user && p.ac;  // (from CPL 3 a supervisor access is implicit: AC does not count)
    return shadowmmu::walk(tables, p.control, linear, a);
}

uint32_t PagedMemory::translate(uint32_t linear, bool write, bool user, bool fetch) {
    const auto r = walk_guest_tables(ram_, s_, linear, write, user, false, fetch);
    if (const auto* f = std::get_if<shadowmmu::PageFault>(&r))
        throw GuestFault{vec::PF, true, f->error_code, f->linear};
    return std::get<shadowmmu::Translation>(r).physical;
}

// An access may straddle a page boundary: each page is translated (and may fault) before any
// byte is written, as the CPU checks the whole access first.
void PagedMemory::read(uint32_t linear, void* out, unsigned len, bool user) {
    auto* dst = static_cast<uint8_t*>(out);
    while (len) {
        const unsigned chunk = std::min<unsigned>(len, 4096 - (linear & 0xfff));
        const uint32_t phys = translate(linear, false, user);
        ram_.load(phys, dst, chunk);  // through the memory map (one page: one range)
        dst += chunk, linear += chunk, len -= chunk;
    }
}

void PagedMemory::fetch(uint32_t linear, void* out, unsigned len, bool user) {
    auto* dst = static_cast<uint8_t*>(out);
    while (len) {
        const unsigned chunk = std::min<unsigned>(len, 4096 - (linear & 0xfff));
        ram_.load(translate(linear, false, user, true), dst, chunk);
        dst += chunk, linear += chunk, len -= chunk;
    }
}

void PagedMemory::write(uint32_t linear, const void* in, unsigned len, bool user) {
    const unsigned first = std::min<unsigned>(len, 4096 - (linear & 0xfff));
    const uint32_t phys0 = translate(linear, true, user);
    const uint32_t phys1 = len > first ? translate(linear + first, true, user) : 0;
    const auto* src = static_cast<const uint8_t*>(in);
    ram_.store(phys0, src, first);
    if (len > first) ram_.store(phys1, src + first, len - first);
}

}  // namespace prevt
