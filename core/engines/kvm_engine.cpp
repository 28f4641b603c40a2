#include "core/engines/kvm_engine.hpp"

#include <Zydis/Zydis.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "core/emulate/decoded.hpp"
#include "core/emulate/execute.hpp"
#include "core/engines/kvm_uapi.hpp"
#include "core/errors.hpp"
#include "core/native/signals.hpp"

namespace prevt {

using namespace kvm_uapi;

namespace {

bool host_has_vmx_or_svm() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("flags", 0) == 0)
            return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
    return false;
}

}  // namespace

KvmEngine::KvmEngine(GuestMemory& ram, const CpuProfile& profile, bool quiet) : ram_(ram) {
    try {
        open_vcpu();
        native::install_signal_handlers();  // the timer signal interrupts KVM_RUN (EINTR)
    } catch (...) {
        release();
        throw;
    }
    set_cpuid(profile);
    if (!quiet) {  // never a silent wrong answer
        const std::string diff = cpuid_profile_mismatch(profile);
        if (!diff.empty())
            fprintf(stderr,
                    "prevt: warning: under this host's KVM the guest's cpuid differs from "
                    "prevt's profile: %s\n",
                    diff.c_str());
    }
}

KvmEngine::~KvmEngine() {
    release();
}

void KvmEngine::release() {
    if (run_) munmap(run_, run_size_);
    run_ = nullptr;
    for (int* fd : {&vcpu_, &vm_, &kvm_}) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
    }
}

void KvmEngine::open_vcpu() {
    kvm_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_ < 0) throw InputError(std::string("--engine kvm: /dev/kvm: ") + strerror(errno));
    if (ioctl(kvm_, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        throw InputError("--engine kvm: /dev/kvm: unexpected KVM API version");
    vm_ = ioctl(kvm_, KVM_CREATE_VM, 0);
    if (vm_ < 0) throw InputError(std::string("--engine kvm: KVM_CREATE_VM: ") + strerror(errno));
    set_memory_slots();
    vcpu_ = ioctl(vm_, KVM_CREATE_VCPU, 0);
    if (vcpu_ < 0)
        throw InputError(std::string("--engine kvm: KVM_CREATE_VCPU: ") + strerror(errno));
    const int size = ioctl(kvm_, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < static_cast<int>(sizeof(kvm_run)))
        throw InputError("--engine kvm: KVM_GET_VCPU_MMAP_SIZE failed");
    run_size_ = static_cast<size_t>(size);
    void* p = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_, 0);
    if (p == MAP_FAILED) throw InputError("--engine kvm: cannot map kvm_run");
    run_ = static_cast<kvm_run*>(p);

    hardware_virtualization_ = host_has_vmx_or_svm();
    host_kvm_ = access("/sys/module/kvm_pvm", F_OK) == 0 ? "kvm-pvm" : "KVM";
    const int sync = ioctl(kvm_, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
    sync_regs_ = sync > 0 && (sync & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) ==
                                 (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
    if (sync_regs_) regs_ = &run_->s.regs.regs, sregs_ = &run_->s.regs.sregs;
    // KVM's reset state is the base that to_kvm() completes (APIC base, CR8, ...).
    if (ioctl(vcpu_, KVM_GET_REGS, regs_) < 0 || ioctl(vcpu_, KVM_GET_SREGS, sregs_) < 0)
        throw InputError(std::string("--engine kvm: KVM_GET_SREGS: ") + strerror(errno));
}

// The memory map as KVM slots: RAM read/write, ROM read-only (a guest store comes back as a
// KVM_EXIT_MMIO write, which the run loop drops through the map). MMIO and unassigned memory
// get no slot: every access is a KVM_EXIT_MMIO the run loop routes through the map.
void KvmEngine::set_memory_slots() {
    uint32_t n = 0;
    for (const MemoryMap::Region& r : ram_.map().regions()) {
        if (r.kind != MemoryMap::Kind::kRam && r.kind != MemoryMap::Kind::kRom) continue;
        const bool rom = r.kind == MemoryMap::Kind::kRom;
        if (rom && ioctl(kvm_, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
            throw InputError(
                "--engine kvm: this host's KVM cannot map ROM read-only "
                "(no KVM_CAP_READONLY_MEM)");
        kvm_userspace_memory_region slot{};
        slot.slot = n++;
        slot.flags = rom ? KVM_MEM_READONLY : 0;
        slot.guest_phys_addr = r.base;
        slot.memory_size = r.length;
        // (KVM writes only through slots without KVM_MEM_READONLY: RAM.)
        slot.userspace_addr = reinterpret_cast<uint64_t>(ram_.host_read(r.base, r.length));
        if (ioctl(vm_, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
            throw InputError(std::string("--engine kvm: KVM_SET_USER_MEMORY_REGION: ") +
                             strerror(errno));
    }
}

// The guest sees prevt's CPU profile on every engine (core/emulate/cpuid.cpp): every basic
// leaf up to the maximum (CPUID.4 subleaf by subleaf, with its index significant) and every
// extended one. A leaf not listed KVM answers with the highest basic leaf, as prevt and Intel
// parts do (0x40000000 too: prevt announces no hypervisor interface). What KVM cannot take:
// IA32_MISC_ENABLE's "limit CPUID maxval" and IA32_BIOS_SIGN_ID are KVM's own MSRs there.
void KvmEngine::set_cpuid(const CpuProfile& profile) {
    KvmList<kvm_cpuid_entry2, 40> list;
    const auto add = [&](uint32_t leaf, uint32_t index, uint32_t flags) {
        uint32_t r[4];
        cpuid(leaf, index, r, profile);
        kvm_cpuid_entry2& e = list.entries[list.n++];
        e.function = leaf;
        e.index = index;
        e.flags = flags;
        e.eax = r[0], e.ebx = r[1], e.ecx = r[2], e.edx = r[3];
        return r[0];
    };
    for (uint32_t leaf = 0; leaf <= profile.max_leaf; ++leaf) {
        if (leaf != 4) {
            add(leaf, 0, 0);
            continue;
        }
        for (uint32_t index = 0;; ++index)  // up to and with the type-0 entry
            if ((add(4, index, KVM_CPUID_FLAG_SIGNIFCANT_INDEX) & 0x1f) == 0) break;
    }
    for (uint32_t leaf = 0x80000000; profile.ext_max && leaf <= profile.ext_max; ++leaf)
        add(leaf, 0, 0);
    // KVM refuses (EINVAL) a CPUID.80000008 whose linear-address width is neither 48 nor 57
    // nor 0 (kvm_check_cpuid): an i686 part's 32 goes as 0, the physical width stays.
    for (uint32_t i = 0; i < list.n; ++i)
        if (list.entries[i].function == 0x80000008) list.entries[i].eax &= ~0xff00u;
    cpuid_set_ = ioctl(vcpu_, kSetCpuid2, &list) == 0;
}

// KVM_SET_CPUID2 may succeed and still not be what the guest sees: kvm-pvm answers leaf 1
// ECX/EDX with the host's feature bits. So run `cpuid; hlt` for leaves 0 and 1 in a probe VM.
std::string KvmEngine::cpuid_profile_mismatch(const CpuProfile& profile) {
    try {
        GuestMemory ram(2 << 20);
        KvmEngine probe(ram, profile, /*quiet=*/true);
        if (!probe.cpuid_set_) return "KVM_SET_CPUID2 refused prevt's profile";
        constexpr uint32_t kCode = 0x1000;
        const uint8_t code[] = {0x0f, 0xa2, 0xf4};  // cpuid; hlt
        ram.write_bytes(kCode, code, sizeof code);
        std::string diff;
        for (uint32_t leaf : {0u, 1u}) {
            VcpuState s;
            for (Segment& seg : s.seg) {
                seg.base = 0, seg.limit = 0xffffffff, seg.type = 3, seg.db = seg.g = true;
                seg.selector = 0x10;
            }
            s.sreg(SegReg::cs).type = 0xb, s.sreg(SegReg::cs).selector = 0x08;
            s.ldtr.present = false;
            s.tr.type = 0xb, s.tr.s = false;
            s.cr0 = cr0::PE | cr0::ET;
            s.eip = kCode;
            s.gpr[eax] = leaf;
            s.gpr[esp] = 0x2000;
            if (probe.run(s).reason != ExitReason::kHalt) return "the cpuid probe did not halt";
            uint32_t want[4];
            cpuid(leaf, 0, want, profile);
            const uint32_t got[4] = {s.gpr[eax], s.gpr[ebx], s.gpr[ecx], s.gpr[edx]};
            static const char* const kRegs[4] = {"eax", "ebx", "ecx", "edx"};
            for (int i = 0; i < 4; ++i) {
                if (got[i] == want[i]) continue;
                char one[64];
                snprintf(one, sizeof one, "%sleaf %u %s is %08x, not %08x",
                         diff.empty() ? "" : ", ", leaf, kRegs[i], got[i], want[i]);
                diff += one;
            }
        }
        return diff;
    } catch (const std::exception& e) {
        return e.what();
    }
}

// Writes back what changed since KVM last reported the state: the run loop (port I/O
// results do not count: KVM completes those itself) and the emulator may have changed it.
void KvmEngine::put_state(const VcpuState& s) {
    if (dirty_ || !kvm_state::same_regs(s, seen_)) {
        kvm_state::to_kvm(s, *regs_);
        ++regs_writes_;
        if (sync_regs_)
            run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
        else if (ioctl(vcpu_, KVM_SET_REGS, regs_) < 0)
            throw HostError(std::string("KVM_SET_REGS: ") + strerror(errno));
    }
    if (dirty_ || !kvm_state::same_sregs(s, seen_)) {
        kvm_state::to_kvm(s, *sregs_);
        ++sregs_writes_;
        if (sync_regs_)
            run_->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
        else if (ioctl(vcpu_, KVM_SET_SREGS, sregs_) < 0)
            throw HostError(std::string("KVM_SET_SREGS: ") + strerror(errno));
    }
    dirty_ = false;
    const Msrs& m = s.msr;
    if (msrs_dirty_ || m.sysenter_cs != msr_seen_.sysenter_cs ||
        m.sysenter_esp != msr_seen_.sysenter_esp || m.sysenter_eip != msr_seen_.sysenter_eip) {
        KvmList<kvm_msr_entry, 3> list;
        const uint32_t values[3] = {m.sysenter_cs, m.sysenter_esp, m.sysenter_eip};
        for (uint32_t v : values) {
            list.entries[list.n].index = kSysenterMsrs[list.n];
            list.entries[list.n++].data = v;
        }
        if (ioctl(vcpu_, kSetMsrs, &list) != 3)
            throw HostError(std::string("KVM_SET_MSRS (SYSENTER): ") + strerror(errno));
        ++msr_writes_;
        msr_seen_ = m;
        msrs_dirty_ = false;
    }
}

void KvmEngine::get_state(VcpuState& s) {
    if (!sync_regs_ &&
        (ioctl(vcpu_, KVM_GET_REGS, regs_) < 0 || ioctl(vcpu_, KVM_GET_SREGS, sregs_) < 0))
        throw HostError(std::string("KVM_GET_REGS/SREGS: ") + strerror(errno));
    kvm_state::from_kvm(*regs_, *sregs_, s);
    kvm_state::from_kvm(*regs_, *sregs_, seen_);
}

// The guest's wrmsr is KVM's business; prevt reads the MSRs back only now and then (on the
// timer and at the end), since on kvm-pvm each vCPU ioctl costs as much as an exit.
void KvmEngine::refresh_msrs(VcpuState& s) {
    KvmList<kvm_msr_entry, 3> list;
    for (uint32_t index : kSysenterMsrs) list.entries[list.n++].index = index;
    if (ioctl(vcpu_, kGetMsrs, &list) != 3) return;
    s.msr.sysenter_cs = static_cast<uint32_t>(list.entries[0].data);
    s.msr.sysenter_esp = static_cast<uint32_t>(list.entries[1].data);
    s.msr.sysenter_eip = static_cast<uint32_t>(list.entries[2].data);
    msr_seen_ = s.msr;
}

void KvmEngine::set_single_step(bool on) {
    exec_trace_ = on;
    if (!apply_guest_debug() && on)
        throw InputError("--trace exec is not supported by the kvm engine on this host");
}

bool KvmEngine::set_debug_stops(const DebugStops& stops) {
    debug_ = stops;
    return apply_guest_debug();
}

// KVM steps the guest while the exec trace or a debugger's stop needs it.
bool KvmEngine::apply_guest_debug() {
    const bool step = exec_trace_ || debug_.active();
    kvm_guest_debug dbg{};
    dbg.control = step ? (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP) : 0;
    return ioctl(vcpu_, KVM_SET_GUEST_DEBUG, &dbg) == 0 || !step;
}

std::vector<std::pair<std::string, uint64_t>> KvmEngine::counters() const {
    static const std::pair<uint32_t, const char*> kNames[] = {
        {KVM_EXIT_IO, "kvm exits: port I/O"},
        {KVM_EXIT_MMIO, "kvm exits: MMIO"},
        {KVM_EXIT_HLT, "kvm exits: hlt"},
        {KVM_EXIT_DEBUG, "kvm exits: debug (single-step)"},
        {KVM_EXIT_SHUTDOWN, "kvm exits: shutdown"},
        {KVM_EXIT_INTERNAL_ERROR, "kvm exits: internal error"},
        {KVM_EXIT_FAIL_ENTRY, "kvm exits: entry failure"}};
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& [reason, name] : kNames) out.emplace_back(name, exits_[reason]);
    out.emplace_back("KVM_RUN calls (exits + timer)", runs_);
    out.emplace_back("KVM_RUN total ms (guest code + exits)", run_ns_ / 1000000);
    out.emplace_back("KVM_RUN ns, fastest call", runs_ ? min_run_ns_ : 0);
    out.emplace_back("register write-backs (regs)", regs_writes_);
    out.emplace_back("register write-backs (sregs)", sregs_writes_);
    out.emplace_back("SYSENTER MSR write-backs", msr_writes_);
    out.emplace_back("registers in kvm_run (sync regs)", sync_regs_ ? 1 : 0);
    out.emplace_back("hardware virtualization (vmx/svm)", hardware_virtualization_ ? 1 : 0);
    out.emplace_back("KVM_SET_CPUID2 took prevt's profile", cpuid_set_ ? 1 : 0);
    return out;
}

}  // namespace prevt
