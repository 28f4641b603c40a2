// What a terminal sends, as a PC keyboard would send it: the bytes of a raw terminal (ASCII,
// control characters, the VT100/xterm escape sequences of cursor, editing and function keys)
// turned into scan code set 2 (IBM PS/2 Keyboard Technical Reference: make codes, 0xf0 break
// prefix, 0xe0 for the extended keys), each key pressed and released, with Shift or Ctrl
// around it where the character needs them. For --display text: the bytes go to the 8042's
// keyboard (devices/i8042.hpp inject_keys), which translates them to set 1 if the guest asked.
//
// An ESC waits for what follows ('[' or 'O' start a sequence); flush() gives a lone ESC as the
// Esc key when nothing followed. Missing: Alt (ESC followed by a character is Esc, then the
// character), keypad keys, F11/F12 in other terminals' encodings, sequences with modifiers
// (ESC [1;5A); bytes 0x80-0xff (UTF-8) are dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevt {

class TerminalKeys {
public:
    // The set 2 bytes for one more terminal byte (empty while a sequence is incomplete or the
    // byte has no key).
    std::vector<uint8_t> feed(uint8_t byte);
    // Ends a pending lone ESC: the Esc key (empty if nothing is pending).
    std::vector<uint8_t> flush();

private:
    std::vector<uint8_t> sequence_end(uint8_t final_byte);
    enum class State { kText, kEscape, kCsi, kSs3 };
    State state_ = State::kText;
    std::string parameters_;  // the digits of ESC [ n ~
};

}  // namespace prevt
