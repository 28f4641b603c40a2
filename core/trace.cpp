#include "core/trace.hpp"

#include <sstream>

#include "core/errors.hpp"

namespace prevt {

Trace Trace::parse(const std::string& list) {
    Trace t;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "int")
            t.interrupts = true;
        else if (item == "exec")
            t.exec = true;
        else if (item == "trap")
            t.traps = true;
        else if (item == "io")
            t.io = true;
        else if (item == "in_asm")
            t.in_asm = true;
        else if (item == "out_asm")
            t.out_asm = true;
        else
            throw InputError("--trace: unknown item '" + item +
                             "' (known: int, exec, trap, io, in_asm, out_asm; see prevt --help)");
    }
    return t;
}

void Trace::require_engine(const std::string& engine) const {
    if (engine == "bt") return;
    for (const auto& [on, item] : {std::pair{in_asm, "in_asm"}, std::pair{out_asm, "out_asm"}})
        if (on)
            throw InputError(std::string("--trace ") + item + ": the " + engine +
                             " engine translates nothing; only bt prints " + item +
                             " (--engine bt)");
}

}  // namespace prevt
