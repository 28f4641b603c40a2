// A guest exception raised while the monitor executes an instruction or delivers an event on
// the virtual CPU. Thrown by the emulation code, caught by the run loop, delivered to the guest.
#pragma once

#include <cstdint>

namespace prevt {

namespace vec {
inline constexpr uint8_t DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
                         TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18,
                         XM = 19;
// Whether the SDM says the exception pushes an error code.
inline constexpr bool has_error_code(uint8_t v) {
    return v == DF || v == TS || v == NP || v == SS || v == GP || v == PF || v == AC;
}
}  // namespace vec

struct GuestFault {
    uint8_t vector;
    bool has_error;
    uint32_t error;
    uint32_t cr2 = 0;
};

inline GuestFault fault_gp(uint32_t e = 0) {
    return {vec::GP, true, e};
}
inline GuestFault fault_ss(uint32_t e = 0) {
    return {vec::SS, true, e};
}
inline GuestFault fault_np(uint32_t e) {
    return {vec::NP, true, e};
}
inline GuestFault fault_ts(uint32_t e) {
    return {vec::TS, true, e};
}
inline GuestFault fault_ud() {
    return {vec::UD, false, 0};
}

}  // namespace prevt
