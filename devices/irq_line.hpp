// An interrupt request line from a device to an interrupt controller (an 8259A input:
// I8259::input() or PicPair::line(); a device may also be given a null line). Devices own no
// threads; they only change levels.
#pragma once

namespace prevt::devices {

class IrqLine {
public:
    virtual ~IrqLine() = default;
    virtual void set_level(bool high) = 0;
};

}  // namespace prevt::devices
