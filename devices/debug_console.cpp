#include "devices/debug_console.hpp"

#include <utility>

namespace prevt::devices {

DebugConsole::DebugConsole(std::function<void(uint8_t)> sink) : sink_(std::move(sink)) {}

uint32_t DebugConsole::read(uint64_t, unsigned) {
    return kReadback;
}

void DebugConsole::write(uint64_t, unsigned, uint32_t value) {
    sink_(static_cast<uint8_t>(value));
}

}  // namespace prevt::devices
