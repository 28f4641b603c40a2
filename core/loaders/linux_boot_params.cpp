#include "core/loaders/linux_boot_params.hpp"
#include "core/loaders/entry_state.hpp"

#include <algorithm>
#include <array>

namespace prevt {

namespace {

// The PC layout a BIOS reports (as the Multiboot loader's map, multiboot_info.cpp):
// conventional memory up to the EBDA, the EBDA and the BIOS ROM reserved, RAM from 1 MiB to
// the end of guest RAM (prevt has no firmware keeping the top of RAM).
constexpr uint64_t kLowRamEnd = 0x9fc00, kEbdaEnd = 0xa0000, kBiosRom = 0xf0000;
constexpr uint64_t kHighRam = 0x100000;

template <typename T>
void put(std::array<uint8_t, kBpSize>& a, size_t off, T v) {
    memcpy(&a[off], &v, sizeof v);
}

}  // namespace

void write_linux_low_memory(GuestMemory& mem, SetupHeader hdr, const std::string& cmdline,
                            const LinuxBoot& boot) {
    // The loader's fields of the setup header (boot.rst, "Details of Header Fields").
    hdr.put<uint8_t>(kHdrTypeOfLoader, kLinuxLoaderType);
    // LOADED_HIGH stays set; no CAN_USE_HEAP (no real-mode setup code runs, heap_end_ptr is
    // meaningless); QUIET_FLAG clear: the decompressor may print (to the serial port only,
    // with earlyprintk, as no VGA is reported below).
    hdr.put<uint8_t>(kHdrLoadflags,
                     static_cast<uint8_t>(hdr.get8(kHdrLoadflags) & ~(kCanUseHeap | kQuietFlag)));
    hdr.put<uint32_t>(kHdrCode32Start, boot.entry);  // relocatable: where it was loaded
    hdr.put<uint32_t>(kHdrRamdiskImage, boot.initrd_start);
    hdr.put<uint32_t>(kHdrRamdiskSize, boot.initrd_size);
    hdr.put<uint32_t>(kHdrCmdLinePtr, kLinuxCmdline);

    std::array<uint8_t, kBpSize> bp{};  // the zero page starts zeroed (boot.rst)
    memcpy(&bp[kHdrStart], hdr.bytes.data(), hdr.bytes.size());
    // screen_info: no VGA. orig_video_isVGA 0 and 0 lines and columns: the decompressor
    // writes nothing to VGA memory and vgacon does not start; the console is the serial port
    // (console=ttyS0).
    put<uint8_t>(bp, kBpVideoIsVga, 0);
    put<uint8_t>(bp, kBpVideoLines, 0);
    put<uint8_t>(bp, kBpVideoCols, 0);
    // The memory above 1 MiB in KiB, for kernels that do not read the e820 map (ext_mem_k is
    // 16 bits: the BIOS's int 15h/88h answer, capped).
    const uint64_t ram = mem.size();
    const uint64_t high_kib = ram > kHighRam ? (ram - kHighRam) >> 10 : 0;
    put<uint16_t>(bp, kBpExtMemK, static_cast<uint16_t>(std::min<uint64_t>(high_kib, 0xffff)));
    put<uint32_t>(bp, kBpAltMemK, static_cast<uint32_t>(high_kib));
    // The e820 map (struct boot_e820_entry: u64 addr, u64 size, u32 type).
    struct Region {
        uint64_t base, length;
        uint32_t type;
    };
    const Region regions[] = {{0, kLowRamEnd, kE820Ram},
                              {kLowRamEnd, kEbdaEnd - kLowRamEnd, kE820Reserved},
                              {kBiosRom, kHighRam - kBiosRom, kE820Reserved},
                              {kHighRam, ram > kHighRam ? ram - kHighRam : 0, kE820Ram}};
    uint8_t entries = 0;
    for (const Region& r : regions) {
        if (r.length == 0) continue;
        const size_t at = kBpE820Table + entries * kE820Entry;
        put<uint64_t>(bp, at, r.base);
        put<uint64_t>(bp, at + 8, r.length);
        put<uint32_t>(bp, at + 16, r.type);
        ++entries;
    }
    put<uint8_t>(bp, kBpE820Entries, entries);
    mem.write_bytes(boot.boot_params, bp.data(), bp.size());

    std::vector<uint8_t> line(cmdline.begin(), cmdline.end());
    line.push_back(0);
    mem.write_bytes(kLinuxCmdline, line.data(), line.size());
    // The boot GDT: null, unused, __BOOT_CS (flat code, execute/read), __BOOT_DS (flat data).
    const uint32_t gdt[8] = {0, 0, 0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    mem.write_bytes(kLinuxGdt, gdt, sizeof gdt);
}

VcpuState linux_entry_state(uint32_t entry, uint32_t boot_params) {
    VcpuState s = loaders::flat_entry_state(kLinuxGdt, kLinuxBootCs, kLinuxBootDs, entry);
    s.gpr.fill(0);  // EBX = EBP = EDI = 0 (boot.rst); the rest too
    s.gpr[esi] = boot_params;
    s.gpr[esp] = boot_params;  // a stack below boot_params, in the GDT's page (unspecified)
    return s;
}

}  // namespace prevt
