#include "devices/ata_identify.hpp"

#include <algorithm>
#include <string_view>

namespace prevt::devices {

namespace {

// An ATA string: two characters per word, the first in the high byte, padded with spaces.
void put_string(std::array<uint16_t, 256>& id, unsigned first, unsigned words,
                std::string_view text) {
    for (unsigned i = 0; i < words; ++i) {
        const char hi = 2 * i < text.size() ? text[2 * i] : ' ';
        const char lo = 2 * i + 1 < text.size() ? text[2 * i + 1] : ' ';
        id[first + i] =
            static_cast<uint16_t>(static_cast<uint8_t>(hi) << 8 | static_cast<uint8_t>(lo));
    }
}

void put_dword(std::array<uint16_t, 256>& id, unsigned first, uint32_t value) {
    id[first] = static_cast<uint16_t>(value);
    id[first + 1] = static_cast<uint16_t>(value >> 16);
}

}  // namespace

AtaGeometry default_geometry(uint64_t total_sectors) {
    AtaGeometry g;
    g.sectors = static_cast<uint16_t>(std::min<uint64_t>(63, total_sectors));
    g.heads = static_cast<uint16_t>(std::clamp<uint64_t>(total_sectors / g.sectors, 1, 16));
    g.cylinders = static_cast<uint16_t>(
        std::clamp<uint64_t>(total_sectors / (g.sectors * g.heads), 1, 16383));
    return g;
}

std::array<uint16_t, 256> identify_device(uint64_t total_sectors, const AtaGeometry& current) {
    std::array<uint16_t, 256> id{};
    const AtaGeometry def = default_geometry(total_sectors);
    id[0] = 0x0040;  // fixed device
    id[1] = def.cylinders;
    id[3] = def.heads;
    id[6] = def.sectors;
    put_string(id, 10, 10, "PREVT-0001");
    put_string(id, 23, 4, "1.0");
    put_string(id, 27, 20, "prevt ATA disk");
    id[47] = 0x8000;  // READ/WRITE MULTIPLE: not supported (0 sectors)
    id[49] = 0x0200;  // LBA; no DMA
    id[50] = 0x4000;
    id[51] = 0x0200;  // PIO timing mode 2
    id[53] = 0x0003;  // words 54-58 and 64-70 are valid
    id[54] = current.cylinders;
    id[55] = current.heads;
    id[56] = current.sectors;
    put_dword(id, 57, static_cast<uint32_t>(std::min<uint64_t>(current.capacity(), 0xffffffff)));
    put_dword(id, 60, static_cast<uint32_t>(std::min<uint64_t>(total_sectors, 0x0fffffff)));
    id[64] = 0x0003;  // PIO modes 3 and 4
    id[65] = id[66] = id[67] = id[68] = 120;
    id[80] = 0x007e;  // ATA-1 to ATA-6
    id[82] = 0x4020;  // write cache supported (bit 14 shall be 1 in words 82-84 and 87)
    id[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400;  // FLUSH CACHE EXT, FLUSH CACHE, 48-bit
    id[84] = 0x4000;
    id[85] = 0x0020;                    // write cache enabled
    id[86] = 0x2000 | 0x1000 | 0x0400;  // the same, enabled
    id[87] = 0x4000;
    id[93] = 0x404b;  // device 0, jumper, diagnostics passed, responds for an absent device 1
    for (unsigned i = 0; i < 4; ++i) id[100 + i] = static_cast<uint16_t>(total_sectors >> (16 * i));
    // The integrity word: signature 0xa5; the checksum makes the 512 bytes sum to 0.
    uint8_t sum = 0xa5;
    for (unsigned i = 0; i < 255; ++i)
        sum = static_cast<uint8_t>(sum + (id[i] & 0xff) + (id[i] >> 8));
    id[255] = static_cast<uint16_t>(static_cast<uint8_t>(-sum) << 8 | 0xa5);
    return id;
}

}  // namespace prevt::devices
