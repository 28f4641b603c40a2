// Containment: after install_guest_syscall_filter() every system call whose instruction
// pointer is below 4 GiB - i.e. made by guest code (int $0x80, sysenter, syscall, in
// compatibility or 64-bit mode) - raises SIGSYS instead of reaching the host kernel.
// The monitor's own code lives above 4 GiB and is unaffected. Irrevocable, per process.
#pragma once

namespace prevt::native {

void install_guest_syscall_filter();
bool guest_syscall_filter_installed();

}  // namespace prevt::native
