// The Intel 82371SB PIIX3's PCI-to-ISA bridge, PCI function 00:01.0 (datasheet: Intel 82371FB
// (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator, 290550), and its reset control register
// at I/O port 0xcf9. State: new.
//
// Models the configuration space as stored state: the header (8086:7000, revision 00h, class
// 060100h ISA bridge, no BARs); PCICMD (I/O, memory and bus master enables hardwired on;
// special cycle enable and SERR# enable writable); PCISTS (DEVSEL medium read-only; signaled
// system error, received master abort, received target abort and signaled target abort
// write-1-to-clear, never set here); the interrupt line (0x3c, a scratch byte: no interrupt
// pin); and at their reset values, stored: IORT 4ch, XBCS 4eh-4fh, PIRQRC[A:D] 60h-63h (80h:
// routing disabled; bit 7 and IRQ bits 3:0 writable, read back by pirq_irq()), TOM 69h (top of
// memory and the ISA/DMA forwarding bits), MSTAT 6ah-6bh, MBIRQ0 70h, MBDMA0-1 76h-77h, PCSC
// 78h-79h, APICBASE 80h, DLC 82h (deterministic latency control), the SMI registers SMICNTL
// a0h, SMIEN a2h, SEE a4h-a7h, FTMR a8h, SMIREQ aah, CTLTMR ach, CTLTMRH aeh. The reset values
// and the PCICMD, PCISTS, PIRQRC, XBCS, MSTAT and APICBASE masks agree with Bochs' model of this
// chip; the other masks (most taken as 0xff: stored as written) were written without the
// datasheet at hand: check them against it.
//
// Header type 00h, where the real PIIX3 reads 80h (IDE at function 1, USB at 2), until the
// machine puts a function beside it and calls set_multi_function() (the IDE function,
// piix3_ide.hpp): a multi-function bit with empty siblings would only send software probing.
//
// RC (0xcf9, a byte register): SRST (bit 1, hard reset) and RCPU (bit 2) are stored; RCPU
// going from 0 to 1 asks for a reset, hard if SRST is set (the system, PCIRST#) else soft (the
// CPU's INIT), through the ResetRequest callback. Linux's reboot=pci writes 02h then 06h.
//
// Missing: everything the registers would drive: PIRQ routing of PCI interrupts to the 8259s
// (no PCI device raises one yet), the ELCR (0x4d0/0x4d1), the X-bus chip selects, top of memory
// forwarding, the motherboard IRQ and DMA lines, APM/SMI (ports 0xb2/0xb3, no SMM here), the
// IDE and USB functions, the ISA DMA controllers and the RTC, which live elsewhere or nowhere.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "devices/bus.hpp"
#include "devices/pci_host.hpp"

namespace prevt::devices {

class Piix3 final : public PciFunction {
public:
    static constexpr unsigned kPirqrc = 0x60;
    static constexpr unsigned kPirqCount = 4;  // PIRQA#-PIRQD#
    static constexpr unsigned kTom = 0x69;
    static constexpr uint16_t kResetControlPort = 0xcf9;

    // `hard`: SRST was set, reset the whole system; else a soft reset (INIT) of the CPU only.
    using ResetRequest = std::function<void(bool hard)>;

    // RC at 0xcf9: one byte register seen at offset 0 (PciHost::set_reset_control()); wider
    // accesses read all-ones above the first byte.
    class ResetControl final : public IoDevice {
    public:
        std::string_view name() const override { return "piix3-rc"; }
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;

    private:
        friend class Piix3;
        explicit ResetControl(Piix3& piix3) : piix3_(piix3) {}
        Piix3& piix3_;
        uint8_t value_ = 0;
    };

    explicit Piix3(ResetRequest on_reset = {});
    // reset_control() points back at the chip: it cannot move.
    Piix3(const Piix3&) = delete;
    Piix3& operator=(const Piix3&) = delete;

    std::string_view name() const override { return "piix3"; }
    uint32_t config_read(unsigned reg, unsigned size) override { return config_.read(reg, size); }
    void config_write(unsigned reg, unsigned size, uint32_t value) override;
    // PCIRST#: configuration registers and RC back to their reset values.
    void reset() override;

    void set_reset_request(ResetRequest on_reset) { on_reset_ = std::move(on_reset); }
    // Header type 80h: functions 1-7 of this device are there.
    void set_multi_function();
    ResetControl& reset_control() { return reset_control_; }

    uint8_t pirq_route(unsigned pirq) const { return config_.byte(kPirqrc + pirq); }
    // The ISA IRQ PIRQ`pirq`# (0 = A) is routed to, or nullopt while routing is disabled
    // (bit 7) or the IRQ is one the PIIX3 reserves (0-2, 8, 13).
    std::optional<unsigned> pirq_irq(unsigned pirq) const;

private:
    PciConfigSpace config_;
    ResetRequest on_reset_;
    ResetControl reset_control_{*this};
};

}  // namespace prevt::devices
