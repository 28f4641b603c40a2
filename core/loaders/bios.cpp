#include "core/loaders/bios.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/errors.hpp"

namespace prevt {

namespace {
constexpr uint64_t kBiosAreaEnd = 0x100000;    // 1 MiB
constexpr uint64_t kBiosAreaMax = 128 * 1024;  // 0xe0000-0xfffff
constexpr uint64_t kFourGiB = 1ull << 32;
}  // namespace

std::vector<uint8_t> read_bios(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
    if (!f) throw InputError("-bios " + path + ": " + strerror(errno));
    std::vector<uint8_t> bytes;
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f.get())) > 0) {
        bytes.insert(bytes.end(), chunk, chunk + n);
        if (bytes.size() > MemoryMap::kMaxRom) break;
    }
    if (ferror(f.get())) throw InputError("-bios " + path + ": " + strerror(errno));
    if (bytes.size() < 65536 || bytes.size() > MemoryMap::kMaxRom || bytes.size() % 65536)
        throw InputError("-bios " + path + ": a BIOS image is a multiple of 64 KiB, at most " +
                         "16 MiB (this one is " + std::to_string(bytes.size()) + " bytes)");
    return bytes;
}

std::vector<uint8_t> read_vga_bios() {
    std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(kDefaultVgaBios, "rb"), fclose);
    std::vector<uint8_t> bytes;
    if (!f) return bytes;
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f.get())) > 0 && bytes.size() <= 256 * 1024)
        bytes.insert(bytes.end(), chunk, chunk + n);
    if (ferror(f.get()) || bytes.size() > 256 * 1024) bytes.clear();
    return bytes;
}

void add_bios_rom(MemoryMap& map, uint64_t bytes) {
    map.add_rom(kFourGiB - bytes, bytes, "-bios");
}

// The reset state (SDM vol. 3A, 9.1.1, table 9-1), with one difference: CS's base is 0xf0000
// (F000 * 16), not 0xffff0000. The first instruction (SeaBIOS: a far jump to F000:E05B)
// reads the same bytes either way, the low copy being the image's top; the cache stays free
// of translations from the ROM at the top of the 4 GiB, where bt's monitor lives.
VcpuState load_bios(const std::vector<uint8_t>& image, GuestMemory& mem) {
    const uint64_t size = image.size();
    if (!mem.load_image(kFourGiB - size, image.data(), size))
        throw HostError("the BIOS ROM range is missing from the memory map");
    const uint64_t low = std::min(size, kBiosAreaMax);
    if (!mem.load_image(kBiosAreaEnd - low, image.data() + size - low, low))
        throw InputError("-m: the BIOS needs RAM below 1 MiB");
    VcpuState s;
    s.cr0 = cr0::ET | cr0::CD | cr0::NW;
    s.eflags = eflags::kFixed1;
    s.eip = 0xfff0;
    for (Segment& seg : s.seg) {
        seg = Segment{};  // selector 0, base 0, 64 KiB, present
        seg.type = 0x3;   // read/write data, accessed
    }
    Segment& cs = s.sreg(SegReg::cs);
    cs.selector = 0xf000;
    cs.base = 0xf0000;
    cs.type = 0xb;  // execute/read code, accessed
    s.gdtr = {0, 0xffff};
    s.idtr = {0, 0xffff};
    s.ldtr = Segment{};
    s.ldtr.type = 0x2;
    s.ldtr.s = false;
    s.tr = Segment{};
    s.tr.type = 0xb;
    s.tr.s = false;
    s.set_cpl(0);
    // The x87 and SSE as FNINIT leaves them (FXSAVE layout: FCW 0x37f, MXCSR 0x1f80; the
    // SDM's power-up FCW is 0x40, and a BIOS runs fninit before any x87 use).
    s.fpu.fill(0);
    s.fpu[0] = 0x7f;
    s.fpu[1] = 0x03;
    s.fpu[24] = 0x80;
    s.fpu[25] = 0x1f;
    return s;
}

}  // namespace prevt
