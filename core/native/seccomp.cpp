#include "core/native/seccomp.hpp"

#include <elf.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "core/errors.hpp"

namespace prevt::native {

namespace {

bool g_installed = false;

// What the monitor calls once guest code may run (strace of every test guest on every engine):
// output and input (serial, trace, stats), waiting (hlt), the host timers, the shadow MMU's
// mappings and shadow descriptors, malloc, and KVM_RUN.
constexpr int kAllowed[] = {
    SYS_read,          SYS_write,        SYS_writev,        SYS_poll,
    SYS_ppoll,         SYS_close,        SYS_fstat,         SYS_newfstatat,
    SYS_lseek,         SYS_munmap,       SYS_mremap,        SYS_madvise,
    SYS_brk,           SYS_modify_ldt,   SYS_rt_sigreturn,  SYS_rt_sigprocmask,
    SYS_setitimer,     SYS_getitimer,    SYS_timer_create,  SYS_timer_settime,
    SYS_timer_gettime, SYS_timer_delete, SYS_clock_gettime, SYS_clock_nanosleep,
    SYS_nanosleep,     SYS_gettimeofday, SYS_sched_yield,   SYS_futex,
    SYS_getpid,        SYS_gettid,       SYS_tgkill,        SYS_getrandom,
    SYS_exit,          SYS_exit_group,
    SYS_accept4,  // the gdb stub's one connection (core/gdb/gdb_server.cpp), on its own socket
};

constexpr unsigned kNr = offsetof(seccomp_data, nr);
constexpr unsigned kArch = offsetof(seccomp_data, arch);
constexpr unsigned kIpLow = offsetof(seccomp_data, instruction_pointer);
constexpr unsigned kIpHigh = offsetof(seccomp_data, instruction_pointer) + 4;
constexpr unsigned kArg1 = offsetof(seccomp_data, args) + 8;   // low half of args[1]
constexpr unsigned kArg2 = offsetof(seccomp_data, args) + 16;  // low half of args[2]

constexpr uint8_t kKvmIoctlType = 0xae;  // _IO(KVMIO, ...)
// The terminal's: TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ (never TIOCSTI).
constexpr uint32_t kTerminalIoctls[] = {0x5401, 0x5402, 0x5403, 0x5404, 0x5413};

sock_filter stmt(uint16_t code, uint32_t k) {
    return BPF_STMT(code, k);
}
sock_filter jeq(uint32_t k, uint8_t jt, uint8_t jf) {
    return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
}

std::vector<sock_filter> build_filter(bool executable_maps) {
    constexpr uint32_t kAllow = SECCOMP_RET_ALLOW, kTrap = SECCOMP_RET_TRAP,
                       kKill = SECCOMP_RET_KILL_PROCESS;
    std::vector<sock_filter> f;
    // Guest code: below 4 GiB, whatever the ABI.
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kIpHigh));
    f.push_back(jeq(0, 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, kTrap));
    // The monitor: the x86-64 ABI only, but for a guest's fast system call, which the kernel
    // reports at its landing pad in the vDSO (seccomp.hpp): SIGSYS, as for the rest of guest
    // code (the signal handler checks that it came from compatibility mode).
    const VdsoRange vdso = host_vdso();
    const bool vdso_block = vdso.end > vdso.begin && (vdso.begin >> 32) == ((vdso.end - 1) >> 32);
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArch));
    f.push_back(jeq(AUDIT_ARCH_X86_64, vdso_block ? 7 : 1, 0));
    if (vdso_block) {
        f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kIpHigh));
        f.push_back(jeq(static_cast<uint32_t>(vdso.begin >> 32), 0, 4));
        f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kIpLow));
        f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(vdso.begin), 0, 2));
        f.push_back(
            BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(vdso.end - 1), 1, 0));
        f.push_back(stmt(BPF_RET | BPF_K, kTrap));
    }
    f.push_back(stmt(BPF_RET | BPF_K, kKill));
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNr));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));  // x32
    f.push_back(stmt(BPF_RET | BPF_K, kKill));
    for (int nr : kAllowed) {
        f.push_back(jeq(static_cast<uint32_t>(nr), 0, 1));
        f.push_back(stmt(BPF_RET | BPF_K, kAllow));
    }
    // mmap and mprotect: never executable memory (the translation cache is mapped before).
    const size_t mmap_check = f.size();
    f.push_back(jeq(SYS_mmap, 0, 0));  // jt patched below: to the PROT_EXEC test
    f.push_back(jeq(SYS_mprotect, 0, 0));
    f.push_back(jeq(SYS_ioctl, 0, 0));
    f.push_back(stmt(BPF_RET | BPF_K, kTrap));  // not on the list
    const size_t prot = f.size();
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArg2));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, executable_maps ? 0 : PROT_EXEC, 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, kTrap));
    f.push_back(stmt(BPF_RET | BPF_K, kAllow));
    const size_t ioctl = f.size();
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArg1));
    for (uint32_t cmd : kTerminalIoctls) {
        f.push_back(jeq(cmd, 0, 1));
        f.push_back(stmt(BPF_RET | BPF_K, kAllow));
    }
    f.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, 0xff00));
    f.push_back(jeq(uint32_t(kKvmIoctlType) << 8, 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, kAllow));
    f.push_back(stmt(BPF_RET | BPF_K, kTrap));
    auto to = [&](size_t from, size_t target) {
        f[from].jt = static_cast<uint8_t>(target - from - 1);
    };
    to(mmap_check, prot);
    to(mmap_check + 1, prot);
    to(mmap_check + 2, ioctl);
    return f;
}

}  // namespace

std::span<const int> monitor_syscall_allowlist() {
    return kAllowed;
}

VdsoRange host_vdso() {
    VdsoRange r;
    const auto base = static_cast<uint64_t>(getauxval(AT_SYSINFO_EHDR));
    if (base == 0) return r;
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
    uint64_t lo = ~0ull, hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; ++i) {
        if (ph[i].p_type != PT_LOAD) continue;
        lo = std::min(lo, ph[i].p_vaddr);
        hi = std::max(hi, ph[i].p_vaddr + ph[i].p_memsz);
    }
    if (hi <= lo) return r;
    r.begin = base;
    r.end = base + ((hi - lo + 4095) & ~4095ull);
    return r;
}

namespace {
void install(std::vector<sock_filter> filter) {
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        throw HostError(std::string("cannot install the seccomp filter that contains the guest: ") +
                        strerror(errno));
}

// Stacked on a filter that allowed executable maps (a trap run before, as in `prevt demo`):
// filters only add restrictions, so a contained engine can still take that right away.
std::vector<sock_filter> no_executable_maps() {
    std::vector<sock_filter> f;
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNr));
    f.push_back(jeq(SYS_mmap, 1, 0));
    f.push_back(jeq(SYS_mprotect, 0, 3));
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArg2));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
    f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    return f;
}

bool g_executable_maps = false;
}  // namespace

void install_guest_syscall_filter(bool executable_maps) {
    if (!g_installed) {
        install(build_filter(executable_maps));
        g_installed = true;
        g_executable_maps = executable_maps;
    } else if (g_executable_maps && !executable_maps) {
        install(no_executable_maps());
        g_executable_maps = false;
    }
}

bool guest_syscall_filter_installed() {
    return g_installed;
}

}  // namespace prevt::native
