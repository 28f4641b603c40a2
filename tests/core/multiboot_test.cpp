// The Multiboot loader on ELF images built in memory: valid kernels (what lands in guest memory,
// the information structure), files that are no kernel files, and 2000 random mutations of a
// valid kernel, which must each load or be refused with InputError, never crash.
// Malformed kernels, one per problem: multiboot_malformed_test.cpp.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/loaders/guest_loader.hpp"
#include "core/loaders/multiboot.hpp"
#include "tests/core/multiboot_images.hpp"

namespace prevt::mbtest {
namespace {

TEST_F(LoaderTest, LoadsTheSegmentAndZeroesItsBss) {
    const Bytes f = kernel_image();
    for (uint32_t a = 0x100000; a < 0x100200; a += 4) mem.write(a, 4, 0xdeadbeef);
    const MultibootBoot b = load_multiboot(write(f), mem, "k");
    EXPECT_EQ(b.entry, 0x10000cu);
    EXPECT_EQ(b.info_phys, kDefaultBootArea);
    EXPECT_EQ(b.kernel_start, 0x100000u);
    EXPECT_EQ(b.kernel_end, 0x100120u);
    Bytes loaded(0x20);
    mem.read_bytes(0x100000, loaded.data(), loaded.size());
    EXPECT_EQ(loaded, Bytes(f.begin() + kData, f.begin() + kData + 0x20));
    for (uint32_t a = 0x100020; a < 0x100120; a += 4) ASSERT_EQ(mem.read(a, 4), 0u) << a;
    EXPECT_EQ(mem.read(0x100120, 4), 0xdeadbeefu);  // past p_memsz: untouched
}

TEST_F(LoaderTest, BuildsTheInformationStructure) {
    const MultibootBoot b = load_multiboot(write(kernel_image()), mem, "/guests/k.elf quiet");
    const uint32_t info = b.info_phys;
    EXPECT_EQ(mem.read(info + 0, 4), (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
    EXPECT_EQ(mem.read(info + 4, 4), 639u);        // mem_lower, KiB
    EXPECT_EQ(mem.read(info + 8, 4), 15u * 1024);  // mem_upper: 16 MiB - 1 MiB
    EXPECT_EQ(read_string(mem.read(info + 16, 4)), "/guests/k.elf quiet");
    EXPECT_EQ(read_string(mem.read(info + 64, 4)), "prevt");
    const uint32_t length = mem.read(info + 44, 4), mmap = mem.read(info + 48, 4);
    ASSERT_EQ(length, 4u * 24);
    const uint64_t expected[4][3] = {
        {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, 15u << 20, 1}};
    for (unsigned i = 0; i < 4; ++i) {
        const uint32_t e = mmap + 24 * i;
        EXPECT_EQ(mem.read(e, 4), 20u) << i;
        EXPECT_EQ(read64(e + 4), expected[i][0]) << i;
        EXPECT_EQ(read64(e + 12), expected[i][1]) << i;
        EXPECT_EQ(mem.read(e + 20, 4), expected[i][2]) << i;
    }
    // Everything the structure points at lies inside the boot area.
    for (uint32_t p : {mem.read(info + 16, 4), mmap + length - 1, mem.read(info + 64, 4)}) {
        EXPECT_GE(p, kDefaultBootArea);
        EXPECT_LT(p, kDefaultBootArea + kBootAreaSize);
    }
}

// -append (load_guest): QEMU's Multiboot command line is the kernel's path, a space, then
// -append's text (hw/i386/multiboot.c), also when -append is not given.
TEST_F(LoaderTest, AppendFollowsThePathAsUnderQemu) {
    const std::string path = write(kernel_image());
    const VcpuState with = load_guest({path, "console=1 x", "", 0}, mem);
    EXPECT_EQ(read_string(mem.read(with.gpr[ebx] + 16, 4)), path + " console=1 x");
    const VcpuState without = load_guest({path, "", "", 0}, mem);
    EXPECT_EQ(read_string(mem.read(without.gpr[ebx] + 16, 4)), path + " ");
}

// A kernel loaded where the boot area would be (kvm-unit-tests' realmode.flat is linked at
// 0x8000): the area moves to the first page after the kernel, and the entry state says where.
TEST_F(LoaderTest, TheBootAreaMovesAfterAKernelLoadedOnIt) {
    const Bytes f = with_second_segment(kernel_image(), load_at(0x8000, 0x2a30));
    const MultibootBoot b = load_multiboot(write(f), mem, "k");
    EXPECT_EQ(b.info_phys, 0x101000u);  // the kernel ends at 0x100120
    EXPECT_EQ(b.state.gpr[ebx], b.info_phys);
    EXPECT_EQ(b.state.gpr[eax], kMultibootMagic);
    EXPECT_EQ(b.state.gdtr.base, b.info_phys + kBootGdtOffset);
    EXPECT_EQ(mem.read(b.state.gdtr.base + kBootCs + 4, 4), 0x00cf9b00u);  // flat code
    EXPECT_EQ(mem.read(b.state.gdtr.base + kBootDs + 4, 4), 0x00cf9300u);  // flat data
    EXPECT_EQ(b.state.sreg(SegReg::cs).selector, kBootCs);
    EXPECT_EQ(b.state.eip, b.entry);
}

TEST_F(LoaderTest, MemoryFieldsFollowTheRamSize) {
    GuestMemory big(128 << 20);
    const MultibootBoot b = load_multiboot(write(kernel_image()), big, "k");
    EXPECT_EQ(big.read(b.info_phys + 8, 4), 127u * 1024);
    uint64_t last_length = 0;
    big.read_bytes(big.read(b.info_phys + 48, 4) + 3 * 24 + 12, &last_length, 8);
    EXPECT_EQ(last_length, 127u << 20);

    GuestMemory tiny(1 << 20);  // no RAM above 1 MiB: no such map entry
    Bytes f = kernel_image();
    phdr(f, 0, [](Elf32_Phdr& p) { p.p_paddr = p.p_vaddr = 0x10000; });
    ehdr(f, [](Elf32_Ehdr& e) { e.e_entry = 0x1000c; });
    const MultibootBoot t = load_multiboot(write(f), tiny, "k");
    EXPECT_EQ(t.entry, 0x1000cu);
    EXPECT_EQ(tiny.read(t.info_phys + 8, 4), 0u);
    EXPECT_EQ(tiny.read(t.info_phys + 44, 4), 3u * 24);
}

TEST_F(LoaderTest, TranslatesAHigherHalfEntryAndLoadsEverySegment) {
    Bytes f = kernel_image();
    phdr(f, 0, [](Elf32_Phdr& p) { p.p_vaddr = 0xc0100000; });
    ehdr(f, [](Elf32_Ehdr& e) { e.e_entry = 0xc010000c; });
    Elf32_Phdr data{};
    data.p_type = PT_LOAD;
    data.p_offset = 0x200;
    data.p_vaddr = 0xc0200000;
    data.p_paddr = 0x200000;
    data.p_filesz = 4;
    data.p_memsz = 0x1000;
    f = with_second_segment(f, data);
    f[0x200] = 0x5a;
    const MultibootBoot b = load_multiboot(write(f), mem, "k");
    EXPECT_EQ(b.entry, 0x10000cu);
    EXPECT_EQ(b.kernel_start, 0x100000u);
    EXPECT_EQ(b.kernel_end, 0x201000u);
    EXPECT_EQ(mem.read(0x200000, 1), 0x5au);
}

TEST_F(LoaderTest, FindsTheHeaderAnywhereInTheFirst8KiB) {
    Bytes f = kernel_image();
    f.resize(0x3000);
    put_header(f, kData, 0, 1);   // a bad magic word first: skipped, as GRUB and QEMU do
    put_header(f, 8192 - 12, 0);  // the last place entirely inside 8 KiB
    EXPECT_EQ(refusal(f), "(loaded)");
    memset(&f[8192 - 12], 0, 12);
    put_header(f, 8192 - 8, 0);  // straddles the 8 KiB limit
    EXPECT_NE(refusal(f).find("checksum is wrong"), std::string::npos);  // the bad one at 0x100
    memset(&f[kData], 0, 12);
    EXPECT_NE(refusal(f).find("no Multiboot header in the first 8 KiB"), std::string::npos);
}

TEST_F(LoaderTest, AcceptsTheFlagsItKnows) {
    for (uint32_t flags : {0u, 1u, 2u, 3u, 0x80000000u}) {
        Bytes f = kernel_image();
        put_header(f, kData, flags);
        EXPECT_EQ(refusal(f), "(loaded)") << flags;
    }
}

// The a.out kludge (flags bit 16): the header's five address fields place the image, as QEMU
// and GRUB load it; fields that contradict each other, the file or guest RAM are refused.
void put_kludge(Bytes& f, uint32_t header, uint32_t load, uint32_t load_end, uint32_t bss_end,
                uint32_t entry) {
    put_header(f, kData, kMbFlags | 0x10000);
    const uint32_t fields[5] = {header, load, load_end, bss_end, entry};
    memcpy(&f[kData + 12], fields, sizeof fields);
}

TEST_F(LoaderTest, LoadsByTheAoutKludgeFields) {
    Bytes f = kernel_image();
    // The file from the header on at 2 MiB (not where the ELF says), 0x40 bytes of bss.
    put_kludge(f, 0x200000, 0x200000, 0x200020, 0x200060, 0x200010);
    const MultibootBoot b = load_multiboot(write(f), mem, "k");
    EXPECT_EQ(b.entry, 0x200010u);
    EXPECT_EQ(b.kernel_start, 0x200000u);
    EXPECT_EQ(b.kernel_end, 0x200060u);
    EXPECT_EQ(mem.read(0x200000, 4), 0x1badb002u);
    EXPECT_EQ(mem.read(0x100000, 4), 0u);  // the ELF's place: untouched
    // load_end_addr 0: to the end of the file; bss_end_addr 0: no bss.
    put_kludge(f, 0x300000, 0x300000, 0, 0, 0x300000);
    const MultibootBoot e = load_multiboot(write(f), mem, "k");
    EXPECT_EQ(e.kernel_end, 0x300000u + (f.size() - kData));
}

TEST_F(LoaderTest, RefusesNonsenseInTheAoutKludge) {
    struct Case {
        uint32_t header, load, load_end, bss_end, entry;
        const char* message;
    };
    const Case cases[] = {
        {0x100000, 0x7ff00000, 0x10, 4, 0xdeadbeef, "load_addr 0x7ff00000 is above header_addr"},
        {0x200000, 0x100000, 0, 0, 0x100000, "before the start of the file"},
        {0x100000, 0x100000, 0x100000, 0, 0x100000, "does not lie above header_addr"},
        {0x100000, 0x100000, 0x200000, 0, 0x100000, "past the end of the file"},
        {0x100000, 0x100000, 0x100020, 0x100010, 0x100000, "lies below the end of the loaded"},
        {0x100000, 0x100000, 0x100020, 0, 0x100020, "entry_addr 0x100020 lies outside"},
        {0xfffff000, 0xfffff000, 0, 0xffffffff, 0xfffff000, "outside guest RAM"},
        // over the default boot area and up to the end of RAM: no room after it either
        {0x9000, 0x9000, 0x9020, 0x1000000, 0x9000, "no room for the Multiboot information"},
    };
    for (const Case& c : cases) {
        Bytes f = kernel_image();
        put_kludge(f, c.header, c.load, c.load_end, c.bss_end, c.entry);
        EXPECT_NE(refusal(f).find(c.message), std::string::npos) << c.message << ": " << refusal(f);
    }
    Bytes cut = kernel_image();  // the header's last bytes past the end of a short file
    put_kludge(cut, 0x100000, 0x100000, 0, 0, 0x100000);
    phdr(cut, 0, [](Elf32_Phdr& p) { p.p_filesz = 20; });  // the ELF itself stays valid
    cut.resize(kData + 20);
    EXPECT_NE(refusal(cut).find("address fields do not fit"), std::string::npos) << refusal(cut);
}

TEST_F(LoaderTest, ARefusedKernelLeavesMemoryAsItWas) {
    Elf32_Phdr outside{};
    outside.p_type = PT_LOAD;
    outside.p_paddr = outside.p_vaddr = 0x2000000;
    outside.p_memsz = 0x10;
    const Bytes f = with_second_segment(kernel_image(), outside);
    mem.write(0x100000, 4, 0x12345678);
    mem.write(kDefaultBootArea, 4, 0x9abcdef0);
    EXPECT_NE(refusal(f).find("outside guest RAM (16 MiB)"), std::string::npos);
    EXPECT_EQ(mem.read(0x100000, 4), 0x12345678u);
    EXPECT_EQ(mem.read(kDefaultBootArea, 4), 0x9abcdef0u);
}

TEST_F(LoaderTest, RefusesWhatIsNotARegularFile) {
    EXPECT_NE(refusal_of("/nonexistent/k.elf").find("cannot open: No such file"),
              std::string::npos);
    EXPECT_NE(refusal_of("/tmp").find("directory"), std::string::npos);
    char dir[] = "/tmp/prevt-loader-fifo-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string fifo = std::string(dir) + "/k.elf";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_NE(refusal_of(fifo).find("not a regular file"), std::string::npos);  // no blocking
    unlink(fifo.c_str());
    rmdir(dir);
}

TEST_F(LoaderTest, RefusesACommandLineTooLongForTheInfoArea) {
    const std::string path = write(kernel_image());
    EXPECT_EQ(refusal_of(path, std::string(3839, 'x')), "(loaded)");
    EXPECT_EQ(read_string(mem.read(kDefaultBootArea + 16, 4)).size(), 3839u);
    EXPECT_NE(refusal_of(path, std::string(3840, 'x')).find("command line"), std::string::npos);
}

// ---- Random mutations ----------------------------------------------------------------------
TEST_F(LoaderTest, RandomMutationsLoadOrAreRefused) {
    std::mt19937 rng(2026);
    Bytes base = with_second_segment(kernel_image(), load_at(0x200000, 0x1000));
    const uint32_t extremes[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfff, 0x1000};
    int loaded = 0, refused = 0;
    for (int i = 0; i < 2000; ++i) {
        Bytes f = base;
        const int kind = static_cast<int>(rng() % 4);
        for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
            const size_t at = rng() % (kData + 0x20);
            if (kind == 0) f[at] = static_cast<uint8_t>(rng());               // any byte
            if (kind == 1) f[at] ^= static_cast<uint8_t>(1u << (rng() % 8));  // a bit
            if (kind == 2 && at + 4 <= f.size()) {  // a word, often extreme
                const uint32_t v = rng() % 2 ? extremes[rng() % 7] : static_cast<uint32_t>(rng());
                memcpy(&f[at & ~size_t{3}], &v, 4);
            }
        }
        if (kind == 3) f.resize(rng() % (f.size() + 1));
        if (rng() % 4 == 0 && f.size() >= kData + 12) {  // flags with a right checksum
            put_header(f, kData, static_cast<uint32_t>(rng()) & (rng() % 2 ? 0xffff : 0xffffffff));
        }
        const std::string path = write(f);
        try {
            load_multiboot(path, mem, "k");
            ++loaded;
        } catch (const InputError& e) {
            ++refused;
            ASSERT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
        } catch (const std::exception& e) {
            FAIL() << "mutation " << i << ": unexpected exception: " << e.what();
        }
        unlink(path.c_str());
        files_.pop_back();
    }
    RecordProperty("loaded", loaded);
    RecordProperty("refused", refused);
    EXPECT_GT(loaded, 0);
    EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace prevt::mbtest
