// QEMU's pc-testdev (hw/misc/pc-testdev.c), the ISA test device kvm-unit-tests' x86/run adds
// with `-device pc-testdev`: a scratch register for port I/O tests and a port per ISA IRQ line
// that a guest raises and lowers itself. prevt attaches it only when `-device pc-testdev` is
// given, as QEMU has it only then. State: new.
//
// Models, at QEMU's ports:
// - 0xe0-0xe3 and 0xe8-0xeb (but 0xe9, below): one 32-bit register, both windows onto the
//   same four bytes (QEMU's "ioport" and "ioport-byte"): a write of N bytes at 0xe0 + k
//   replaces bytes k..k+N-1, a read returns them (realmode.flat's `pio` tests write 0xff, 0xffff,
//   0xffffffff and read them back).
// - 0x2000-0x2017: the IRQ lines. A write sets line n = port - 0x2000 high when its byte is
//   non-zero, low when it is zero; a wider access is one byte per line, as QEMU splits it (its
//   region takes only bytes), so `outl 1` to 0x200b raises IRQ 11 and lowers 12-14. Reads give
//   0. Lines 0-15 drive the 8259A pair's inputs directly, as QEMU's ISA IRQs do (the level is
//   the last one written, by this device or by the device that shares the line).
// Missing: port 0xe9, byte 1 of the 0xe8 window, which stays prevt's debug console (QEMU's
// -debugcon port, always there in prevt; QEMU -nodefaults has none); the 64 KiB of scratch
// memory QEMU maps at 0xff000000 ("iomem"): prevt's memory map has no MMIO there, so it reads
// all-ones and drops writes as any unassigned address.
// Ignored: the flush port 0xe4-0xe7 (a 4-byte write makes QEMU mprotect its own host mapping
// of the guest page the value names, which a guest cannot see): writes are dropped, reads
// give 0. IRQ 2 (the cascade: PicPair cannot drive it; QEMU would raise the master's IR2
// beside the slave's INT) and lines 16-23 (QEMU's isa_get_irq asserts below 16, ending QEMU;
// prevt has no IOAPIC either): their writes are dropped.
#pragma once

#include <array>
#include <cstdint>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class PcTestdev final {
public:
    static constexpr uint16_t kRegisterBase = 0xe0, kFlushBase = 0xe4, kByteWindowBase = 0xe8;
    static constexpr uint16_t kDebugConsolePort = 0xe9;  // prevt's, left to it
    static constexpr uint16_t kIrqBase = 0x2000;
    static constexpr unsigned kIrqPortCount = 24;
    static constexpr unsigned kIsaIrqs = 16;  // the lines that reach a PIC input

    // `lines[n]`: ISA IRQ n's input (PicPair::line); null for a line that goes nowhere.
    explicit PcTestdev(const std::array<IrqLine*, kIsaIrqs>& lines) : irq_ports_(lines) {}
    PcTestdev(const PcTestdev&) = delete;
    PcTestdev& operator=(const PcTestdev&) = delete;

    // 0xe0-0xe8, 0xea-0xeb (0xe9 is prevt's debug console) and 0x2000-0x2017.
    void attach(Bus& ports) {
        ports.attach(kRegisterBase, 4, register_);
        ports.attach(kFlushBase, 4, flush_);
        ports.attach(kByteWindowBase, 1, byte_window_low_);
        ports.attach(kDebugConsolePort + 1, 2, byte_window_high_);
        ports.attach(kIrqBase, kIrqPortCount, irq_ports_);
    }

    uint32_t data() const {
        return data_[0] | data_[1] << 8 | data_[2] << 16 | uint32_t{data_[3]} << 24;
    }

private:
    // Bytes [first, first + count) of the register, at consecutive ports.
    class RegisterBytes final : public IoDevice {
    public:
        RegisterBytes(std::array<uint8_t, 4>& data, unsigned first, unsigned count)
            : data_(data), first_(first), count_(count) {}
        std::string_view name() const override { return "pc-testdev"; }
        uint32_t read(uint64_t offset, unsigned size) override {
            return read_split(offset, size, count_,
                              [this](unsigned port) { return data_[first_ + port]; });
        }
        void write(uint64_t offset, unsigned size, uint32_t value) override {
            write_split(offset, size, value, count_,
                        [this](unsigned port, uint8_t b) { data_[first_ + port] = b; });
        }

    private:
        std::array<uint8_t, 4>& data_;
        unsigned first_, count_;
    };

    // 0xe4-0xe7: writes dropped, reads 0.
    class FlushPort final : public IoDevice {
    public:
        std::string_view name() const override { return "pc-testdev-flush"; }
        uint32_t read(uint64_t offset, unsigned size) override {
            return read_split(offset, size, 4, [](unsigned) { return uint8_t{0}; });
        }
        void write(uint64_t, unsigned, uint32_t) override {}
    };

    // 0x2000-0x2017, one byte per line.
    class IrqPorts final : public IoDevice {
    public:
        explicit IrqPorts(const std::array<IrqLine*, kIsaIrqs>& lines) : lines_(lines) {}
        std::string_view name() const override { return "pc-testdev-irq"; }
        uint32_t read(uint64_t offset, unsigned size) override {
            return read_split(offset, size, kIrqPortCount, [](unsigned) { return uint8_t{0}; });
        }
        void write(uint64_t offset, unsigned size, uint32_t value) override {
            write_split(offset, size, value, kIrqPortCount, [this](unsigned line, uint8_t b) {
                if (line < kIsaIrqs && lines_[line]) lines_[line]->set_level(b != 0);
            });
        }

    private:
        std::array<IrqLine*, kIsaIrqs> lines_;
    };

    std::array<uint8_t, 4> data_{};
    RegisterBytes register_{data_, 0, 4};
    FlushPort flush_;
    RegisterBytes byte_window_low_{data_, 0, 1}, byte_window_high_{data_, 2, 2};
    IrqPorts irq_ports_;
};

}  // namespace prevt::devices
