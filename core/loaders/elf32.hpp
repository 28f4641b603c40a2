// ELF32 executables as the Multiboot loader takes them: reading the file, and checking the ELF
// header and the program headers against the file. Nothing here knows about guest memory.
// Every refusal is an InputError of one line, "<path>: <problem>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prevt::loaders {

// A kernel file larger than this is refused before anything is read (no 32-bit guest loads
// it). Within it only what the loader needs is read (KernelFile), never the whole file.
inline constexpr uint64_t kMaxKernelFile = 1ull << 30;
// What KernelFile reads at open: where the ELF header and the Multiboot header must lie.
inline constexpr size_t kHeadSize = 8192;

// An open kernel (or initrd) file, checked before its first byte is read: a readable regular file
// (not a directory, FIFO, device) of 1 byte .. kMaxKernelFile. The loader then reads the head, the
// program header table and the bytes it loads (straight into guest RAM, which bounds them):
// a huge file costs neither time nor memory.
class KernelFile {
public:
    // `what` names the file's role in the messages ("kernel", "initrd").
    explicit KernelFile(const std::string& path,
                        const std::string& what = "kernel");  // throws InputError
    ~KernelFile();
    KernelFile(const KernelFile&) = delete;
    KernelFile& operator=(const KernelFile&) = delete;

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }
    // The first min(size, kHeadSize) bytes.
    const std::vector<uint8_t>& head() const { return head_; }
    // Reads [offset, offset + length), which the caller has checked lies inside the file.
    void read(uint64_t offset, void* dst, size_t length) const;

private:
    std::string path_;
    int fd_ = -1;
    uint64_t size_ = 0;
    std::vector<uint8_t> head_;
};

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

// Accepts only a little-endian ELF32 ET_EXEC for EM_386, statically linked, whose program
// header table and PT_LOAD file ranges lie inside `file`. Reads the program header table only.
Elf32Executable parse_elf32_executable(const KernelFile& file);

}  // namespace prevt::loaders
