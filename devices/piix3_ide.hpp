// The PIIX3's IDE function, PCI 00:01.1 (datasheet: Intel 82371FB (PIIX) and 82371SB (PIIX3)
// PCI ISA IDE Xcelerator, 290550, "PCI Configuration Registers - IDE Interface"): what makes a
// BIOS find the ATA channels on a PCI machine (SeaBIOS's ata_scan() looks for class 0101h and,
// in legacy mode, uses 0x1f0/0x3f6, IRQ 14 and 0x170/0x376, IRQ 15). The channel itself is
// ata_disk.hpp. State: new.
//
// Models the configuration space as stored state: 8086:7010, revision 00h, class 010180h (IDE,
// legacy ("compatibility") mode on both channels, bus master capable, as the PIIX3 reports);
// PCICMD (I/O space and bus master enables writable, reset 0), PCISTS (DEVSEL medium, fast
// back-to-back; the abort bits write-1-to-clear), the interrupt line (a scratch byte), IDETIM
// primary/secondary (40h-43h, reset 0, stored), SIDETIM (44h, stored).
// Missing: the bus master IDE registers: BMIBA (BAR 4, 20h) reads 0 and takes no address, so
// software sees no bus master and uses PIO (SeaBIOS: "bar & PCI_BASE_ADDRESS_SPACE_IO" fails);
// IDETIM's decode enable does not switch the legacy ports off, nor PCICMD's I/O enable.
#pragma once

#include "devices/pci_host.hpp"

namespace prevt::devices {

class Piix3Ide final : public PciFunction {
public:
    Piix3Ide();
    std::string_view name() const override { return "piix3-ide"; }
    uint32_t config_read(unsigned reg, unsigned size) override { return config_.read(reg, size); }
    void config_write(unsigned reg, unsigned size, uint32_t value) override {
        config_.write(reg, size, value);
    }
    void reset() override { config_.reset(); }

private:
    PciConfigSpace config_;
};

}  // namespace prevt::devices
