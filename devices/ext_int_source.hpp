// What a local APIC's LINT0 sees of the 8259 pair in virtual-wire mode (ExtINT): the master's
// INT output and its INTA cycle, which gives the vector (Intel MultiProcessor Specification
// 1.4, 3.6.2.2 "Virtual Wire Mode"). PicPair is one; tests give a fake.
#pragma once

#include <cstdint>

namespace prevt::devices {

class ExtIntSource {
public:
    virtual ~ExtIntSource() = default;
    virtual bool interrupt_pending() const = 0;
    virtual uint8_t acknowledge() = 0;
};

}  // namespace prevt::devices
