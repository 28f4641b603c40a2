// The Multiboot loader refuses malformed kernels, one image per problem: an InputError of one
// line that starts with the file's path and names the problem.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <ostream>
#include <string>

#include "tests/core/multiboot_images.hpp"

namespace prevt::mbtest {
namespace {

struct Malformed {
    const char* name;
    const char* expect;  // a part of the message
    std::function<void(Bytes&)> mutate;
};

const Malformed kMalformed[] = {
    {"Empty", "the file is empty", [](Bytes& f) { f.clear(); }},
    {"NotElf", "not an ELF file", [](Bytes& f) { f[1] = 'X'; }},
    {"TruncatedIdent", "truncated ELF header", [](Bytes& f) { f.resize(10); }},
    {"TruncatedHeader", "truncated ELF header", [](Bytes& f) { f.resize(30); }},
    {"Elf64", "ELF64 is not supported", [](Bytes& f) { f[EI_CLASS] = ELFCLASS64; }},
    {"BadClass", "invalid ELF class", [](Bytes& f) { f[EI_CLASS] = 7; }},
    {"BigEndian", "big-endian", [](Bytes& f) { f[EI_DATA] = ELFDATA2MSB; }},
    {"BadVersion", "ELF version", [](Bytes& f) { f[EI_VERSION] = 9; }},
    {"WrongMachine", "not an i386",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_machine = EM_X86_64; }); }},
    {"Dyn", "ET_DYN", [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_type = ET_DYN; }); }},
    {"Rel", "ET_EXEC", [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_type = ET_REL; }); }},
    {"SmallEhsize", "ELF header size",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_ehsize = 40; }); }},
    {"BadPhentsize", "program header entries",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_phentsize = 56; }); }},
    {"NoPhdrs", "no program headers",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_phnum = 0; }); }},
    {"PhdrsPastEnd", "program header table",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_phoff = 0xff0; }); }},
    {"PhoffWraps", "program header table",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_phoff = 0xfffffff0; }); }},
    {"FileDataPastEnd", "past the end of the file",
     [](Bytes& f) { phdr(f, 0, [](Elf32_Phdr& p) { p.p_filesz = p.p_memsz = 0x2000; }); }},
    {"OffsetWraps", "past the end of the file",
     [](Bytes& f) { phdr(f, 0, [](Elf32_Phdr& p) { p.p_offset = 0xffffffe0; }); }},
    {"FileszOverMemsz", "p_filesz 0x20 is larger than p_memsz 0x10",
     [](Bytes& f) { phdr(f, 0, [](Elf32_Phdr& p) { p.p_memsz = 0x10; }); }},
    {"NoLoad", "no loadable segment",
     [](Bytes& f) { phdr(f, 0, [](Elf32_Phdr& p) { p.p_type = PT_NOTE; }); }},
    {"Interp", "dynamically linked",
     [](Bytes& f) {
         f = with_second_segment(f, Elf32_Phdr{PT_INTERP, 0, 0, 0, 0, 0, 0, 0});
     }},
    {"OutsideRam", "segment at 0x2000000 (size 0x120) lies outside guest RAM (16 MiB)",
     [](Bytes& f) { phdr(f, 0, [](Elf32_Phdr& p) { p.p_paddr = 0x2000000; }); }},
    {"StraddlesRamEnd", "lies outside guest RAM",
     [](Bytes& f) { f = with_second_segment(f, load_at(0xfff000, 0x2000)); }},
    {"WrapsAt4GiB", "lies outside guest RAM",
     [](Bytes& f) { f = with_second_segment(f, load_at(0xffffff00, 0x200)); }},
    {"NoRoomForTheBootArea", "no room for the Multiboot information after the kernel",
     [](Bytes& f) {  // over the default area and up to the end of RAM (16 MiB)
         f = with_second_segment(f, load_at(0x9800, 0x1000000 - 0x9800));
     }},
    {"EntryOutside", "entry point 0x300000 lies outside the loaded segments",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_entry = 0x300000; }); }},
    {"EntryJustPastEnd", "entry point 0x100120",
     [](Bytes& f) { ehdr(f, [](Elf32_Ehdr& e) { e.e_entry = 0x100120; }); }},
    {"NoHeader", "no Multiboot header in the first 8 KiB", [](Bytes& f) { f[kData] = 0; }},
    {"HeaderBeyond8KiB", "offset 0x2100 is too far",
     [](Bytes& f) {
         f.resize(0x3000);
         memset(&f[kData], 0, 12);
         put_header(f, 0x2100, kMbFlags);
     }},
    {"BadChecksum", "Multiboot header checksum is wrong",
     [](Bytes& f) { put_header(f, kData, kMbFlags, 1); }},
    {"VideoMode", "video mode", [](Bytes& f) { put_header(f, kData, kMbFlags | 4); }},
    {"UnknownRequiredFlag", "features prevt does not know (flags 0x8003)",
     [](Bytes& f) { put_header(f, kData, kMbFlags | 0x8000); }},
};

void PrintTo(const Malformed& m, std::ostream* os) {
    *os << m.name;
}

class MalformedTest : public LoaderTest, public ::testing::WithParamInterface<Malformed> {};

TEST_P(MalformedTest, IsRefusedWithAMessageNamingTheProblem) {
    Bytes f = kernel_image();
    GetParam().mutate(f);
    const std::string m = refusal(f);
    EXPECT_NE(m.find(GetParam().expect), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(Loader, MalformedTest, ::testing::ValuesIn(kMalformed),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace prevt::mbtest
