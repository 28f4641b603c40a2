// A PS/2 keyboard (IBM PS/2 Hardware Interface Technical Reference, "Keyboard", 101/102-key
// keyboard commands), the device behind the i8042's keyboard port (i8042.hpp). It has no ports
// of its own: the controller hands it the bytes the guest writes to port 0x60 and takes the
// bytes it sends, one at a time, into its output buffer. State: new.
//
// Models: the commands Linux's atkbd and SeaBIOS send, answered at once: 0xff reset (0xfa,
// then the BAT result 0xaa; defaults restored), 0xfe resend (the last byte sent, again), 0xf6
// set defaults and 0xf5 default-disable (0xfa; 0xf5 also stops scanning), 0xf4 enable scanning
// (0xfa), 0xf2 identify (0xfa 0xab 0x83: an MF2 keyboard; the controller translates 0x83 to
// 0x41 when its translation is on), 0xf0 scan code set (0xfa, then with parameter 0 the set
// number, with 1-3 0xfa and the set is stored), 0xf3 typematic rate and 0xed LEDs (0xfa, then
// 0xfa for the parameter, which is stored), 0xee echo (0xee), 0xf7-0xfa set-3 key modes (0xfa,
// nothing stored). A parameter byte with bit 7 set is taken as a new command instead, as the
// keyboard does. Every other byte, and 0xfb-0xfd (which take a key list), answers 0xfe
// (resend), which Linux reads as "not supported". A 16-byte output buffer: inject() adds a
// whole key's bytes or none; reset and 0xf5/0xf6 empty it.
// Missing: typematic repeat (the host injects each make and break); converting injected codes
// to the selected set: inject() takes bytes of the set the guest selected (set 2 after reset;
// the controller turns them into set 1 when its translation is on); the overrun code (a key
// that does not fit is dropped, inject() says so). Ignored: the LEDs and typematic values
// beyond storing them.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace prevt::devices {

class Ps2Keyboard {
public:
    static constexpr unsigned kBufferSize = 16;

    Ps2Keyboard() { set_defaults(); }

    // A byte from the controller: a command or a command's parameter.
    void receive(uint8_t byte);
    // Key bytes (make or break codes) from the host. Dropped, and false returned, when
    // scanning is disabled or the output buffer cannot take all of them.
    bool inject(std::span<const uint8_t> bytes);

    // The next byte to send to the controller.
    bool has_output() const { return count_ != 0; }
    uint8_t pop_output();

    bool scanning() const { return scanning_; }
    uint8_t leds() const { return leds_; }  // bit 0 scroll, 1 num, 2 caps lock
    uint8_t scan_code_set() const { return scan_code_set_; }
    uint8_t typematic() const { return typematic_; }

private:
    void command(uint8_t byte);
    void parameter(uint8_t command, uint8_t byte);
    void set_defaults();
    void send(uint8_t byte);
    void clear_output() { head_ = count_ = 0; }

    std::array<uint8_t, kBufferSize> out_{};  // a ring of count_ bytes from head_
    unsigned head_ = 0;
    unsigned count_ = 0;
    uint8_t awaiting_parameter_ = 0;  // 0xed, 0xf0 or 0xf3 while its parameter is due; else 0
    uint8_t last_sent_ = 0xaa;        // for 0xfe resend
    bool scanning_ = true;
    uint8_t leds_ = 0;
    uint8_t scan_code_set_ = 2;
    uint8_t typematic_ = 0;
};

}  // namespace prevt::devices
