// -d exec and -d cpu: one line per guest instruction executed, at the instruction's own
// address. Every engine steps the guest one instruction at a time for them (trap with
// EFLAGS.TF, bt with one-instruction blocks, kvm with KVM's single-step), so an entry into the
// guest runs at most one instruction: the one at the entry's CS:EIP. It ran natively (or from
// the translation cache) when the step ends in a debug stop, or the monitor ran it (emulated
// after a trap or a callout, a software interrupt delivered), or (kvm) it exited to prevt for
// its port, MMIO access or hlt. An entry that ends any other way (a true fault, a timer) ran
// nothing and prints nothing. A rep string instruction under trap prints once per iteration:
// the CPU's single-step trap comes after each (bt and kvm run it whole).
#include <cstdio>

#include "core/emulate/decoded.hpp"
#include "core/run_loop.hpp"

namespace prevt {

std::string RunLoop::entry_text() {
    try {
        return decode_at(cpu_, s_.eip).text();
    } catch (const GuestFault&) {  // not readable yet: the entry faults, and prints nothing
        return "(code not readable)";
    }
}

void RunLoop::trace_exec(uint16_t cs, uint32_t eip, const std::string& text, const char* how) {
    FILE* out = m_.trace_.out;
    if (m_.trace_.exec && how)
        fprintf(out, "exec: %04x:%08x  %-32s (%s)\n", cs, eip, text.c_str(), how);
    else if (m_.trace_.exec)
        fprintf(out, "exec: %04x:%08x  %s\n", cs, eip, text.c_str());
    if (m_.trace_.cpu) m_.dump_registers(out);
}

}  // namespace prevt
