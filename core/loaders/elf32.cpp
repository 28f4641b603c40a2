#include "core/loaders/elf32.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/errors.hpp"

namespace prevt::loaders {

void refuse(const std::string& path, const std::string& problem) {
    throw InputError(path + ": " + problem);
}

std::string hex(uint64_t value) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
    return buf;
}

namespace {

std::string os_error(const char* what) {
    return std::string(what) + ": " + strerror(errno);
}

}  // namespace

KernelFile::KernelFile(const std::string& path, const std::string& what) : path_(path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused as not regular.
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) refuse(path, os_error("cannot open"));
    struct stat st {};
    try {
        if (fstat(fd_, &st) != 0) refuse(path, os_error("cannot stat"));
        if (S_ISDIR(st.st_mode)) refuse(path, "is a directory, not a " + what + " file");
        if (!S_ISREG(st.st_mode))
            refuse(path,
                   "not a regular file (a device, FIFO or socket is not a " + what + " file)");
        if (st.st_size == 0)
            refuse(path, "the file is empty (expected " +
                             std::string(what.find_first_of("aeiou") == 0 ? "an " : "a ") + what +
                             ")");
        if (static_cast<uint64_t>(st.st_size) > kMaxKernelFile)
            refuse(path, "larger than 1 GiB, too large for a 32-bit guest's " + what);
        size_ = static_cast<uint64_t>(st.st_size);
        head_.resize(static_cast<size_t>(std::min<uint64_t>(size_, kHeadSize)));
        read(0, head_.data(), head_.size());
    } catch (...) {
        close(fd_);
        throw;
    }
}

KernelFile::~KernelFile() {
    close(fd_);
}

void KernelFile::read(uint64_t offset, void* dst, size_t length) const {
    auto* p = static_cast<uint8_t*>(dst);
    while (length > 0) {
        const ssize_t n = pread(fd_, p, length, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) refuse(path_, os_error("cannot read"));
        if (n == 0) refuse(path_, "the file shrank while it was being read");
        p += n;
        offset += static_cast<uint64_t>(n);
        length -= static_cast<size_t>(n);
    }
}

Elf32Executable parse_elf32_executable(const KernelFile& file) {
    const std::string& path = file.path();
    const std::vector<uint8_t>& f = file.head();  // the ELF header lies in it, if anywhere
    const std::string size = " (the file has " + std::to_string(file.size()) + " bytes)";
    if (f.size() < SELFMAG || memcmp(f.data(), ELFMAG, SELFMAG) != 0)
        refuse(path, "not an ELF file");
    if (f.size() < EI_NIDENT) refuse(path, "truncated ELF header" + size);
    if (f[EI_CLASS] == ELFCLASS64)
        refuse(path, "ELF64 is not supported (Multiboot v1 needs ELF32)");
    if (f[EI_CLASS] != ELFCLASS32) refuse(path, "invalid ELF class " + std::to_string(f[EI_CLASS]));
    if (f[EI_DATA] == ELFDATA2MSB)
        refuse(path, "big-endian ELF is not supported (i386 kernels are little-endian)");
    if (f[EI_DATA] != ELFDATA2LSB)
        refuse(path, "invalid ELF data encoding " + std::to_string(f[EI_DATA]));
    if (f[EI_VERSION] != EV_CURRENT)
        refuse(path, "unknown ELF version " + std::to_string(f[EI_VERSION]));
    if (f.size() < sizeof(Elf32_Ehdr)) refuse(path, "truncated ELF header" + size);

    Elf32_Ehdr eh;
    memcpy(&eh, f.data(), sizeof eh);
    if (eh.e_machine != EM_386)
        refuse(path, "not an i386 ELF file (e_machine " + std::to_string(eh.e_machine) +
                         "; Multiboot v1 needs EM_386)");
    if (eh.e_type == ET_DYN)
        refuse(path,
               "position-independent ELF (ET_DYN) is not supported; a Multiboot kernel is "
               "ET_EXEC");
    if (eh.e_type != ET_EXEC)
        refuse(path, "not an executable ELF file (e_type " + std::to_string(eh.e_type) +
                         "; a Multiboot kernel is ET_EXEC)");
    if (eh.e_ehsize < sizeof(Elf32_Ehdr))
        refuse(path, "ELF header size " + std::to_string(eh.e_ehsize) + " is too small");
    if (eh.e_phentsize != sizeof(Elf32_Phdr))
        refuse(path, "program header entries of " + std::to_string(eh.e_phentsize) +
                         " bytes (ELF32 has 32)");
    if (eh.e_phoff == 0 || eh.e_phnum == 0) refuse(path, "no program headers");
    // 64-bit arithmetic: e_phoff + e_phnum * 32 cannot wrap.
    const uint64_t table_end = uint64_t{eh.e_phoff} + uint64_t{eh.e_phnum} * sizeof(Elf32_Phdr);
    if (table_end > file.size())
        refuse(path, "program header table (offset " + hex(eh.e_phoff) + ", " +
                         std::to_string(eh.e_phnum) +
                         " entries of 32 bytes) lies past the end of the file" + size);

    // At most 65535 entries of 32 bytes: 2 MiB, read once.
    std::vector<Elf32_Phdr> table(eh.e_phnum);
    file.read(eh.e_phoff, table.data(), table.size() * sizeof(Elf32_Phdr));
    Elf32Executable exe{eh.e_entry, {}};
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        const Elf32_Phdr& ph = table[i];
        const std::string seg = "segment " + std::to_string(i) + ": ";
        if (ph.p_type == PT_INTERP)
            refuse(path,
                   "dynamically linked (PT_INTERP); a Multiboot kernel is a static executable");
        if (ph.p_type != PT_LOAD) continue;
        if (ph.p_filesz > ph.p_memsz)
            refuse(path, seg + "p_filesz " + hex(ph.p_filesz) + " is larger than p_memsz " +
                             hex(ph.p_memsz));
        if (uint64_t{ph.p_offset} + ph.p_filesz > file.size())
            refuse(path, seg + "file data at offset " + hex(ph.p_offset) + " (size " +
                             hex(ph.p_filesz) + ") lies past the end of the file" + size);
        if (ph.p_memsz == 0) continue;
        exe.loads.push_back({i, ph.p_paddr, ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz});
    }
    if (exe.loads.empty()) refuse(path, "no loadable segment (PT_LOAD)");
    return exe;
}

}  // namespace prevt::loaders
