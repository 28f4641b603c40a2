// A 256-bit register of the local APIC, one bit per interrupt vector: the IRR, the ISR and the
// TMR (Intel SDM vol. 3A, 11.8.4, "Interrupt Acceptance for Fixed Interrupts"). The guest reads
// it as eight 32-bit registers 16 bytes apart, vector 0 in bit 0 of the first.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace prevt::devices {

class ApicVectorSet {
public:
    static constexpr int kNone = -1;

    void set(uint8_t v) { words_[v >> 5] |= 1u << (v & 31); }
    void clear(uint8_t v) { words_[v >> 5] &= ~(1u << (v & 31)); }
    bool test(uint8_t v) const { return words_[v >> 5] & (1u << (v & 31)); }
    // The highest vector set, or kNone.
    int highest() const {
        for (int w = 7; w >= 0; --w)
            if (words_[w]) return w * 32 + 31 - std::countl_zero(words_[w]);
        return kNone;
    }
    uint32_t word(unsigned i) const { return words_[i]; }
    void reset() { words_ = {}; }

private:
    std::array<uint32_t, 8> words_{};
};

}  // namespace prevt::devices
