// The Multiboot loader on images built in the test: a valid kernel, and malformed ones that
// must each be refused with InputError naming the problem.
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/loaders/multiboot.hpp"

namespace prevt {
namespace {

// A minimal kernel: ELF header, one PT_LOAD segment at 1 MiB holding a Multiboot header and
// code, plus 0x100 bytes of bss.
std::vector<uint8_t> kernel_image(uint32_t flags = 3) {
    std::vector<uint8_t> f(0x1000, 0);
    Elf32_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = 0x10000c;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 1;
    memcpy(f.data(), &eh, sizeof eh);
    Elf32_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_offset = 0x100;
    ph.p_vaddr = ph.p_paddr = 0x100000;
    ph.p_filesz = 0x20;
    ph.p_memsz = 0x120;
    ph.p_flags = PF_R | PF_X;
    memcpy(&f[sizeof eh], &ph, sizeof ph);
    const uint32_t header[3] = {0x1badb002, flags, 0u - 0x1badb002u - flags};
    memcpy(&f[0x100], header, sizeof header);
    f[0x10c] = 0xf4;  // hlt at the entry
    return f;
}

Elf32_Ehdr& ehdr(std::vector<uint8_t>& f) { return *reinterpret_cast<Elf32_Ehdr*>(f.data()); }
Elf32_Phdr& phdr(std::vector<uint8_t>& f) {
    return *reinterpret_cast<Elf32_Phdr*>(f.data() + sizeof(Elf32_Ehdr));
}

class LoaderTest : public ::testing::Test {
protected:
    LoaderTest() : mem(16 << 20) {}
    ~LoaderTest() override {
        for (const auto& p : files) unlink(p.c_str());
    }
    std::string write(const std::vector<uint8_t>& bytes) {
        char name[] = "/tmp/prevt-loader-XXXXXX";
        const int fd = mkstemp(name);
        EXPECT_GE(fd, 0);
        EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        close(fd);
        files.push_back(name);
        return name;
    }
    // The message of the InputError that loading `bytes` throws.
    std::string refusal(const std::vector<uint8_t>& bytes) {
        try {
            load_multiboot(write(bytes), mem, "");
        } catch (const InputError& e) {
            return e.what();
        }
        return "(loaded)";
    }
    GuestMemory mem;
    std::vector<std::string> files;
};

TEST_F(LoaderTest, LoadsSegmentsZeroesBssAndBuildsTheInfo) {
    mem.write(0x100100, 4, 0xdeadbeef);  // in the bss: must be zeroed
    const MultibootBoot b = load_multiboot(write(kernel_image()), mem, "guest.elf quiet");
    EXPECT_EQ(b.entry, 0x10000cu);
    EXPECT_EQ(mem.read(0x10000c, 1), 0xf4u);
    EXPECT_EQ(mem.read(0x100100, 4), 0u);
    EXPECT_EQ(b.info_phys, kMultibootInfo);
    const uint32_t flags = mem.read(b.info_phys, 4);
    EXPECT_EQ(flags & 0x245, 0x245u);  // meminfo, cmdline, mmap, loader name
    EXPECT_EQ(mem.read(b.info_phys + 4, 4), 639u);
    EXPECT_EQ(mem.read(b.info_phys + 8, 4), 15u * 1024);
    char cmdline[32] = {};
    mem.read_bytes(mem.read(b.info_phys + 16, 4), cmdline, sizeof cmdline - 1);
    EXPECT_STREQ(cmdline, "guest.elf quiet");
    char name[8] = {};
    mem.read_bytes(mem.read(b.info_phys + 64, 4), name, 6);
    EXPECT_STREQ(name, "prevt");
    const uint32_t mmap_len = mem.read(b.info_phys + 44, 4), mmap = mem.read(b.info_phys + 48, 4);
    ASSERT_EQ(mmap_len, 4u * 24);
    uint64_t base = 0, length = 0;
    mem.read_bytes(mmap + 3 * 24 + 4, &base, 8);
    mem.read_bytes(mmap + 3 * 24 + 12, &length, 8);
    EXPECT_EQ(base, 0x100000u);
    EXPECT_EQ(length, 15u << 20);
}

TEST_F(LoaderTest, RefusesWhatIsNotAKernel) {
    EXPECT_NE(refusal({}).find("not an ELF file"), std::string::npos);
    try {
        load_multiboot("/nonexistent/guest.elf", mem, "");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
    }
    try {
        load_multiboot("/tmp", mem, "");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos);
    }
    auto f = kernel_image();
    f.resize(30);
    EXPECT_NE(refusal(f).find("truncated"), std::string::npos);
}

TEST_F(LoaderTest, RefusesMalformedElf) {
    struct Case {
        const char* expect;
        void (*mutate)(std::vector<uint8_t>&);
    };
    const Case cases[] = {
        {"ELF64", [](auto& f) { f[EI_CLASS] = ELFCLASS64; }},
        {"little-endian", [](auto& f) { f[EI_DATA] = ELFDATA2MSB; }},
        {"not an i386", [](auto& f) { ehdr(f).e_machine = EM_X86_64; }},
        {"ET_EXEC", [](auto& f) { ehdr(f).e_type = ET_DYN; }},
        {"program header table", [](auto& f) { ehdr(f).e_phoff = 0xff0; }},
        {"past the end", [](auto& f) { phdr(f).p_filesz = 0x2000, phdr(f).p_memsz = 0x2000; }},
        {"p_filesz > p_memsz", [](auto& f) { phdr(f).p_memsz = 0x10; }},
        {"outside guest RAM", [](auto& f) { phdr(f).p_paddr = 0x2000000; }},
        {"boot area", [](auto& f) { phdr(f).p_paddr = 0x8800; }},
        {"entry point", [](auto& f) { ehdr(f).e_entry = 0x300000; }},
        {"no Multiboot header", [](auto& f) { f[0x100] = 0; }},
        {"checksum", [](auto& f) { f[0x108] ^= 1; }},
    };
    for (const Case& c : cases) {
        auto f = kernel_image();
        c.mutate(f);
        EXPECT_NE(refusal(f).find(c.expect), std::string::npos) << c.expect << ": " << refusal(f);
    }
}

TEST_F(LoaderTest, RefusesHeaderBeyond8KiBAndVideoMode) {
    auto f = kernel_image();
    f.resize(0x3000);
    memmove(&f[0x2100], &f[0x100], 12);
    memset(&f[0x100], 0, 12);
    EXPECT_NE(refusal(f).find("first 8 KiB"), std::string::npos);
    EXPECT_NE(refusal(kernel_image(7)).find("video mode"), std::string::npos);
}

TEST_F(LoaderTest, RandomMutationsLoadOrAreRefused) {
    std::mt19937 rng(2026);
    const auto base = kernel_image();
    for (int i = 0; i < 2000; ++i) {
        auto f = base;
        for (int k = 0; k < 4; ++k) f[rng() % 0x120] = static_cast<uint8_t>(rng());
        try {
            load_multiboot(write(f), mem, "");
        } catch (const InputError&) {
        }
        unlink(files.back().c_str());
        files.pop_back();
    }
}

}  // namespace
}  // namespace prevt
