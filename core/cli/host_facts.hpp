// `prevt host`: the host facts that decide what prevt can show here (and which tests skip).
#pragma once

#include <cstdio>
#include <string>

namespace prevt::cli {

struct HostFacts {
    bool cpuid_faulting = false;  // arch_prctl(ARCH_SET_CPUID): cpuid traps at ring 3
    bool umip = false;            // sgdt/sidt/smsw at ring 3 get the kernel's dummy values
    bool kvm = false;             // /dev/kvm opens read/write and makes a VM (KVM_CREATE_VM)
    std::string kvm_unusable;     // if not, why
    bool kvm_cpuid = false;       // KVM accepts prevt's CPUID profile (KVM_SET_CPUID2)
    bool hardware_virtualization = false;  // vmx or svm in /proc/cpuinfo
    bool amd = false;                      // vendor AuthenticAMD
    std::string cpu_model;
    double tsc_mhz = 0;  // measured against CLOCK_MONOTONIC over 50 ms
};

HostFacts probe_host();
int print_host_facts(FILE* out);

}  // namespace prevt::cli
