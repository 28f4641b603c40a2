#include "devices/port92.hpp"

#include <utility>

namespace prevt::devices {

namespace {

constexpr uint8_t kFastInit = 0x01, kA20 = 0x02, kWritable = kFastInit | kA20;

}  // namespace

Port92::Port92(std::function<void(bool)> a20, std::function<void()> reset)
    : a20_(std::move(a20)), reset_(std::move(reset)) {}

uint32_t Port92::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, kPortCount, [this](unsigned) { return value_; });
}

void Port92::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, kPortCount, [this](unsigned, uint8_t byte) {
        const uint8_t before = std::exchange(value_, byte & kWritable);
        if ((before ^ value_) & kA20 && a20_) a20_(a20());
        if (!(before & kFastInit) && (value_ & kFastInit) && reset_) reset_();
    });
}

}  // namespace prevt::devices
