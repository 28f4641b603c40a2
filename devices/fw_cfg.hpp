// QEMU's firmware configuration device, fw_cfg, on the x86 I/O ports (QEMU docs/specs/fw_cfg.rst,
// "Guest-side Hardware Interface"; the keys of Linux's include/uapi/linux/qemu_fw_cfg.h).
// State: new.
//
// Models: the selector register at 0x510 (a 16-bit write picks an item and rewinds it) and the
// data register at 0x511 (each byte read returns the item's next byte, 0 past its end or for an
// item that does not exist); as in QEMU, a byte read of 0x510 reads the data too. The items:
// the "QEMU" signature (key 0x00), the ID (0x01: bit 0, the traditional interface only), the
// RAM size (0x03, 64-bit little-endian), the CPU count (0x05) and the possible CPUs (0x0f),
// both 16-bit little-endian, and the file directory (0x19: a big-endian count, then for each
// file its big-endian size, selector and a reserved word, and its name in 56 bytes, NUL
// padded, sorted by name as QEMU sorts it), with named files from key 0x20 on (add_file).
// Missing: the DMA interface at 0x514 (not advertised in the ID, so SeaBIOS and Linux use the
// data port); the write channel (0x4000 keys). Ignored: writes to the data register (dropped,
// as QEMU does since 2.4), the architecture-local bit 0x8000 (such keys simply do not exist).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "devices/bus.hpp"

namespace prevt::devices {

class FwCfg final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0x510;
    static constexpr unsigned kPortCount = 2;  // selector (0x510, 16-bit) and data (0x511)

    // Well-known keys.
    static constexpr uint16_t kSignature = 0x00, kId = 0x01, kRamSize = 0x03, kNbCpus = 0x05,
                              kMaxCpus = 0x0f, kFileDir = 0x19, kFileFirst = 0x20;
    static constexpr size_t kMaxFileName = 56;  // including the terminating NUL

    FwCfg();

    // An item under a well-known key (replacing what was there).
    void set_item(uint16_t key, std::vector<uint8_t> bytes);
    void set_u16(uint16_t key, uint16_t value);
    void set_u64(uint16_t key, uint64_t value);
    // A named file ("etc/boot-fail-wait"), listed in the directory; returns its key. Throws
    // std::invalid_argument for an empty name, one of 56 bytes or more, or one already there.
    uint16_t add_file(const std::string& name, std::vector<uint8_t> bytes);

    std::string_view name() const override { return "fw_cfg"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

private:
    uint8_t next_byte();
    void rebuild_directory();

    std::map<uint16_t, std::vector<uint8_t>> items_;
    struct File {
        std::string name;
        uint16_t key;
    };
    std::vector<File> files_;  // sorted by name
    uint16_t selected_ = kSignature;
    size_t offset_ = 0;  // into the selected item
};

}  // namespace prevt::devices
