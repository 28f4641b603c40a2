// The Linux boot protocol loader on synthetic bzImages built in memory: what a good image
// puts in guest memory (the kernel at 1 MiB, boot_params, the command line, the initrd, the
// boot GDT) and the entry state; each refused image or input, one line naming the file; the
// machine's choice of loader (load_guest); random mutations of the header, which must load or
// be refused, never crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/guest_memory.hpp"
#include "core/loaders/guest_loader.hpp"
#include "core/loaders/linux_boot.hpp"
#include "tests/core/multiboot_images.hpp"

namespace prevt {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint32_t kSetupSects = 4, kSetupBytes = (kSetupSects + 1) * 512;
constexpr uint32_t kPmBytes = 0x3000;  // the protected-mode kernel
constexpr uint64_t kRam = 16 << 20;

template <typename T>
void put(Bytes& f, size_t at, T v) {
    memcpy(&f[at], &v, sizeof v);
}

// A bzImage as build.c lays one out, protocol 2.15: 4 setup sectors after the boot sector,
// then 0x3000 bytes of "protected-mode kernel" (a pattern). Relocatable with 1 MiB
// alignment (it runs where it is loaded), init_size 2 MiB, cmdline_size 2047.
Bytes bzimage() {
    Bytes f(kSetupBytes + kPmBytes, 0);
    f[0x1f1] = kSetupSects;
    put<uint32_t>(f, 0x1f4, kPmBytes / 16);  // syssize
    put<uint16_t>(f, 0x1fe, 0xaa55);
    f[0x200] = 0xeb;  // jmp to 0x26c: the header ends there
    f[0x201] = 0x6a;
    memcpy(&f[0x202], "HdrS", 4);
    put<uint16_t>(f, 0x206, 0x020f);
    f[0x211] = 0x01;                      // LOADED_HIGH
    put<uint32_t>(f, 0x214, 0x100000);    // code32_start
    put<uint32_t>(f, 0x22c, 0x7fffffff);  // initrd_addr_max
    put<uint32_t>(f, 0x230, 0x100000);    // kernel_alignment
    f[0x234] = 1;                         // relocatable_kernel
    put<uint16_t>(f, 0x236, 0x0004);      // xloadflags: EFI handover 32, not 64-bit
    put<uint32_t>(f, 0x238, 2047);        // cmdline_size
    put<uint64_t>(f, 0x258, 0x1000000);   // pref_address
    put<uint32_t>(f, 0x260, 0x200000);    // init_size
    for (uint32_t i = 0; i < kPmBytes; ++i) f[kSetupBytes + i] = static_cast<uint8_t>(i * 7 + 1);
    return f;
}

class LinuxBootTest : public LoaderFixture {
protected:
    LinuxBootTest() : LoaderFixture(kRam) {}
    // The refusal; it blames the kernel's path unless `blamed` is given.
    std::string refusal_of(const std::string& kernel, const std::string& cmdline = "",
                           const std::string& initrd = "", std::string blamed = "") {
        if (blamed.empty()) blamed = kernel;
        return refusal_by(blamed, [&] { load_linux(kernel, mem, cmdline, initrd); });
    }
    std::string refusal(const Bytes& kernel) { return refusal_of(write(kernel)); }
    uint32_t bp(uint32_t off, unsigned size) { return mem.read(kLinuxBootParams + off, size); }
};

TEST_F(LinuxBootTest, LoadsTheProtectedModeKernelAtOneMiB) {
    const Bytes f = bzimage();
    const LinuxBoot b = load_linux(write(f), mem, "console=ttyS0", "");
    EXPECT_EQ(b.protocol, 0x020fu);
    EXPECT_EQ(b.entry, 0x100000u);
    EXPECT_EQ(b.kernel_start, 0x100000u);
    EXPECT_EQ(b.kernel_end, 0x100000u + kPmBytes);
    EXPECT_EQ(b.kernel_reserved_end, 0x300000u);  // runtime 1 MiB + init_size 2 MiB
    Bytes loaded(kPmBytes);
    mem.read_bytes(0x100000, loaded.data(), loaded.size());
    EXPECT_EQ(loaded, Bytes(f.begin() + kSetupBytes, f.end()));
}

TEST_F(LinuxBootTest, EntersThe32BitEntryInFlatProtectedMode) {
    const LinuxBoot b = load_linux(write(bzimage()), mem, "", "");
    const VcpuState& s = b.state;
    EXPECT_EQ(s.eip, 0x100000u);
    EXPECT_EQ(s.gpr[esi], kLinuxBootParams);
    EXPECT_EQ(s.gpr[ebx], 0u);
    EXPECT_EQ(s.gpr[ebp], 0u);
    EXPECT_EQ(s.gpr[edi], 0u);
    EXPECT_TRUE(s.protected_mode());
    EXPECT_FALSE(s.paging());
    EXPECT_EQ(s.eflags & eflags::IF, 0u);
    EXPECT_EQ(s.sreg(SegReg::cs).selector, 0x10);
    EXPECT_TRUE(s.sreg(SegReg::cs).db);
    for (SegReg r : {SegReg::ds, SegReg::es, SegReg::ss, SegReg::fs, SegReg::gs}) {
        EXPECT_EQ(s.sreg(r).selector, 0x18);
        EXPECT_EQ(s.sreg(r).base, 0u);
        EXPECT_EQ(s.sreg(r).limit, 0xffffffffu);
    }
    // The GDT the selectors name is in guest memory: flat code and flat data.
    EXPECT_EQ(s.gdtr.base, kLinuxGdt);
    EXPECT_GE(s.gdtr.limit, 0x1fu);
    EXPECT_EQ(mem.read(kLinuxGdt + 0x10, 4), 0x0000ffffu);
    EXPECT_EQ(mem.read(kLinuxGdt + 0x14, 4), 0x00cf9b00u);
    EXPECT_EQ(mem.read(kLinuxGdt + 0x18, 4), 0x0000ffffu);
    EXPECT_EQ(mem.read(kLinuxGdt + 0x1c, 4), 0x00cf9300u);
}

TEST_F(LinuxBootTest, FillsBootParams) {
    const Bytes f = bzimage();
    load_linux(write(f), mem, "console=ttyS0 panic=-1", "");
    // The setup header, copied from 0x1f1 to its end (0x26c), with the loader's fields.
    EXPECT_EQ(bp(0x1f1, 1), kSetupSects);
    EXPECT_EQ(bp(0x202, 4), 0x53726448u);  // "HdrS"
    EXPECT_EQ(bp(0x206, 2), 0x020fu);
    EXPECT_EQ(bp(0x210, 1), 0xffu);  // type_of_loader: undefined
    EXPECT_EQ(bp(0x211, 1), 0x01u);  // LOADED_HIGH, no CAN_USE_HEAP, not quiet
    EXPECT_EQ(bp(0x214, 4), 0x100000u);
    EXPECT_EQ(bp(0x218, 4), 0u);  // no initrd
    EXPECT_EQ(bp(0x21c, 4), 0u);
    EXPECT_EQ(bp(0x238, 4), 2047u);
    EXPECT_EQ(bp(0x260, 4), 0x200000u);
    EXPECT_EQ(bp(0x26c, 4), 0u);  // past the header: zero
    EXPECT_EQ(bp(0x1ef, 1), 0u);  // the sentinel: a loader that copied the header right
    const uint32_t cmd = bp(0x228, 4);
    EXPECT_EQ(cmd, kLinuxCmdline);
    EXPECT_LT(cmd, 0xa0000u);
    EXPECT_EQ(read_string(cmd), "console=ttyS0 panic=-1");
    // No VGA: the serial console.
    EXPECT_EQ(bp(0x0f, 1), 0u);           // orig_video_isVGA
    EXPECT_EQ(bp(0x0e, 1), 0u);           // orig_video_lines
    EXPECT_EQ(bp(0x07, 1), 0u);           // orig_video_cols
    EXPECT_EQ(bp(0x1e0, 4), 15u * 1024);  // alt_mem_k: above 1 MiB
    EXPECT_EQ(bp(0x002, 2), 15u * 1024);  // ext_mem_k
    // The e820 map from the RAM size.
    ASSERT_EQ(bp(0x1e8, 1), 4u);
    const uint64_t expected[4][3] = {
        {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, 15u << 20, 1}};
    for (unsigned i = 0; i < 4; ++i) {
        const uint32_t e = kLinuxBootParams + 0x2d0 + 20 * i;
        EXPECT_EQ(read64(e), expected[i][0]) << i;
        EXPECT_EQ(read64(e + 8), expected[i][1]) << i;
        EXPECT_EQ(mem.read(e + 16, 4), expected[i][2]) << i;
    }
}

TEST_F(LinuxBootTest, AnEmptyCommandLineIsAnEmptyString) {
    load_linux(write(bzimage()), mem, "", "");
    EXPECT_EQ(bp(0x228, 4), kLinuxCmdline);
    EXPECT_EQ(read_string(kLinuxCmdline), "");
}

TEST_F(LinuxBootTest, TheInitrdGoesAsHighAsItCanPageAligned) {
    Bytes rd(0x2345);
    for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(i ^ 0x5a);
    const LinuxBoot b = load_linux(write(bzimage()), mem, "", write(rd));
    EXPECT_EQ(b.initrd_size, rd.size());
    EXPECT_EQ(b.initrd_start % 4096, 0u);
    EXPECT_LE(b.initrd_start + rd.size(), kRam);
    EXPECT_GT(b.initrd_start + rd.size() + 4096, kRam);
    EXPECT_EQ(b.initrd_start, (kRam - rd.size()) & ~uint64_t{0xfff});
    EXPECT_EQ(bp(0x218, 4), b.initrd_start);
    EXPECT_EQ(bp(0x21c, 4), rd.size());
    Bytes got(rd.size());
    mem.read_bytes(b.initrd_start, got.data(), got.size());
    EXPECT_EQ(got, rd);
}

TEST_F(LinuxBootTest, TheInitrdStaysBelowInitrdAddrMax) {
    Bytes f = bzimage();
    put<uint32_t>(f, 0x22c, 0x7fffff);  // the highest byte: 8 MiB - 1
    const LinuxBoot b = load_linux(write(f), mem, "", write(Bytes(0x1800, 1)));
    EXPECT_EQ(b.initrd_start, 0x7fe000u);
    EXPECT_LE(b.initrd_start + b.initrd_size - 1, 0x7fffffu);
}

TEST_F(LinuxBootTest, SetupSectsZeroMeansFour) {
    Bytes f = bzimage();  // four setup sectors already: 0 must give the same offset
    f[0x1f1] = 0;
    load_linux(write(f), mem, "", "");
    EXPECT_EQ(mem.read(0x100000, 1), 1u);  // the first byte of the protected-mode kernel
    EXPECT_EQ(bp(0x1f1, 1), 0u);           // the header is copied as it is
}

TEST_F(LinuxBootTest, AnOlderProtocolGetsOnlyItsFields) {
    Bytes f = bzimage();
    put<uint16_t>(f, 0x206, 0x0204);
    f[0x201] = 0x2e;  // the 2.04 header ends at 0x230
    for (size_t i = 0x230; i < 0x270; ++i) f[i] = 0;
    const LinuxBoot b = load_linux(write(f), mem, std::string(255, 'x'), "");
    EXPECT_EQ(b.kernel_reserved_end, 0x100000u + kPmBytes);  // no init_size before 2.10
    EXPECT_EQ(bp(0x238, 4), 0u);                             // not in a 2.04 header
    EXPECT_EQ(refusal_of(write(f), std::string(256, 'x')).find("at most 255") != std::string::npos,
              true);
}

TEST_F(LinuxBootTest, TheLongestCommandLineFits) {
    load_linux(write(bzimage()), mem, std::string(2047, 'c'), "");
    EXPECT_EQ(read_string(kLinuxCmdline).size(), 2047u);
}

// ---- Refusals, one line each --------------------------------------------------------------
struct Bad {
    const char* name;
    const char* expect;
    std::function<void(Bytes&)> mutate;
};

const Bad kBad[] = {
    {"NoMagic", "no Linux boot header", [](Bytes& f) { f[0x203] = 'X'; }},
    {"TinyFile", "too small for a Linux kernel", [](Bytes& f) { f.resize(0x100); }},
    {"OldProtocol", "2.03 is too old", [](Bytes& f) { put<uint16_t>(f, 0x206, 0x0203); }},
    {"NoBootFlag", "boot_flag", [](Bytes& f) { put<uint16_t>(f, 0x1fe, 0); }},
    {"NoJump", "not a short jmp", [](Bytes& f) { f[0x200] = 0x90; }},
    {"HeaderTooLong", "malformed header", [](Bytes& f) { f[0x201] = 0xa0; }},
    {"HeaderTooShort", "malformed header", [](Bytes& f) { f[0x201] = 0x10; }},
    {"ZImage", "a zImage", [](Bytes& f) { f[0x211] = 0; }},
    {"Kernel64", "a 64-bit kernel", [](Bytes& f) { put<uint16_t>(f, 0x236, 0x0003); }},
    {"SetupOnly", "truncated", [](Bytes& f) { f.resize(kSetupBytes); }},
    {"SetupTruncated", "truncated", [](Bytes& f) { f.resize(0x600); }},
    {"KernelTruncated", "truncated", [](Bytes& f) { f.resize(f.size() - 16); }},
    {"SyssizeZero", "syssize", [](Bytes& f) { put<uint32_t>(f, 0x1f4, 0); }},
    {"NotRelocatableElsewhere", "not relocatable",
     [](Bytes& f) {
         f[0x234] = 0;
         put<uint32_t>(f, 0x214, 0x200000);
     }},
    {"BadAlignment", "not a power of two", [](Bytes& f) { put<uint32_t>(f, 0x230, 0x30000); }},
    {"InitSizeTooLarge", "needs guest RAM up to",
     [](Bytes& f) { put<uint32_t>(f, 0x260, 32u << 20); }},
    {"KernelTooLarge", "needs guest RAM up to",
     [](Bytes& f) {
         f.resize(kSetupBytes + (16u << 20));
         put<uint32_t>(f, 0x1f4, (16u << 20) / 16);
     }},
};

class LinuxBootRefusal : public LinuxBootTest, public ::testing::WithParamInterface<Bad> {};

TEST_P(LinuxBootRefusal, RefusedWithOneLineAndMemoryUntouched) {
    Bytes f = bzimage();
    GetParam().mutate(f);
    for (uint32_t a : {kLinuxGdt, kLinuxBootParams, kLinuxCmdline, 0x100000u})
        mem.write(a, 4, 0xdeadbeef);
    const std::string m = refusal(f);
    EXPECT_NE(m.find(GetParam().expect), std::string::npos) << m;
    for (uint32_t a : {kLinuxGdt, kLinuxBootParams, kLinuxCmdline, 0x100000u})
        EXPECT_EQ(mem.read(a, 4), 0xdeadbeefu) << std::hex << a;
}

INSTANTIATE_TEST_SUITE_P(Images, LinuxBootRefusal, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(LinuxBootTest, RefusesAnOversizedCommandLine) {
    const std::string m = refusal_of(write(bzimage()), std::string(2048, 'c'));
    EXPECT_NE(m.find("the command line has 2048 bytes; this kernel takes at most 2047"),
              std::string::npos)
        << m;
}

TEST_F(LinuxBootTest, RefusesAnInitrdThatDoesNotFit) {
    const std::string kernel = write(bzimage());
    // 16 MiB of RAM, the kernel needs up to 3 MiB: 14 MiB of initrd cannot go anywhere.
    const std::string big = write(Bytes(14u << 20, 0));
    std::string m = refusal_of(kernel, "", big, big);
    EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
    // Nor below an initrd_addr_max inside the kernel's area.
    Bytes low = bzimage();
    put<uint32_t>(low, 0x22c, 0x2fffff);
    const std::string small = write(Bytes(0x1000, 0));
    m = refusal_of(write(low), "", small, small);
    EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
}

TEST_F(LinuxBootTest, RefusesAMissingOrEmptyInitrd) {
    const std::string kernel = write(bzimage());
    EXPECT_NE(
        refusal_of(kernel, "", "/nonexistent/initrd", "/nonexistent/initrd").find("cannot open"),
        std::string::npos);
    const std::string empty = write({});
    EXPECT_NE(refusal_of(kernel, "", empty, empty).find("the file is empty (expected an initrd)"),
              std::string::npos);
}

// ---- The machine's choice of loader -------------------------------------------------------
TEST_F(LinuxBootTest, LoadGuestPicksTheLoaderByTheFile) {
    const VcpuState linux_state = load_guest({write(bzimage()), "console=ttyS0", ""}, mem);
    EXPECT_EQ(linux_state.gpr[esi], kLinuxBootParams);
    EXPECT_EQ(read_string(kLinuxCmdline), "console=ttyS0");

    const std::string elf = write(mbtest::kernel_image());
    const VcpuState mb = load_guest({elf, "", ""}, mem);
    EXPECT_EQ(mb.gpr[eax], kMultibootMagic);
    EXPECT_EQ(read_string(mem.read(mb.gpr[ebx] + 16, 4)), elf + " ");  // QEMU's "path "
}

TEST_F(LinuxBootTest, LoadGuestRefusesWhatIsNeither) {
    const std::string text = write(Bytes(5000, 'a'));
    try {
        load_guest({text, "", ""}, mem);
        FAIL() << "loaded";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("neither an ELF file"), std::string::npos);
    }
    const std::string elf = write(mbtest::kernel_image()), rd = write(Bytes(16, 0));
    try {
        load_guest({elf, "", rd}, mem);
        FAIL() << "loaded";
    } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(rd + ": -initrd needs a Linux bzImage", 0), 0u)
            << e.what();
    }
}

// ---- Random mutations of the header -------------------------------------------------------
TEST_F(LinuxBootTest, RandomHeaderMutationsLoadOrAreRefused) {
    std::mt19937 rng(2027);
    const Bytes base = bzimage();
    const std::string rd = write(Bytes(0x3000, 7));
    const uint32_t extremes[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfff, 0x100000};
    int loaded = 0, refused = 0;
    for (int i = 0; i < 2000; ++i) {
        Bytes f = base;
        for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
            const size_t at = 0x1f0 + rng() % 0x80;
            const int kind = static_cast<int>(rng() % 3);
            if (kind == 0) f[at] = static_cast<uint8_t>(rng());
            if (kind == 1) f[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            if (kind == 2) {
                const uint32_t v = rng() % 2 ? extremes[rng() % 7] : static_cast<uint32_t>(rng());
                memcpy(&f[at & ~size_t{3}], &v, 4);
            }
        }
        const std::string path = write(f);
        try {
            load_linux(path, mem, "console=ttyS0", rng() % 2 ? rd : "");
            ++loaded;
        } catch (const InputError& e) {
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
            ++refused;
        }
        unlink(path.c_str());
        files_.pop_back();
    }
    EXPECT_GT(loaded, 0);
    EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace prevt
