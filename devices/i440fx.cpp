#include "devices/i440fx.hpp"

#include <algorithm>

namespace prevt::devices {

namespace {

// Header registers (PCI 2.1 §6.2).
constexpr unsigned kCommand = 0x04, kStatus = 0x06, kLatencyTimer = 0x0d, kInterruptLine = 0x3c;
// PCICMD: SERR# enable (8) and parity error response (6) are R/W; memory access (1) and bus
// master (2) enables are hardwired on.
constexpr uint16_t kCommandReset = 0x0006, kCommandWritable = 0x0140;
// PCISTS: DEVSEL# medium (10:9), fast back-to-back capable (7); detected parity error,
// signaled system error, received master abort, received target abort are R/WC.
constexpr uint16_t kStatusReset = 0x0280, kStatusWriteOneClears = 0xf000;

// SMRAM: bit 7 reserved, D_OPEN 6, D_CLS 5, D_LCK 4, SMRAME 3, C_BASE_SEG 2:0 = 010b.
constexpr uint8_t kSmramWritable = 0x78, kSmramBaseSeg = 0x02, kSmramDOpen = 0x40;

constexpr uint8_t kPamWritable = 0x33;   // RE and WE of both nibbles
constexpr uint8_t kPam0Writable = 0x30;  // PAM0's low nibble is reserved
constexpr uint8_t kPamRe = 0x1, kPamWe = 0x2;

constexpr uint32_t kPamBase = 0xc0000, kPamSegment = 0x4000, kBiosSegment = 0xf0000;
constexpr uint64_t kMaxRowBytes = 128ull << 20, kMaxDram = 1ull << 30;

}  // namespace

I440fx::I440fx() {
    config_.define_identity({0x8086, 0x1237, 0x02, 0x060000, 0x00});
    config_.define(kCommand, 2, kCommandReset, kCommandWritable);
    config_.define(kStatus, 2, kStatusReset, 0, kStatusWriteOneClears);
    config_.define(kLatencyTimer, 1, 0x00, 0xf8);
    config_.define(kInterruptLine, 1, 0x00, 0xff);

    config_.define(0x50, 2, 0x0100, 0xffff);  // PMCCFG
    config_.define(0x52, 1, 0x00, 0xff);      // DETURBO
    config_.define(0x53, 1, 0x80, 0xff);      // DBC
    config_.define(0x54, 1, 0x00, 0xff);      // AXC
    config_.define(0x55, 2, 0x0000, 0xffff);  // DRAMR
    config_.define(0x57, 1, 0x01, 0xff);      // DRAMC
    config_.define(0x58, 1, 0x10, 0xff);      // DRAMT
    config_.define(kPam0, 1, 0x00, kPam0Writable);
    for (unsigned i = 1; i < kPamCount; ++i) config_.define(kPam0 + i, 1, 0x00, kPamWritable);
    for (unsigned i = 0; i < kDrbCount; ++i) config_.define(kDrb0 + i, 1, 0x01, 0xff);
    config_.define(0x68, 1, 0x00, 0xc0);  // FDHC: the 512K-640K or 15M-16M hole
    config_.define(0x70, 1, 0x20, 0xff);  // MTT
    config_.define(0x71, 1, 0x10, 0xff);  // CLT
    // SMRAM goes through write_smram() for D_LCK; the mask serves the unlocked case.
    config_.define(kSmram, 1, kSmramBaseSeg, kSmramWritable);
    config_.define(0x90, 1, 0x00, 0xff);        // ERRCMD
    config_.define(0x91, 1, 0x00, 0x00, 0xff);  // ERRSTS
}

void I440fx::config_write(unsigned reg, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const unsigned r = (reg + i) & 0xff;
        const auto byte = static_cast<uint8_t>(value >> (8 * i));
        if (r == kSmram) {
            write_smram(byte);
            if (smram_observer_) smram_observer_(smram());
            continue;
        }
        config_.write_byte(r, byte);
        if (r >= kPam0 && r < kPam0 + kPamCount && pam_observer_)
            pam_observer_(r - kPam0, config_.byte(r));
    }
}

void I440fx::write_smram(uint8_t value) {
    if (smram() & kSmramDLck) {
        // Locked: D_LCK stays set and D_OPEN clear; D_CLS and SMRAME still take writes.
        value = static_cast<uint8_t>((value & ~kSmramDOpen) | kSmramDLck);
    }
    config_.set_byte(kSmram, static_cast<uint8_t>((value & kSmramWritable) | kSmramBaseSeg));
    // Setting D_LCK clears D_OPEN in the same write.
    if (smram() & kSmramDLck)
        config_.set_byte(kSmram, static_cast<uint8_t>(smram() & ~kSmramDOpen));
}

void I440fx::reset() {
    config_.reset();
    notify_all();
}

void I440fx::notify_all() {
    if (pam_observer_)
        for (unsigned i = 0; i < kPamCount; ++i) pam_observer_(i, pam(i));
    if (smram_observer_) smram_observer_(smram());
}

I440fx::PamSegment I440fx::pam_segment(uint32_t address) {
    if (address >= kBiosSegment) return {kBiosSegment, 0x10000, 0, 4};
    const unsigned n = (address - kPamBase) / kPamSegment;  // 0-11 for 0xc0000-0xeffff
    return {kPamBase + n * kPamSegment, kPamSegment, 1 + n / 2, (n % 2) * 4};
}

I440fx::PamAttributes I440fx::pam_attributes(uint32_t address) const {
    const PamSegment s = pam_segment(address);
    const unsigned nibble = pam(s.pam_index) >> s.shift;
    return {(nibble & kPamRe) != 0, (nibble & kPamWe) != 0};
}

void I440fx::set_dram_size(uint64_t bytes) {
    const uint64_t total = std::min((bytes + kDrbUnit - 1) / kDrbUnit, kMaxDram / kDrbUnit);
    uint64_t end = 0;
    for (unsigned row = 0; row < kDrbCount; ++row) {
        end = std::min(end + kMaxRowBytes / kDrbUnit, total);
        config_.define(kDrb0 + row, 1, static_cast<uint8_t>(end), 0xff);
    }
}

}  // namespace prevt::devices
