// What an ATA disk says about itself: its default CHS geometry (from its size, as BIOSes and
// QEMU expect: 16 heads, 63 sectors per track when the disk is large enough) and the 256 words
// of IDENTIFY DEVICE (ATA/ATAPI-6, T13/1410D, 8.15; the fields SeaBIOS's src/hw/ata.c and
// Linux's libata read). State: new.
//
// The words: 0 general configuration (fixed, non-removable ATA device), 1/3/6 the default
// geometry, 10-19 serial, 23-26 firmware, 27-46 model (ATA strings: the first character in the
// high byte), 47 READ MULTIPLE not supported, 49 LBA (no DMA), 51 PIO timing mode 2, 53 words
// 54-58 and 64-70 valid, 54-58 the current geometry and its capacity, 60-61 the LBA28 sector
// count (capped at 0x0fffffff), 64 PIO modes 3 and 4, 65-68 cycle times 120 ns, 80 ATA-1 to
// ATA-6, 82-87 the feature sets supported and enabled (write cache, FLUSH CACHE, FLUSH CACHE
// EXT, 48-bit addresses), 93 the hardware reset result of a device 0 without a device 1
// (which makes SeaBIOS skip probing for one), 100-103 the 48-bit sector count, 255 the
// integrity word (0xa5 and the checksum). Every other word is 0.
#pragma once

#include <array>
#include <cstdint>

namespace prevt::devices {

struct AtaGeometry {
    uint16_t cylinders = 0, heads = 0, sectors = 0;
    uint64_t capacity() const { return uint64_t{cylinders} * heads * sectors; }
};

// The default translation of a disk of `total_sectors` (at least 1).
AtaGeometry default_geometry(uint64_t total_sectors);

// IDENTIFY DEVICE's data for a disk of `total_sectors` with `current` as the geometry set by
// INITIALIZE DEVICE PARAMETERS (or the default).
std::array<uint16_t, 256> identify_device(uint64_t total_sectors, const AtaGeometry& current);

}  // namespace prevt::devices
