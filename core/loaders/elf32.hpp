// ELF32 executables as the Multiboot loader takes them: reading the file, and checking the ELF
// header and the program headers against the file. Nothing here knows about guest memory.
// Every refusal is an InputError of one line, "<path>: <problem>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevt::loaders {

// A kernel file larger than this is refused before it is read (no 32-bit guest loads it).
inline constexpr uint64_t kMaxKernelFile = 1ull << 30;

// A PT_LOAD segment with p_memsz > 0. Invariants: filesz <= memsz, and
// [offset, offset + filesz) lies inside the file it was parsed from.
struct Elf32Segment {
    unsigned index;  // in the program header table, for messages
    uint32_t paddr, vaddr, offset, filesz, memsz;
};

struct Elf32Executable {
    uint32_t entry;                   // e_entry, as written in the file (a virtual address)
    std::vector<Elf32Segment> loads;  // never empty
};

[[noreturn]] void refuse(const std::string& path, const std::string& problem);
std::string hex(uint64_t value);

// The whole of `path`, which must be a readable regular file of 1 byte .. kMaxKernelFile.
std::vector<uint8_t> read_kernel_file(const std::string& path);

// Accepts only a little-endian ELF32 ET_EXEC for EM_386, statically linked, whose program
// header table and PT_LOAD file ranges lie inside `file`.
Elf32Executable parse_elf32_executable(const std::string& path, const std::vector<uint8_t>& file);

}  // namespace prevt::loaders
