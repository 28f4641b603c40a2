#include "devices/isa_dma.hpp"

#include <algorithm>
#include <vector>

namespace prevt::devices {

namespace {

// Reverses the order of `unit`-byte units (a decrementing channel's run), each unit kept.
void reverse_units(std::span<uint8_t> bytes, unsigned unit) {
    for (size_t i = 0, j = bytes.size() - unit; i < j; i += unit, j -= unit)
        std::swap_ranges(bytes.begin() + i, bytes.begin() + i + unit, bytes.begin() + j);
}

// The page register of each channel, as an offset from 0x81 (channel 4 has none: 0x8f).
constexpr std::array<unsigned, 8> kPageOffset = {0x87 - 0x81, 0x83 - 0x81, 0x81 - 0x81,
                                                 0x82 - 0x81, 0x8f - 0x81, 0x8b - 0x81,
                                                 0x89 - 0x81, 0x8a - 0x81};

}  // namespace

IsaDma::IsaDma(PhysicalMemory& memory) : memory_(memory) {}

void IsaDma::attach(Bus& ports) {
    ports.attach(kMasterBase, I8237::kRegisters, master_);
    ports.attach(kSlaveBase, I8237::kRegisters * 2, slave_);
    ports.attach(kPageBase, kPagePorts, pages_);
}

uint32_t IsaDma::PageRegisters::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, kPagePorts, [this](unsigned r) { return bytes[r]; });
}

void IsaDma::PageRegisters::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, kPagePorts, [this](unsigned r, uint8_t b) { bytes[r] = b; });
}

uint8_t IsaDma::page(unsigned channel) const {
    return pages_.bytes[kPageOffset[channel & 7]];
}

bool IsaDma::ready(unsigned channel) const {
    if (channel >= kChannels) return false;
    // A slave channel needs the slave; a master channel also needs the cascade (channel 4).
    if (channel >= 4) return slave_.ready(channel - 4);
    return master_.ready(channel) && slave_.cascade_open(0);
}

template <class Copy>
IsaDma::Moved IsaDma::move(unsigned channel, size_t length, I8237::Transfer wanted, Copy copy) {
    Moved moved;
    if (!ready(channel) || channel == 4) return moved;
    const bool word = channel >= 4;
    I8237& chip = word ? slave_ : master_;
    const unsigned n = channel & 3;
    const unsigned unit = word ? 2 : 1;
    const bool touch_memory = chip.transfer_type(n) == wanted;
    const bool down = chip.decrementing(n);
    while (moved.bytes + unit <= length && !moved.terminal) {
        const I8237::Run run = chip.take(n, static_cast<uint32_t>((length - moved.bytes) / unit));
        if (run.units == 0) break;
        const size_t bytes = size_t{run.units} * unit;
        if (touch_memory) {
            // The run's lowest address: a decrementing run ends there.
            const uint32_t low_unit = down ? run.address - (run.units - 1) : run.address;
            const uint64_t phys = word ? (uint64_t{page(channel) & 0xfeu} << 16) | (low_unit << 1)
                                       : (uint64_t{page(channel)} << 16) | low_unit;
            copy(phys, moved.bytes, bytes, down ? unit : 0);
        }
        moved.bytes += bytes;
        moved.terminal = run.terminal;
    }
    return moved;
}

IsaDma::Moved IsaDma::write_memory(unsigned channel, std::span<const uint8_t> data) {
    return move(channel, data.size(), I8237::Transfer::kWrite,
                [&](uint64_t phys, size_t from, size_t bytes, unsigned reversed_unit) {
                    std::vector<uint8_t> run(data.begin() + from, data.begin() + from + bytes);
                    if (reversed_unit) reverse_units(run, reversed_unit);
                    memory_.write(phys, run);
                });
}

IsaDma::Moved IsaDma::read_memory(unsigned channel, std::span<uint8_t> data) {
    return move(channel, data.size(), I8237::Transfer::kRead,
                [&](uint64_t phys, size_t from, size_t bytes, unsigned reversed_unit) {
                    const std::span<uint8_t> run = data.subspan(from, bytes);
                    memory_.read(phys, run);
                    if (reversed_unit) reverse_units(run, reversed_unit);
                });
}

}  // namespace prevt::devices
