// The Linux loader's parts (linux_boot.cpp): the setup header's offsets (boot.rst, "The
// Real-Mode Kernel Header", as offsets in the kernel file, which are also its offsets in
// boot_params), the zero page and the low-memory area, and the entry state.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/guest_memory.hpp"
#include "core/loaders/linux_boot.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

// Setup header fields, at their offsets in the file and in boot_params.
inline constexpr size_t kHdrStart = 0x1f1;
inline constexpr size_t kHdrSetupSects = 0x1f1, kHdrSyssize = 0x1f4, kHdrBootFlag = 0x1fe,
                        kHdrJump = 0x200, kHdrMagicOffset = 0x202, kHdrVersion = 0x206,
                        kHdrTypeOfLoader = 0x210, kHdrLoadflags = 0x211, kHdrCode32Start = 0x214,
                        kHdrRamdiskImage = 0x218, kHdrRamdiskSize = 0x21c, kHdrHeapEndPtr = 0x224,
                        kHdrCmdLinePtr = 0x228, kHdrInitrdAddrMax = 0x22c,
                        kHdrKernelAlignment = 0x230, kHdrRelocatable = 0x234,
                        kHdrXloadflags = 0x236, kHdrCmdlineSize = 0x238, kHdrPrefAddress = 0x258,
                        kHdrInitSize = 0x260;
// The header ends at 0x202 + the jump's displacement; boot_params holds it up to 0x290
// (zero-page.rst: _pad7 follows), and 2.04's header reaches cmd_line_ptr..initrd_addr_max.
inline constexpr size_t kHdrJumpEnd = 0x202, kHdrEndLimit = 0x290, kHdrMinEnd = 0x230;
inline constexpr uint16_t kMinProtocol = 0x0204;
inline constexpr uint8_t kLoadedHigh = 1u << 0, kQuietFlag = 1u << 5, kCanUseHeap = 1u << 7;
inline constexpr uint16_t kXlfKernel64 = 1u << 0;

// boot_params (zero-page.rst).
inline constexpr size_t kBpExtMemK = 0x002, kBpVideoCols = 0x007, kBpVideoLines = 0x00e,
                        kBpVideoIsVga = 0x00f, kBpAltMemK = 0x1e0, kBpE820Entries = 0x1e8,
                        kBpE820Table = 0x2d0, kBpSize = 0x1000;
inline constexpr size_t kE820Entry = 20;
inline constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;

inline uint16_t le16(const std::vector<uint8_t>& f, size_t at) {
    uint16_t v;
    memcpy(&v, &f[at], 2);
    return v;
}
inline uint32_t le32(const std::vector<uint8_t>& f, size_t at) {
    uint32_t v;
    memcpy(&v, &f[at], 4);
    return v;
}
inline uint64_t le64(const std::vector<uint8_t>& f, size_t at) {
    uint64_t v;
    memcpy(&v, &f[at], 8);
    return v;
}

// The setup header's bytes from 0x1f1 to its end, read and written by file offset; a field
// past the end reads as 0 and is not written (an older protocol's header lacks it).
struct SetupHeader {
    std::vector<uint8_t> bytes;
    size_t end() const { return kHdrStart + bytes.size(); }
    uint8_t get8(size_t off) const { return off + 1 <= end() ? get<uint8_t>(off) : 0; }
    uint16_t get16(size_t off) const { return off + 2 <= end() ? get<uint16_t>(off) : 0; }
    uint32_t get32(size_t off) const { return off + 4 <= end() ? get<uint32_t>(off) : 0; }
    uint64_t get64(size_t off) const { return off + 8 <= end() ? get<uint64_t>(off) : 0; }
    template <typename T>
    T get(size_t off) const {
        T v;
        memcpy(&v, &bytes[off - kHdrStart], sizeof v);
        return v;
    }
    template <typename T>
    void put(size_t off, T v) {
        if (off + sizeof v <= end()) memcpy(&bytes[off - kHdrStart], &v, sizeof v);
    }
};

// Writes the boot GDT, boot_params (the setup header with the loader's fields, the e820 map
// of guest RAM, the video fields for no VGA) and the command line.
void write_linux_low_memory(GuestMemory& mem, SetupHeader hdr, const std::string& cmdline,
                            const LinuxBoot& boot);

VcpuState linux_entry_state(uint32_t entry, uint32_t boot_params);

}  // namespace prevt
