// The fuzz generator's model of the x87 register stack (x87_model.cpp): whether a sequence
// reads an empty register or pushes onto a full stack somewhere, i.e. raises an x87 stack
// fault (SDM vol. 1 8.5.1.1). QEMU TCG detects none (known_deviations.md QEMU-12); the FSW's
// sticky SF shows it at the end of a sequence unless fnclex/fninit cleared it, and then only
// this mark in the list file tells the comparison why `st`/`ftw`/memory differ (QEMU-28).
#pragma once

#include <cstdint>
#include <vector>

namespace fuzz {

// The state every sequence starts from (fuzz_guest.S): TOP = 5, st0-st2 (physical 5-7) in use.
inline constexpr unsigned kX87InitialTop = 5;
inline constexpr uint8_t kX87InitialValid = 0xe0;  // a bit per physical register

// True if some instruction of `code` (32-bit code, decoded until its end) may raise an x87
// stack fault, assuming each runs (a sequence can stop earlier at a fault: the mark then
// only widens the entry's reach to that sequence). After frstor/fldenv/fxrstor the stack is
// unknown and the answer is true.
bool x87_stack_fault(const std::vector<uint8_t>& code);

}  // namespace fuzz
