// The BIOS boot path (-bios FILE, -fda/-hda without a guest): a firmware image such as
// SeaBIOS's bios.bin mapped as a PC maps its flash, and the CPU's reset state.
//
// The image is ROM at the top of the 4 GiB (its last byte at 0xffffffff; the reset vector is
// its last 16 bytes). Its last 128 KiB (all of it if smaller) are also the BIOS area below
// 1 MiB (0xe0000-0xfffff for 128 KiB): there they are RAM holding a copy of the image, as if
// the i440FX's PAM registers had already enabled RAM reads and writes for the whole area.
// SeaBIOS (fw/shadow.c) sets the PAM registers to RAM and copies itself from the top of the
// 4 GiB into that area: under prevt that copy writes the same bytes again. Missing: PAM
// decoding itself (reads never go to the ROM below 1 MiB, stores are never dropped there;
// devices/i440fx.hpp records the registers), the write-protection a BIOS asks for at the end
// of POST (PAM = read-only), SMRAM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/guest_memory.hpp"
#include "core/memory_map.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

// Debian's seabios package.
inline constexpr const char* kDefaultBios = "/usr/share/seabios/bios.bin";

// SeaVGABIOS for an ISA VGA (Debian's seabios package), given to SeaBIOS as the fw_cfg file
// vgaroms/vgabios-isavga.bin: SeaBIOS runs every vgaroms/ file as a VGA option ROM. (Not a
// PCI VGA's ROM BAR: prevt's VGA is ISA text mode only, no 1234:1111 device, no Bochs VBE.)
inline constexpr const char* kDefaultVgaBios = "/usr/share/seabios/vgabios-isavga.bin";
inline constexpr const char* kVgaBiosFwCfgName = "vgaroms/vgabios-isavga.bin";
// The VGA BIOS's bytes, empty if the file is missing (the BIOS then runs without one).
std::vector<uint8_t> read_vga_bios();

// The image's bytes; InputError (one line naming the file) if it cannot be read or its size
// is not a multiple of 64 KiB between 64 KiB and 16 MiB.
std::vector<uint8_t> read_bios(const std::string& path);

// The ROM range of an image of `bytes` bytes (at 4 GiB - bytes).
void add_bios_rom(MemoryMap& map, uint64_t bytes);

// Both copies of the image in `mem` (its ROM range added by add_bios_rom), and the state the
// CPU leaves reset in: real mode at F000:FFF0 (see bios.cpp for CS's base).
VcpuState load_bios(const std::vector<uint8_t>& image, GuestMemory& mem);

}  // namespace prevt
