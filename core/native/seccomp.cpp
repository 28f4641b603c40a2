#include "core/native/seccomp.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "core/errors.hpp"

namespace prevt::native {

namespace {
bool g_installed = false;
}

void install_guest_syscall_filter() {
    if (g_installed) return;
    // seccomp_data.instruction_pointer is 64 bits; its high half is zero for guest code.
    constexpr unsigned kIpHigh = offsetof(struct seccomp_data, instruction_pointer) + 4;
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpHigh),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        throw GuestError(
            std::string("cannot install the seccomp filter that contains the guest: ") +
            strerror(errno));
    g_installed = true;
}

bool guest_syscall_filter_installed() {
    return g_installed;
}

}  // namespace prevt::native
