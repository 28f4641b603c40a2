#include "devices/piix3_ide.hpp"

namespace prevt::devices {

Piix3Ide::Piix3Ide() {
    config_.define_identity({0x8086, 0x7010, 0x00, 0x010180, 0x00});
    config_.define(0x04, 2, 0x0000, 0x0005);          // PCICMD: I/O space, bus master
    config_.define(0x06, 2, 0x0280, 0x0000, 0x3800);  // PCISTS: RMA, RTA, STA write-1-clear
    config_.define(0x3c, 1, 0x00, 0xff);              // interrupt line
    config_.define(0x40, 2, 0x0000, 0xf3ff);          // IDETIM, primary channel
    config_.define(0x42, 2, 0x0000, 0xf3ff);          // IDETIM, secondary channel
    config_.define(0x44, 1, 0x00, 0xff);              // SIDETIM
}

}  // namespace prevt::devices
