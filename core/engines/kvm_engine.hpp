// The `kvm` engine: the same machine run by the host's KVM (hardware-assisted on a VT-x/SVM
// host), for comparison with trap-and-emulate and binary translation. Guest RAM is the same
// memfd, as a KVM memory slot; KVM's exits are mapped onto prevt's exit vocabulary, so the
// same port bus and devices serve it. docs/kvm-engine.md describes it.
//
// These machines have kvm-pvm (no VMX/SVM): real mode and protected mode without paging run
// (in KVM's instruction emulator, one port-I/O exit ~10-14 us); kvm-pvm refuses CR0.PG
// without long mode, and some instructions (int n, iret, lar, ...) are emulation failures.
// Either ends the run with a "host limit:" line and status 3, never a hang.
#pragma once

#include <linux/kvm.h>

#include <array>
#include <cstdint>
#include <string>

#include "core/engines/engine.hpp"
#include "core/guest_memory.hpp"

namespace prevt {

struct Decoded;

// VcpuState <-> KVM's register structures (kvm_state.cpp).
namespace kvm_state {
kvm_segment to_kvm(const Segment& g);
Segment from_kvm(const kvm_segment& k);
void to_kvm(const VcpuState& s, kvm_regs& r);
// Writes the fields prevt owns; the rest of `sr` (APIC base, CR8, interrupt bitmap) is kept.
void to_kvm(const VcpuState& s, kvm_sregs& sr);
void from_kvm(const kvm_regs& r, const kvm_sregs& sr, VcpuState& s);
bool same_regs(const VcpuState& a, const VcpuState& b);   // GPRs, EIP, EFLAGS
bool same_sregs(const VcpuState& a, const VcpuState& b);  // segments, tables, CRs
}  // namespace kvm_state

class KvmEngine final : public Engine {
public:
    // InputError without /dev/kvm. `profile`: the guest's CPUID (KVM_SET_CPUID2); unless
    // `quiet`, a probe VM checks that the guest sees it and a difference is warned of.
    explicit KvmEngine(GuestMemory& ram, const CpuProfile& profile = default_profile(),
                       bool quiet = false);
    ~KvmEngine() override;
    KvmEngine(const KvmEngine&) = delete;
    KvmEngine& operator=(const KvmEngine&) = delete;
    const char* name() const override { return "kvm"; }
    Exit run(VcpuState& s) override;
    void set_single_step(bool on) override;
    // Through KVM_SET_GUEST_DEBUG's single-step (the exec trace's): EIP compared after every
    // instruction while a breakpoint is set; false where this host's KVM cannot step.
    bool set_debug_stops(const DebugStops& stops) override;
    std::vector<std::pair<std::string, uint64_t>> counters() const override;
    // Whether a guest under this host's KVM sees prevt's CPUID profile (`prevt host`:
    // kvm-cpuid), checked by running cpuid in a small probe VM; else what differs.
    static std::string cpuid_profile_mismatch(const CpuProfile& profile = default_profile());
    static bool host_accepts_cpuid_profile() { return cpuid_profile_mismatch().empty(); }
    // VT-x or SVM in /proc/cpuinfo: KVM runs the guest in hardware (paging included).
    bool hardware_virtualization() const { return hardware_virtualization_; }

    void segment_loaded(SegReg) override { dirty_ = true; }
    void control_register_written(int) override { dirty_ = true; }
    // Real mode runs in the vCPU (kvm-pvm emulates it): the emulator's CR0 writes may clear PE.
    bool supports_real_mode() const override { return true; }

private:
    Exit run_once(VcpuState& s);
    bool apply_guest_debug();
    void open_vcpu();
    void set_memory_slots();
    void release();
    void put_state(const VcpuState& s);
    void get_state(VcpuState& s);
    void refresh_msrs(VcpuState& s);
    void set_cpuid(const CpuProfile& profile);
    Exit host_limit(const std::string& what);
    bool decode_at_eip(const VcpuState& s, Decoded& d);
    std::string instruction_at(const VcpuState& s);
    bool sets_cr0_pg(const VcpuState& s);

    GuestMemory& ram_;
    int kvm_ = -1, vm_ = -1, vcpu_ = -1;
    kvm_run* run_ = nullptr;
    size_t run_size_ = 0;
    bool hardware_virtualization_ = false;
    std::string host_kvm_;  // "kvm-pvm" or "KVM", for messages
    // With KVM_CAP_SYNC_REGS the registers travel in kvm_run (no ioctl per exit: on kvm-pvm
    // every vCPU ioctl costs ~7 µs); otherwise in regs_/sregs_ by KVM_GET/SET_(S)REGS.
    bool sync_regs_ = false;
    bool exec_trace_ = false;  // --trace exec: a kDebugStop after every instruction
    DebugStops debug_;         // the debugger's (core/debug/debug_stops.hpp)
    kvm_regs own_regs_{};
    kvm_sregs own_sregs_{};
    kvm_regs* regs_ = &own_regs_;
    kvm_sregs* sregs_ = &own_sregs_;
    VcpuState seen_;     // the state as KVM last reported or was given it
    Msrs msr_seen_;      // SYSENTER MSRs as KVM last reported or was given them
    bool dirty_ = true;  // the emulator touched segments or CRs: write all back
    bool msrs_dirty_ = true;
    bool cpuid_set_ = false;
    std::string detail_;  // the last host-limit explanation (Exit::detail points here)
    std::array<uint64_t, 64> exits_{};
    uint64_t runs_ = 0, run_ns_ = 0, min_run_ns_ = UINT64_MAX;
    uint64_t regs_writes_ = 0, sregs_writes_ = 0, msr_writes_ = 0;
};

}  // namespace prevt
