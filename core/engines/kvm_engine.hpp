// The `kvm` engine: the same machine run by the host's KVM (hardware-assisted on a VT-x/SVM
// host), for comparison with trap-and-emulate and binary translation. Guest RAM is the same
// memfd, as a KVM memory slot; KVM's exits are mapped onto prevt's exit vocabulary, so the
// same port bus and devices serve it.
//
// These machines have kvm-pvm (no VMX/SVM): real mode and protected mode without paging run
// (in KVM's instruction emulator, ~9 µs per exit); CR0.PG without long mode shuts the vCPU
// down, and some instructions (lar, ...) are emulation failures. Either ends the run with a
// "host limit:" line and status 3, never a hang or a wrong answer.
#pragma once

#include <linux/kvm.h>

#include <array>

#include "core/engines/engine.hpp"
#include "core/guest_memory.hpp"

namespace prevt {

class KvmEngine final : public Engine {
public:
    explicit KvmEngine(GuestMemory& ram, bool quiet = false);  // InputError without /dev/kvm
    ~KvmEngine() override;
    const char* name() const override { return "kvm"; }
    Exit run(VcpuState& s) override;
    void set_single_step(bool on) override;
    std::vector<std::pair<std::string, uint64_t>> counters() const override;
    // Whether this host's KVM takes prevt's CPUID profile (`prevt host`: kvm-cpuid).
    static bool host_accepts_cpuid_profile();

    void segment_loaded(SegReg) override { dirty_ = true; }
    void control_register_written(int) override { dirty_ = true; }

private:
    void put_state(const VcpuState& s);
    void get_state(VcpuState& s);
    void set_cpuid();
    Exit host_limit(const VcpuState& s, const std::string& what);

    GuestMemory& ram_;
    int kvm_ = -1, vm_ = -1, vcpu_ = -1;
    kvm_run* run_ = nullptr;
    size_t run_size_ = 0;
    bool hardware_virtualization_ = false;
    bool dirty_ = true;
    bool cpuid_set_ = false;
    std::string detail_;  // the last host-limit explanation (Exit::detail points here)
    std::array<uint64_t, 64> exits_{};
};

}  // namespace prevt
