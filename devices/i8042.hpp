// The PC/AT keyboard controller, an Intel 8042 running IBM's firmware, in its PS/2 form (IBM
// PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device Controller"; the
// same commands as QEMU's i8042 and chipset KBCs): data at port 0x60, status (read) and
// command (write) at 0x64, IRQ 1 for the keyboard, IRQ 12 for the auxiliary (mouse) port, and
// two lines of its output port wired to the system: A20 gate and CPU reset. State: new.
//
// Models: the status register (OBF; IBF always 0, since every command completes during the
// write; SYS from command byte bit 2; CMD/DATA; keyboard not inhibited always 1; AUXB; the
// timeout bit for an answer from the absent mouse; parity 0); the output buffer, fed one byte
// at a time, controller answers first, then the keyboard's bytes, refilled when port 0x60 is
// read; the command byte (its interrupt enables gate IRQ 1 and IRQ 12 on OBF, whose level they
// follow; bits 4 and 5 inhibit the keyboard and aux ports: an inhibited keyboard keeps its
// bytes until enabled; bit 6, translation of set 2 to set 1 for every byte from the keyboard,
// including the 0xf0 break prefix); the 32 bytes of controller RAM (0x20-0x3f read byte n,
// 0x60-0x7f write it; byte 0 is the command byte); commands 0xa7/0xa8 (aux port off/on, in
// the command byte), 0xa9 aux interface test (0x00), 0xaa self test (0x55, sets SYS), 0xab
// keyboard interface test (0x00), 0xad/0xae (keyboard port off/on), 0xc0 read input port
// (0xb0: bit 7 keyboard not inhibited, bit 5 no manufacturing jumper, bit 4 set, bit 6, the display
// strap, clear), 0xd0 read output port, 0xd1 write output port (bit 1 A20 gate, bit 0 clear resets
// the system), 0xd2/0xd3 write keyboard/aux output buffer (the byte comes back as if that device
// sent it, untranslated, even while the port is inhibited: Linux's aux loop test relies on it),
// 0xd4 write to the aux device, 0xdd/0xdf A20 off/on (HP Vectra; many chipsets), 0xf0-0xff pulse
// output port bits 3:0 (a clear bit pulses that line: every even command resets the system, as on
// the 8042 and in QEMU; pulsing A20 and the undefined lines does nothing). Writing a byte to the
// keyboard (0x60 with no command waiting for data) clears command byte bit 4 and 0xd4 clears
// bit 5, as the firmware must release the clock line to send (QEMU does the same).
//
// The aux port is present with nothing plugged in, as on a PC with no mouse: 0xa9 passes,
// 0xd3 echoes with AUXB (so Linux's i8042_check_aux and its IRQ 12 test pass and its mux
// probe sees a plain controller), and every byte sent with 0xd4 is answered 0xfe with AUXB
// and the timeout bit, the firmware's "device did not clock": psmouse's probe fails at once
// instead of timing out. The keyboard is a PS/2 keyboard (ps2_keyboard.hpp).
//
// Missing: a mouse; the controller's password and version commands (0xa4-0xa6, 0xa1), 0xc1/
// 0xc2 input port polling, 0xe0 test inputs and any other command: ignored (no answer, no
// state change; a command waiting for its data byte is abandoned). Answers the guest does not
// read queue up to 8 deep and are dropped beyond (a real 8042 would hold IBF instead). Ignored:
// the keylock (never locked), command byte bits 3 (keylock override) and 7 (stored, no
// effect), parity.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"
#include "devices/ps2_keyboard.hpp"

namespace prevt::devices {

class I8042 {
public:
    static constexpr uint16_t kDataPort = 0x60;
    static constexpr uint16_t kCommandPort = 0x64;  // status on read, command on write
    static constexpr unsigned kKeyboardIrq = 1;
    static constexpr unsigned kAuxIrq = 12;
    static constexpr unsigned kQueueSize = 8;
    // The command byte at power-on (as QEMU): both interrupts enabled, no translation, SYS
    // clear. A BIOS reprograms it (SeaBIOS: 0x61 plus SYS, translation on).
    static constexpr uint8_t kPowerOnCommandByte = 0x03;

    // The controller's outputs. Any may be left empty/null. The callbacks run inside the port
    // write that causes them and should only record what the machine must do; a20() already
    // returns the new level when `a20` is called.
    struct Wiring {
        IrqLine* keyboard_irq = nullptr;  // IRQ 1
        IrqLine* aux_irq = nullptr;       // IRQ 12
        // The output port's A20 gate, called on each change (it starts enabled, as QEMU's; on
        // a PC it is ORed with port 0x92's bit 1, port92.hpp).
        std::function<void(bool enabled)> a20;
        // A reset pulse on the CPU's reset line (0xfe, 0xd1 with bit 0 clear). The line is
        // released at once: output port bit 0 reads back 1. Linux's reboot sends 0xfe up to
        // ten times, so this may be called again before the machine has reset. A PC resets
        // the CPU, not the 8042: the controller keeps its state (and its A20 gate) across it.
        std::function<void()> reset;
    };

    explicit I8042(Wiring wiring);
    I8042(const I8042&) = delete;
    I8042& operator=(const I8042&) = delete;

    // Attaches the data port at 0x60 and the status/command port at 0x64 (one port each).
    void attach(Bus& ports);
    IoDevice& data_port() { return data_port_; }
    IoDevice& command_port() { return command_port_; }

    // A key's scan code bytes from the host console (set 2, as a PS/2 keyboard sends them: make
    // 0x1c, break 0xf0 0x1c for A). False if the keyboard dropped them (scanning disabled or
    // its buffer full).
    bool inject_keys(std::span<const uint8_t> bytes);

    bool a20() const { return a20_; }
    uint8_t command_byte() const { return ram_[0]; }
    uint8_t status() const;
    const Ps2Keyboard& keyboard() const { return keyboard_; }
    bool keyboard_irq_level() const { return irq1_level_; }
    bool aux_irq_level() const { return irq12_level_; }

private:
    // One byte of the output buffer with the status bits that travel with it.
    struct OutByte {
        uint8_t value = 0;
        uint8_t flags = 0;  // AUXB and timeout
    };

    class Port final : public IoDevice {
    public:
        Port(I8042& kbc, bool command) : kbc_(kbc), command_(command) {}
        std::string_view name() const override { return command_ ? "i8042-command" : "i8042-data"; }
        // Only the first byte of an access is the port; the others read as all-ones and are
        // dropped.
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;

    private:
        I8042& kbc_;
        bool command_;
    };

    uint8_t read_data();
    void write_data(uint8_t value);
    void write_command(uint8_t command);
    void command_data(uint8_t command, uint8_t value);
    void set_command_byte(uint8_t value);
    void write_output_port(uint8_t value);
    void set_a20(bool enabled);
    void pulse_reset();
    uint8_t output_port() const;
    void answer(uint8_t value, uint8_t flags = 0);
    void fill_output_buffer();
    void update_irqs();

    Wiring wiring_;
    Port data_port_{*this, false};
    Port command_port_{*this, true};
    Ps2Keyboard keyboard_;

    std::array<uint8_t, 32> ram_{};              // ram_[0] is the command byte
    std::array<OutByte, kQueueSize> answers_{};  // controller answers: a ring of answer_count_
    unsigned answer_head_ = 0;
    unsigned answer_count_ = 0;
    OutByte out_;  // the output buffer, valid while obf_
    bool obf_ = false;
    uint8_t last_data_ = 0;        // what port 0x60 reads while the buffer is empty
    uint8_t waiting_command_ = 0;  // a command waiting for its data byte, or 0
    bool last_write_command_ = false;
    bool translate_break_ = false;  // translation swallowed a 0xf0 prefix
    bool a20_ = true;
    bool irq1_level_ = false;
    bool irq12_level_ = false;
};

}  // namespace prevt::devices
