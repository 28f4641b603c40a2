#include "core/cli/host_facts.hpp"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <x86intrin.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/engines/kvm_engine.hpp"

namespace prevt::cli {

HostFacts probe_host() {
    HostFacts f;
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("vendor_id", 0) == 0) f.amd = line.find("AuthenticAMD") != std::string::npos;
        if (f.cpu_model.empty() && line.rfind("model name", 0) == 0)
            f.cpu_model = line.substr(line.find(':') + 2);
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::string w;
            while (words >> w) {
                if (w == "umip") f.umip = true;
                if (w == "cpuid_fault") f.cpuid_faulting = true;
                if (w == "vmx" || w == "svm") f.hardware_virtualization = true;
            }
            break;
        }
    }
    // ARCH_GET_CPUID answers whether cpuid currently runs; faulting needs kernel support too.
    if (f.cpuid_faulting && syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) < 0)
        f.cpuid_faulting = false;
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t c1 = __rdtsc();
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    f.tsc_mhz = (c1 - c0) / us;
    // Usable means a VM can be made: /dev/kvm can exist, open, and still refuse (a container
    // without the module's permission, a nested host without virtualization, ...).
    const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        f.kvm_unusable = std::string("cannot open /dev/kvm: ") + strerror(errno);
    } else if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        f.kvm_unusable = "/dev/kvm speaks another KVM API version";
    } else if (const int vm = ioctl(fd, KVM_CREATE_VM, 0); vm < 0) {
        f.kvm_unusable = std::string("KVM_CREATE_VM: ") + strerror(errno);
    } else {
        close(vm);
        f.kvm = true;
    }
    if (fd >= 0) close(fd);
    if (f.kvm) f.kvm_cpuid = KvmEngine::host_accepts_cpuid_profile();
    return f;
}

int print_host_facts(FILE* out) {
    const HostFacts f = probe_host();
    fprintf(out, "cpu: %s\n", f.cpu_model.c_str());
    fprintf(out, "cpuid-faulting: %s\n", f.cpuid_faulting ? "yes" : "no");
    // On AMD, `syscall` in compatibility mode enters the kernel and `sysenter` is #UD; on
    // Intel the reverse (the trap engine's int80 golden file records the AMD behaviour).
    fprintf(out, "amd: %s\n", f.amd ? "yes" : "no");
    fprintf(out, "umip: %s\n", f.umip ? "yes" : "no");
    fprintf(out, "kvm: %s\n", f.kvm ? "yes" : ("no (" + f.kvm_unusable + ")").c_str());
    fprintf(out, "kvm-cpuid: %s\n", f.kvm_cpuid ? "yes" : "no");
    fprintf(out, "vmx-or-svm: %s\n", f.hardware_virtualization ? "yes" : "no");
    fprintf(out, "tsc-mhz: %.0f\n", f.tsc_mhz);
    return 0;
}

}  // namespace prevt::cli
