// The PC chipset the Linux and BIOS guests expect, wired into the machine (machine.hpp): the
// MC146818 CMOS/RTC on IRQ 8 and the deadline queue, the 8042 with its keyboard on IRQ 1 and
// 12, port 0x92, port 0x80, QEMU's pc-testdev when asked for (-device pc-testdev), and the PCI
// host bridge with the 440FX host bridge and the PIIX3 ISA bridge (its 0xcf9 reset control)
// and its IDE function; the storage devices and the VGA (machine_storage.cpp); QEMU's fw_cfg
// (one CPU, the RAM size). Their A20 outputs are ORed; their reset requests end the run. The
// CMOS, the 440FX's DRAM rows and fw_cfg are sized from -m.
#include <array>
#include <cstdio>
#include <ctime>

#include "core/machine.hpp"

namespace prevt {

void Machine::build_chipset() {
    rtc_ = std::make_unique<devices::Mc146818>(clock_, pic_.line(devices::Mc146818::kIrq),
                                               static_cast<int64_t>(time(nullptr)));
    rtc_->set_memory_size(ram_.size());
    timers_.add(*rtc_);
    auto a20 = [this](bool) {
        a20_ = (i8042_ && i8042_->a20()) || (port92_ && port92_->a20());
        linear_.set_a20(a20_);
        if (engine_) engine_->set_a20(a20_);
    };
    devices::I8042::Wiring wiring;
    wiring.keyboard_irq = pic_.line(1);
    wiring.aux_irq = pic_.line(12);
    wiring.a20 = a20;
    wiring.reset = [this] { reset_requested("the 8042's reset line"); };
    i8042_ = std::make_unique<devices::I8042>(std::move(wiring));
    port92_ = std::make_unique<devices::Port92>(a20, [this] { reset_requested("port 0x92"); });
    pmc_.set_dram_size(ram_.size());
    piix3_.set_reset_request([this](bool) { reset_requested("the PIIX3's 0xcf9"); });
    pci_.add_function(0, 0, pmc_);
    piix3_.set_multi_function();  // the IDE function beside it
    pci_.add_function(1, 0, piix3_);
    pci_.add_function(1, 1, piix3_ide_);
    pci_.set_reset_control(&piix3_.reset_control());
    ports_.attach(devices::Mc146818::kIoBase, devices::Mc146818::kPortCount, *rtc_);
    i8042_->attach(ports_);
    ports_.attach(devices::Port92::kIoBase, devices::Port92::kPortCount, *port92_);
    ports_.attach(devices::PostPort::kIoBase, 1, post_port_);
    if (config_.pc_testdev) {  // (QEMU has it only with -device pc-testdev)
        std::array<devices::IrqLine*, devices::PcTestdev::kIsaIrqs> lines{};
        for (unsigned irq = 0; irq < lines.size(); ++irq)
            if (irq != devices::PicPair::kCascadeIrq) lines[irq] = pic_.line(irq);
        pc_testdev_ = std::make_unique<devices::PcTestdev>(lines);
        pc_testdev_->attach(ports_);
    }
    ports_.attach(devices::PciHost::kIoBase, devices::PciHost::kPortCount, pci_);
    fw_cfg_.set_u16(devices::FwCfg::kNbCpus, static_cast<uint16_t>(config_.cpus));  // -smp
    fw_cfg_.set_u16(devices::FwCfg::kMaxCpus, static_cast<uint16_t>(config_.cpus));
    fw_cfg_.set_u64(devices::FwCfg::kRamSize, ram_.size());
    ports_.attach(devices::FwCfg::kIoBase, devices::FwCfg::kPortCount, fw_cfg_);
    build_storage();
}

void Machine::reset_requested(const char* by) {
    if (stop_) return;  // (Linux pulses the 8042 up to ten times)
    // prevt never reboots: without -no-reboot (QEMU would reboot) the line says so.
    fprintf(stderr, "prevt: the guest reset the machine (%s); %s\n", by,
            config_.no_reboot ? "the run ends (-no-reboot)"
                              : "prevt does not reboot: the run ends, as with -no-reboot");
    exit_status_ = kStatusPowerOff;
    stop_ = true;
}

}  // namespace prevt
