// ELF images for the Multiboot loader tests, built in memory, and a fixture that writes them
// to temporary files and loads them into a 16 MiB guest.
#pragma once

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/guest_memory.hpp"
#include "core/loaders/multiboot.hpp"
#include "tests/core/loader_fixture.hpp"

namespace prevt::mbtest {

using Bytes = std::vector<uint8_t>;
inline constexpr uint32_t kPhoff = sizeof(Elf32_Ehdr), kData = 0x100, kMbFlags = 3;

template <typename T>
inline void edit(Bytes& f, size_t at, const std::function<void(T&)>& change) {
    T v;
    memcpy(&v, &f[at], sizeof v);
    change(v);
    memcpy(&f[at], &v, sizeof v);
}
inline void ehdr(Bytes& f, const std::function<void(Elf32_Ehdr&)>& c) {
    edit<Elf32_Ehdr>(f, 0, c);
}
inline void phdr(Bytes& f, unsigned i, const std::function<void(Elf32_Phdr&)>& c) {
    edit<Elf32_Phdr>(f, kPhoff + i * sizeof(Elf32_Phdr), c);
}
inline void put_header(Bytes& f, size_t at, uint32_t flags, uint32_t checksum_error = 0) {
    const uint32_t h[3] = {0x1badb002, flags, 0u - 0x1badb002u - flags + checksum_error};
    memcpy(&f[at], h, sizeof h);
}

// A minimal kernel: one PT_LOAD segment at 1 MiB from file offset 0x100: the Multiboot header,
// code (0x14 bytes of a pattern from 0x10000c, the entry), then 0x100 bytes of bss.
inline Bytes kernel_image() {
    Bytes f(0x1000, 0);
    ehdr(f, [](Elf32_Ehdr& e) {
        memcpy(e.e_ident, ELFMAG, SELFMAG);
        e.e_ident[EI_CLASS] = ELFCLASS32;
        e.e_ident[EI_DATA] = ELFDATA2LSB;
        e.e_ident[EI_VERSION] = EV_CURRENT;
        e.e_type = ET_EXEC;
        e.e_machine = EM_386;
        e.e_version = EV_CURRENT;
        e.e_entry = 0x10000c;
        e.e_phoff = kPhoff;
        e.e_ehsize = sizeof(Elf32_Ehdr);
        e.e_phentsize = sizeof(Elf32_Phdr);
        e.e_phnum = 1;
    });
    phdr(f, 0, [](Elf32_Phdr& p) {
        p.p_type = PT_LOAD;
        p.p_offset = kData;
        p.p_vaddr = p.p_paddr = 0x100000;
        p.p_filesz = 0x20;
        p.p_memsz = 0x120;
        p.p_flags = PF_R | PF_X;
    });
    put_header(f, kData, kMbFlags);
    for (uint32_t i = 12; i < 0x20; ++i) f[kData + i] = static_cast<uint8_t>(0xa0 + i);
    return f;
}

// The image with a second program header appended (the table has room up to 0x100).
inline Bytes with_second_segment(Bytes f, const Elf32_Phdr& second) {
    ehdr(f, [](Elf32_Ehdr& e) { e.e_phnum = 2; });
    phdr(f, 1, [&](Elf32_Phdr& p) { p = second; });
    return f;
}

class LoaderTest : public LoaderFixture {
protected:
    LoaderTest() : LoaderFixture(16 << 20) {}
    std::string refusal_of(const std::string& path, const std::string& cmdline = "k") {
        return refusal_by(path, [&] { load_multiboot(path, mem, cmdline); });
    }
    std::string refusal(const Bytes& bytes) { return refusal_of(write(bytes)); }
};

// A PT_LOAD header with no file data.
inline Elf32_Phdr load_at(uint32_t paddr, uint32_t memsz) {
    Elf32_Phdr p{};
    p.p_type = PT_LOAD;
    p.p_paddr = p.p_vaddr = paddr;
    p.p_memsz = memsz;
    return p;
}

}  // namespace prevt::mbtest
