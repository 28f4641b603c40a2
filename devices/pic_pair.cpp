#include "devices/pic_pair.hpp"

#include <stdexcept>
#include <string>

namespace prevt::devices {

PicPair::PicPair() {
    master_.attach_slave(kCascadeIrq, slave_);
}

void PicPair::attach(Bus& ports) {
    ports.attach(kMasterBase, I8259::kPortCount, master_);
    ports.attach(kSlaveBase, I8259::kPortCount, slave_);
}

I8259& PicPair::chip_for(unsigned irq) {
    if (irq >= kIrqCount || irq == kCascadeIrq)
        throw std::out_of_range("pic pair: IRQ " + std::to_string(irq) + " cannot be driven");
    return irq < I8259::kLineCount ? master_ : slave_;
}

void PicPair::set_irq(unsigned irq, bool level) {
    chip_for(irq).set_irq(irq % I8259::kLineCount, level);
}

IrqLine* PicPair::line(unsigned irq) {
    return chip_for(irq).input(irq % I8259::kLineCount);
}

}  // namespace prevt::devices
