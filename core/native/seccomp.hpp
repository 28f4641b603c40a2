// Containment: the seccomp filter, installed once per process before the first guest
// instruction, irrevocable.
//   - Every system call whose instruction pointer is below 4 GiB - made by guest code
//     (int $0x80, sysenter, syscall, in compatibility or 64-bit mode) - raises SIGSYS, which
//     the engines turn into a guest event. It never reaches the host kernel.
//   - The monitor's own code (above 4 GiB) may make only the calls on an allowlist: what the
//     run loop, the devices' output, the shadow MMU and KVM really use (no open, no exec, no
//     fork, no sockets, no new executable memory, no signal handlers, no ioctl but KVM's and
//     the terminal's). Anything else is a bug in prevt or code that escaped containment: it
//     raises SIGSYS in the monitor, which ends the process with a message and status 4; a
//     system call through another ABI (int $0x80 or x32 from 64-bit code) kills it at once.
//   - One exception to the last rule: a call of the i386 ABI that the kernel reports at an
//     address inside the host's vDSO raises SIGSYS. That is a guest's `sysenter` (Intel) or
//     `syscall` (AMD) in compatibility mode: the kernel's 32-bit fast-syscall path replaces
//     the return address with its landing pad, computed from the (64-bit, above 4 GiB) vDSO's
//     base, before seccomp sees the call (tests/hostile/probes/sysenter_probe.c). Killing it
//     would let any guest end prevt with a host signal.
#pragma once

#include <cstdint>
#include <span>

namespace prevt::native {

// `executable_maps`: the monitor may map executable memory (the trap engine maps guest pages
// it runs natively; it is not contained).
void install_guest_syscall_filter(bool executable_maps = false);
bool guest_syscall_filter_installed();

// The monitor's allowlist, by system call number (x86-64), for `prevt table`-like output and
// tests. mmap, mprotect and ioctl are allowed only with the arguments described above.
std::span<const int> monitor_syscall_allowlist();

// Where the host kernel mapped this process's vDSO (AT_SYSINFO_EHDR and the extent of its
// loadable segments; empty if there is none).
struct VdsoRange {
    uint64_t begin = 0, end = 0;
    bool contains(uint64_t ip) const { return ip >= begin && ip < end; }
};
VdsoRange host_vdso();

}  // namespace prevt::native
