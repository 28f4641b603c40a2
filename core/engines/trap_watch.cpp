// The trap engine and a read/write data breakpoint on a page of running code: such a page
// admits no native access (data_watch.hpp), instruction fetches included, so every instruction
// on it faults. One that makes a data access is the virtual CPU's (the run loop's memory-map
// exit), which checks DR0-DR3; one that makes none (no memory operand, explicit or implicit:
// arithmetic on registers, lea, jumps) is stepped natively, the page open for that one
// instruction and watched again at the next exit, whatever it is. Nothing it does can hit a
// data breakpoint, and the virtual CPU need not know every register-only instruction.
#include <map>

#include "core/emulate/code_bytes.hpp"
#include "core/emulate/decoded.hpp"
#include "core/engines/trap_engine.hpp"

namespace prevt {

bool TrapEngine::step_watched_fetch(const VcpuState& s, uint32_t page) {
    uint8_t bytes[15];
    const uint32_t linear = s.sreg(SegReg::cs).base + s.eip;
    const unsigned n = read_code_bytes(
        linear, bytes, sizeof bytes, [&](uint32_t at, uint8_t* out, unsigned len) -> unsigned {
            uint32_t phys = at;
            if (s.paging()) {
                const auto t = walk_guest_tables(ram_, s, at, false, false, true, true);
                const auto* tr = std::get_if<shadowmmu::Translation>(&t);
                if (!tr) return 0;
                phys = tr->physical;
            }
            return ram_.read_bytes(phys, out, len) ? len : 0;
        });
    Decoded d;
    if (!decode_bytes(bytes, n, s.sreg(SegReg::cs).db, s.sreg(SegReg::ss).db, s.eip, &d))
        return false;
    for (unsigned i = 0; i < d.in.operand_count; ++i)  // (hidden ones too: push's stack slot)
        if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            d.ops[i].mem.type != ZYDIS_MEMOP_TYPE_AGEN)
            return false;
    std::map<uint32_t, bool> open = data_watch_.pages();
    open.erase(page);  // (and both pages of an instruction across two watched ones)
    open.erase(linear & ~0xfffu);
    open.erase((linear + d.in.length - 1) & ~0xfffu);
    shadow_.watch(open);
    watch_step_ = true;
    ++watch_steps_;
    return true;
}

}  // namespace prevt
