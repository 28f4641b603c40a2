#include "core/trace.hpp"

#include <sstream>

#include "core/errors.hpp"

namespace prevt {

namespace {

constexpr const char* kKnown = "int, exec, cpu, trap, io, guest_errors, in_asm, out_asm";

// QEMU's -d items prevt does not produce: refused by name rather than as unknown.
bool qemu_only(const std::string& item) {
    static const char* const kQemuItems[] = {
        "op",    "op_opt", "op_ind",  "op_plugin", "fpu",    "mmu", "pcall",      "cpu_reset",
        "unimp", "page",   "nochain", "plugin",    "strace", "tid", "invalid_mem"};
    for (const char* q : kQemuItems)
        if (item == q) return true;
    return item.rfind("trace:", 0) == 0;
}

}  // namespace

Trace Trace::parse(const std::string& list) {
    Trace t;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "int")
            t.interrupts = true;
        else if (item == "exec")
            t.exec = true;
        else if (item == "cpu")
            t.cpu = true;
        else if (item == "trap")
            t.traps = true;
        else if (item == "io")
            t.io = true;
        else if (item == "guest_errors")
            t.guest_errors = true;
        else if (item == "in_asm")
            t.in_asm = true;
        else if (item == "out_asm")
            t.out_asm = true;
        else if (qemu_only(item))
            throw InputError("-d/--trace: QEMU's item '" + item + "' is not one prevt produces (" +
                             "prevt's: " + kKnown + "; see prevt run -d help)");
        else
            throw InputError("-d/--trace: unknown item '" + item + "' (known: " + kKnown +
                             "; see prevt run -d help)");
    }
    return t;
}

const char* Trace::help_text() {
    return R"(Log items (comma-separated, -d LIST or --trace LIST; -D FILE or --trace-file FILE):
int           show interrupts and exceptions delivered to the guest
exec          show every guest instruction executed, at its own address (emulated ones marked)
cpu           show the guest's registers after every instruction
trap          show every instruction the monitor emulated and the host signal that brought it
io            show every port and MMIO access (address, size, direction, value, device)
guest_errors  show accesses to unassigned ports and MMIO
in_asm        show each guest block as bt translates it (bt only)
out_asm       show bt's translation of each block (bt only)
)";
}

void Trace::require_engine(const std::string& engine) const {
    auto refuse = [&](const char* item, const char* who, const char* why) {
        throw InputError(std::string("-d/--trace ") + item + ": the " + engine + " engine " + why +
                         "; only " + who + " (--engine)");
    };
    if (engine != "bt") {
        if (in_asm) refuse("in_asm", "bt prints in_asm", "translates nothing");
        if (out_asm) refuse("out_asm", "bt prints out_asm", "translates nothing");
    }
    if (engine == "kvm" && traps)
        refuse("trap", "trap and bt print trap", "emulates no instruction in prevt's monitor");
    // KVM delivers the guest's exceptions and most interrupts itself, unseen by the run loop.
    if (engine == "kvm" && interrupts)
        refuse("int", "trap and bt print int", "delivers interrupts and exceptions inside KVM");
}

}  // namespace prevt
