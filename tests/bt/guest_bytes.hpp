// The translator's unit tests translate guest byte strings: this places them at kEip (with
// hlt after them, so that a callout ends any block) and runs translate_block with the context
// a test fills in (eip and the lookup routine set here).
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "bt/translator.hpp"

namespace prevt::bt::testing_support {

inline constexpr uint32_t kEip = 0x100000, kCache = 0xfe200000, kLookup = 0xfe100000;

struct GuestTranslation {
    Block block;
    std::vector<uint8_t> bytes;  // what the translator emitted at kCache
};

inline GuestTranslation translate_guest_bytes(std::vector<uint8_t> guest,
                                              TranslationContext context = {}) {
    guest.resize(guest.size() + 16, 0xf4);  // hlt after the bytes: a callout ends any block
    const CodeReader read = [&](uint32_t linear, uint8_t* out, unsigned max) {
        const uint32_t at = linear - kEip;
        if (at >= guest.size()) return 0u;
        const unsigned n = std::min<unsigned>(max, static_cast<unsigned>(guest.size() - at));
        memcpy(out, guest.data() + at, n);
        return n;
    };
    context.eip = kEip;
    context.lookup_routine = kLookup;
    CodeBuffer buf(kCache);
    Block b = translate_block(read, context, buf);
    return {b, buf.bytes()};
}

}  // namespace prevt::bt::testing_support
