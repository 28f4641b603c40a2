// The KVM ioctls whose C++ layout Debian 12's uapi headers get wrong (kvm_engine.cpp, kvm_run.cpp).
// <linux/kvm.h> before the 2023 uapi fix declares the variable-length tails of kvm_cpuid2
// and kvm_msrs with __DECLARE_FLEX_ARRAY, which in C++ contains an empty struct of size 1:
// the entries land at offset 12 instead of 8, and the ioctl numbers (they encode the size)
// are ones the kernel does not know (EINVAL). prevt lays these out as the kernel does.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>

namespace prevt::kvm_uapi {

template <class Entry, unsigned N>
struct KvmList {
    uint32_t n = 0, padding = 0;
    Entry entries[N]{};
};
struct KvmListHeader {
    uint32_t n, padding;
};
inline constexpr unsigned long kGetMsrs = _IOWR(KVMIO, 0x88, KvmListHeader);
inline constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, KvmListHeader);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, KvmListHeader);
static_assert(kSetCpuid2 == 0x4008ae90 && kSetMsrs == 0x4008ae89 && kGetMsrs == 0xc008ae88);

inline constexpr uint32_t kSysenterMsrs[3] = {0x174, 0x175, 0x176};  // CS, ESP, EIP

}  // namespace prevt::kvm_uapi
