// The Intel 82441FX PCI and Memory Controller (PMC) of the 440FX chipset, as PCI function
// 00:00.0, the host bridge (datasheet: Intel 440FX PCIset 82441FX PMC and 82442FX DBX, 290549).
// State: new.
//
// Models the configuration space as stored state: the header (8086:1237, revision 02h, class
// 060000h host bridge, header type 00h: a single function, no BARs); PCICMD (SERR# and parity
// error response enables writable; memory and bus master enables hardwired to 1, I/O to 0);
// PCISTS (DEVSEL medium and fast back-to-back capable read-only; bits 15:12 write-1-to-clear,
// never set here); the master latency timer (bits 7:3); the interrupt line (0x3c, a scratch
// byte: the PMC has no interrupt pin); and at their reset values, stored as written: PMCCFG
// 50h, DETURBO 52h, DBC 53h, AXC 54h, DRAMR 55h-56h, DRAMC 57h, DRAMT 58h, DRB0-7 60h-67h,
// FDHC 68h (bits 7:6), MTT 70h, CLT 71h, ERRCMD 90h, ERRSTS 91h (write-1-to-clear). The
// header and 50h-5fh/72h reset values agree with Bochs' model of this chip; DRB, FDHC, MTT,
// CLT, ERRCMD/ERRSTS and the write masks of 50h-58h and 70h-71h (taken as 0xff) were written
// without the datasheet at hand: check them against its register summary.
//
// PAM0-6 (59h-5fh) hold, per nibble, RE (bit 0/4: reads of the segment go to DRAM) and WE
// (bit 1/5: writes go to DRAM) for the segments of 0xc0000-0xfffff; bits 6/2 and 7/3 are
// reserved on the 82441FX (cacheability is the CPU's MTRRs) and read 0, as does PAM0's low
// nibble. The PMC only stores them: the PamObserver is the hook by which the machine remaps
// the segments (RAM, ROM or the PCI bus) on every write; pam_attributes() decodes an address.
// SMRAM (72h): D_OPEN, D_CLS, D_LCK and SMRAME are writable, C_BASE_SEG reads 010b (the
// 0xa0000 segment); once D_LCK is set, D_OPEN reads 0 and D_LCK and D_OPEN are read-only until
// reset. The SmramObserver is the same kind of hook for the 0xa0000-0xbffff window.
//
// Missing: any effect of these registers: the machine acts on PAM and SMRAM through the
// observers; DRAM timing, refresh, deturbo and error reporting do nothing; the 82442FX DBX.
// set_dram_size() stands in for a BIOS's DRAM sizing of the DRBs.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "devices/pci_host.hpp"

namespace prevt::devices {

class I440fx final : public PciFunction {
public:
    static constexpr unsigned kPam0 = 0x59;
    static constexpr unsigned kPamCount = 7;
    static constexpr unsigned kDrb0 = 0x60;
    static constexpr unsigned kDrbCount = 8;
    static constexpr unsigned kSmram = 0x72;
    static constexpr uint64_t kDrbUnit = 8ull << 20;  // DRB granularity: 8 MiB
    static constexpr uint8_t kSmramDLck = 0x10;

    // Called after every guest write to a PAM register (even if the value is unchanged) and
    // for each PAM register on reset(), with its index 0-6 and the stored value.
    using PamObserver = std::function<void(unsigned pam_index, uint8_t value)>;
    // Called after every guest write to SMRAM and on reset(), with the stored value.
    using SmramObserver = std::function<void(uint8_t value)>;

    I440fx();

    std::string_view name() const override { return "i440fx"; }
    uint32_t config_read(unsigned reg, unsigned size) override { return config_.read(reg, size); }
    void config_write(unsigned reg, unsigned size, uint32_t value) override;
    void reset() override;

    void set_pam_observer(PamObserver observer) { pam_observer_ = std::move(observer); }
    void set_smram_observer(SmramObserver observer) { smram_observer_ = std::move(observer); }

    uint8_t pam(unsigned index) const { return config_.byte(kPam0 + index); }
    uint8_t smram() const { return config_.byte(kSmram); }
    uint8_t drb(unsigned row) const { return config_.byte(kDrb0 + row); }

    // One PAM segment: 0xf0000-0xfffff (PAM0 high nibble) or a 16 KiB segment of
    // 0xc0000-0xeffff; `shift` is 0 (low nibble) or 4 (high nibble) of PAM `pam_index`.
    struct PamSegment {
        uint32_t base;
        uint32_t size;
        unsigned pam_index;
        unsigned shift;
    };
    // The segment holding `address`, which must be in 0xc0000-0xfffff.
    static PamSegment pam_segment(uint32_t address);
    struct PamAttributes {
        bool read_dram;   // RE: reads go to DRAM (else to PCI: the BIOS ROM, option ROMs)
        bool write_dram;  // WE: writes go to DRAM (else to PCI)
    };
    PamAttributes pam_attributes(uint32_t address) const;

    // The DRBs as a BIOS would set them for `bytes` of RAM: cumulative row ends in 8 MiB
    // units, rows of at most 128 MiB (the largest 82441FX row) filled from row 0, the empty rows
    // repeating the total. The size is rounded up to 8 MiB and capped at the PMC's 1 GiB. They
    // become the reset values, so a reset without a BIOS keeps them.
    void set_dram_size(uint64_t bytes);

private:
    void write_smram(uint8_t value);
    void notify_all();

    PciConfigSpace config_;
    PamObserver pam_observer_;
    SmramObserver smram_observer_;
};

}  // namespace prevt::devices
