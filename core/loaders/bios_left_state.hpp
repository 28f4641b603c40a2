// The state a PC BIOS leaves for the kernel it boots, as QEMU's SeaBIOS leaves it for a
// Multiboot kernel: QEMU runs SeaBIOS's whole POST and boots the kernel through its multiboot
// option ROM, so every Multiboot kernel on QEMU finds the BIOS's interrupt controllers, timer,
// IVT and BIOS data area (docs/real-mode.md, "The state a BIOS leaves"). prevt runs no BIOS
// before a Multiboot kernel; leave_bios_state() gives it that state instead. Linux kernels
// (linux_boot.hpp) do not get it: they reprogram the devices themselves.
//
// From SeaBIOS's sources (src/hw/pic.c pic_reset, src/clock.c pit_setup/clock_setup/handle_08,
// src/post.c ivt_init/bda_init, src/romlayout.S's fixed entry points) and measured under QEMU
// 7.2 TCG with Debian's SeaBIOS 1.16.2 and -nodefaults (tests/guests/bios_state.c):
// - the 8259A pair initialised as pic_reset does it (ICW1 0x11: edge, cascade, ICW4; bases
//   0x08 and 0x70; ICW3 0x04/0x02; 8086 mode), then the masks SeaBIOS's drivers leave: IRQ 0
//   (clock.c), 1 and 12 (ps2port.c), 2 (the cascade), 6 (floppy.c), 8 (clock.c), 13 (misc.c)
//   and 14 (ata.c) open: master 0xb8, slave 0x8e;
// - PIT channel 0 in mode 2, lobyte/hibyte, binary, count 0 (65536: 18.2 Hz), as pit_setup;
// - the IVT: every vector at an iret (F000:FF53, SeaBIOS's entry_iret_official) except 0x60-0x66
//   and 0x79 (0000:0000); IRQ 0's vector 0x08 at F000:FEA5, a handler that counts the tick in
//   the BDA (0040:006C, wrapping at a day's 0x1800B0 ticks into 0040:0070), chains to int 0x1c
//   and EOIs the master; the other hardware vectors (0x09-0x0f, 0x70-0x77) at handlers that
//   EOI the master (and, for 0x70-0x77, the slave first) and return, as SeaBIOS's hwpic1/hwpic2;
// - the BIOS data area as SeaBIOS fills it on QEMU's PC: COM1 at 0x3f8, the EBDA at segment
//   0x9fc0 (1 KiB, its size byte set), 639 KiB of base memory, the equipment word, the
//   keyboard buffer's pointers, COM1's timeout, the disk control byte, the tick count from the
//   RTC's time of day (read through its ports, as clock_setup reads it).
// The devices are programmed through their ports, as SeaBIOS programs them; the IVT, the
// handlers and the BDA are written into guest RAM (0xf0000-0xfffff is RAM for a Multiboot
// guest, reported reserved in the Multiboot memory map: QEMU's copy there is read-only).
//
// Not left: SeaBIOS's software services (int 0x10, 0x13, 0x15, 0x16, 0x1a, ...: they are
// irets here), its keyboard, RTC, disk and mouse handlers (IRQ 1, 6, 8, 12-14 only EOI: IRQ 1
// reads no scan code), int 0x1c called with IF clear (SeaBIOS sets IF for it), the PIIX3's
// ELCR (SeaBIOS makes IRQ 10 and 11 level-triggered; prevt has no ELCR), and the BDA's
// floppy motor count-down.
#pragma once

#include <cstdint>

#include "core/guest_memory.hpp"
#include "devices/bus.hpp"

namespace prevt::loaders {

// Where the BIOS state puts things (real-mode segment:offset, physical).
inline constexpr uint16_t kBiosSegment = 0xf000;
inline constexpr uint16_t kIretHandler = 0xff53;   // SeaBIOS's entry_iret_official
inline constexpr uint16_t kTimerHandler = 0xfea5;  // IRQ 0's handler, the IBM PC's address
inline constexpr uint8_t kMasterVectorBase = 0x08, kSlaveVectorBase = 0x70;
inline constexpr uint8_t kMasterMask = 0xb8, kSlaveMask = 0x8e;
inline constexpr uint32_t kBdaTicks = 0x46c, kBdaTickRollover = 0x470;
inline constexpr uint32_t kTicksPerDay = 0x1800b0;
inline constexpr uint16_t kEbdaSegment = 0x9fc0;

// Programs the PIC pair (0x20/0xa0) and PIT channel 0 (0x40/0x43) through `ports`, reads the
// RTC's time (0x70/0x71) for the BDA's tick count, and writes the IVT, its handlers, the BDA
// and the EBDA's first bytes into `mem` (at least 1 MiB). Before the kernel is loaded, as the
// BIOS runs before it: a kernel loaded over any of it wins.
void leave_bios_state(devices::Bus& ports, GuestMemory& mem);

// The BDA's tick count for a time of day, as SeaBIOS's ticks_from_ms: ticks at 18.2 Hz
// (1193182 / 65536) since midnight, rounded up.
uint32_t ticks_since_midnight(unsigned hours, unsigned minutes, unsigned seconds);

}  // namespace prevt::loaders
