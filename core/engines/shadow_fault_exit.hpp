// What a shadow-MMU fault (shadowmmu/shadow.hpp) means to the native engines, in the exit
// vocabulary: nullopt for a hidden fault (the page is mapped: the guest runs the access again),
// the guest's #PF (CR2 = the linear address), or an access only the virtual CPU can make
// through the memory map (MMIO, a store into ROM or unassigned memory). bt and trap share it.
#pragma once

#include <cstdint>
#include <optional>

#include "core/emulate/fault.hpp"
#include "core/exit.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt {

inline std::optional<Exit> shadow_fault_exit(const shadowmmu::ShadowMmu::Fault& f,
                                             uint32_t linear) {
    Exit x;
    x.address = linear;
    switch (f.kind) {
        case shadowmmu::ShadowMmu::Fault::kMapped: return std::nullopt;
        case shadowmmu::ShadowMmu::Fault::kGuestPageFault:
            x.reason = ExitReason::kException;
            x.vector = vec::PF;
            x.has_error = true;
            x.error_code = f.error_code;
            return x;
        case shadowmmu::ShadowMmu::Fault::kVirtualCpu: x.reason = ExitReason::kMemoryMap; return x;
    }
    return x;
}

}  // namespace prevt
