#include "core/engines/kvm_engine.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "core/emulate/execute.hpp"
#include "core/errors.hpp"
#include "core/native/signals.hpp"

namespace prevt {

namespace {

bool host_has_vmx_or_svm() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("flags", 0) == 0)
            return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
    return false;
}

kvm_segment to_kvm(const Segment& g) {
    kvm_segment k{};
    k.base = g.base;
    k.limit = g.limit;
    k.selector = g.selector;
    k.type = g.type;
    k.present = g.present;
    k.dpl = g.dpl;
    k.db = g.db;
    k.s = g.s;
    k.g = g.g;
    k.avl = g.avl;
    k.unusable = !g.present;
    return k;
}

Segment from_kvm(const kvm_segment& k) {
    Segment g;
    g.base = static_cast<uint32_t>(k.base);
    g.limit = k.limit;
    g.selector = k.selector;
    g.type = k.type;
    g.present = k.present && !k.unusable;
    g.dpl = k.dpl;
    g.db = k.db;
    g.s = k.s;
    g.g = k.g;
    g.avl = k.avl;
    return g;
}

}  // namespace

KvmEngine::KvmEngine(GuestMemory& ram, bool quiet) : ram_(ram) {
    kvm_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_ < 0) throw InputError(std::string("--engine kvm: /dev/kvm: ") + strerror(errno));
    if (ioctl(kvm_, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        throw InputError("--engine kvm: unexpected KVM API version");
    vm_ = ioctl(kvm_, KVM_CREATE_VM, 0);
    if (vm_ < 0) throw InputError(std::string("--engine kvm: KVM_CREATE_VM: ") + strerror(errno));
    kvm_userspace_memory_region slot{};
    slot.slot = 0;
    slot.guest_phys_addr = 0;
    slot.memory_size = ram.size();
    slot.userspace_addr = reinterpret_cast<uint64_t>(ram.host(0, ram.size()));
    if (ioctl(vm_, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        throw GuestError(std::string("KVM_SET_USER_MEMORY_REGION: ") + strerror(errno));
    vcpu_ = ioctl(vm_, KVM_CREATE_VCPU, 0);
    if (vcpu_ < 0) throw GuestError(std::string("KVM_CREATE_VCPU: ") + strerror(errno));
    run_size_ = static_cast<size_t>(ioctl(kvm_, KVM_GET_VCPU_MMAP_SIZE, 0));
    void* p = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_, 0);
    if (p == MAP_FAILED) throw GuestError("cannot map kvm_run");
    run_ = static_cast<kvm_run*>(p);
    hardware_virtualization_ = host_has_vmx_or_svm();
    set_cpuid();
    if (!cpuid_set_ && !quiet)  // never a silent wrong answer
        fprintf(stderr, "prevt: warning: this host's KVM refused prevt's CPUID profile: cpuid in "
                        "the guest returns KVM's defaults, not prevt's i686\n");
    native::install_signal_handlers();  // the timer signal interrupts KVM_RUN (EINTR)
}

KvmEngine::~KvmEngine() {
    if (run_) munmap(run_, run_size_);
    for (int fd : {vcpu_, vm_, kvm_})
        if (fd >= 0) close(fd);
}

// The guest sees prevt's CPU profile on every engine (core/emulate/system.cpp): KVM's
// supported leaves, with leaves 0 and 1 replaced by prevt's and nothing above leaf 1 kept.
void KvmEngine::set_cpuid() {
    constexpr unsigned kMax = 128;
    alignas(kvm_cpuid2) uint8_t buf[sizeof(kvm_cpuid2) + kMax * sizeof(kvm_cpuid_entry2)] = {};
    auto* c = reinterpret_cast<kvm_cpuid2*>(buf);
    c->nent = kMax;
    if (ioctl(kvm_, KVM_GET_SUPPORTED_CPUID, c) < 0) {  // kvm-pvm here: try prevt's two leaves
        c->nent = 0;
        for (uint32_t leaf = 0; leaf < 2; ++leaf) {
            uint32_t r[4];
            cpuid(leaf, 0, r);
            kvm_cpuid_entry2& e = c->entries[c->nent++];
            e = {};
            e.function = leaf;
            e.eax = r[0], e.ebx = r[1], e.ecx = r[2], e.edx = r[3];
        }
        cpuid_set_ = ioctl(vcpu_, KVM_SET_CPUID2, c) == 0;
        return;
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < c->nent; ++i) {
        kvm_cpuid_entry2 e = c->entries[i];
        if (e.function > 1 && e.function < 0x80000000) continue;
        if (e.function <= 1) {
            uint32_t r[4];
            cpuid(e.function, 0, r);
            e.eax = r[0], e.ebx = r[1], e.ecx = r[2], e.edx = r[3];
        } else if (e.function == 0x80000000) {
            e.eax = 0x80000000;  // no extended leaves
            e.ebx = e.ecx = e.edx = 0;
        } else {
            continue;
        }
        c->entries[kept++] = e;
    }
    c->nent = kept;
    cpuid_set_ = ioctl(vcpu_, KVM_SET_CPUID2, c) == 0;
}

bool KvmEngine::host_accepts_cpuid_profile() {
    GuestMemory ram(2 << 20);
    try {
        KvmEngine probe(ram, /*quiet=*/true);
        return probe.cpuid_set_;
    } catch (const std::exception&) {
        return false;
    }
}

void KvmEngine::put_state(const VcpuState& s) {
    kvm_sregs sr{};
    if (ioctl(vcpu_, KVM_GET_SREGS, &sr) < 0) throw GuestError("KVM_GET_SREGS failed");
    kvm_segment* segs[kSegRegCount] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
    for (int i = 0; i < kSegRegCount; ++i) *segs[i] = to_kvm(s.seg[i]);
    sr.ldt = to_kvm(s.ldtr);
    if (!s.ldtr.present) sr.ldt.type = 2, sr.ldt.s = 0;
    sr.tr = to_kvm(s.tr);
    if (!s.tr.present) {  // VMX wants a usable busy TSS even before the guest loads one
        sr.tr.present = 1, sr.tr.unusable = 0, sr.tr.type = 11, sr.tr.s = 0;
    }
    sr.gdt.base = s.gdtr.base, sr.gdt.limit = s.gdtr.limit;
    sr.idt.base = s.idtr.base, sr.idt.limit = s.idtr.limit;
    sr.cr0 = s.cr0, sr.cr2 = s.cr2, sr.cr3 = s.cr3, sr.cr4 = s.cr4;
    sr.efer = 0;
    if (ioctl(vcpu_, KVM_SET_SREGS, &sr) < 0)
        throw GuestError(std::string("KVM_SET_SREGS: ") + strerror(errno));
    kvm_regs r{};
    r.rax = s.gpr[eax], r.rcx = s.gpr[ecx], r.rdx = s.gpr[edx], r.rbx = s.gpr[ebx];
    r.rsp = s.gpr[esp], r.rbp = s.gpr[ebp], r.rsi = s.gpr[esi], r.rdi = s.gpr[edi];
    r.rip = s.eip;
    r.rflags = s.eflags | eflags::kFixed1;
    if (ioctl(vcpu_, KVM_SET_REGS, &r) < 0) throw GuestError("KVM_SET_REGS failed");
    alignas(kvm_msrs) uint8_t buf[sizeof(kvm_msrs) + 3 * sizeof(kvm_msr_entry)] = {};
    auto* m = reinterpret_cast<kvm_msrs*>(buf);
    m->nmsrs = 3;
    const uint32_t values[3] = {s.msr.sysenter_cs, s.msr.sysenter_esp, s.msr.sysenter_eip};
    for (int i = 0; i < 3; ++i) {
        m->entries[i].index = 0x174 + i;
        m->entries[i].data = values[i];
    }
    ioctl(vcpu_, KVM_SET_MSRS, m);
}

void KvmEngine::get_state(VcpuState& s) {
    kvm_regs r{};
    kvm_sregs sr{};
    if (ioctl(vcpu_, KVM_GET_REGS, &r) < 0 || ioctl(vcpu_, KVM_GET_SREGS, &sr) < 0)
        throw GuestError("KVM_GET_REGS/SREGS failed");
    s.gpr = {static_cast<uint32_t>(r.rax), static_cast<uint32_t>(r.rcx),
             static_cast<uint32_t>(r.rdx), static_cast<uint32_t>(r.rbx),
             static_cast<uint32_t>(r.rsp), static_cast<uint32_t>(r.rbp),
             static_cast<uint32_t>(r.rsi), static_cast<uint32_t>(r.rdi)};
    s.eip = static_cast<uint32_t>(r.rip);
    s.eflags = static_cast<uint32_t>(r.rflags);
    const kvm_segment* segs[kSegRegCount] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
    for (int i = 0; i < kSegRegCount; ++i) s.seg[i] = from_kvm(*segs[i]);
    s.ldtr = from_kvm(sr.ldt);
    s.tr = from_kvm(sr.tr);
    s.gdtr = {static_cast<uint32_t>(sr.gdt.base), sr.gdt.limit};
    s.idtr = {static_cast<uint32_t>(sr.idt.base), sr.idt.limit};
    s.cr0 = static_cast<uint32_t>(sr.cr0), s.cr2 = static_cast<uint32_t>(sr.cr2);
    s.cr3 = static_cast<uint32_t>(sr.cr3), s.cr4 = static_cast<uint32_t>(sr.cr4);
}

void KvmEngine::set_single_step(bool on) {
    kvm_guest_debug dbg{};
    dbg.control = on ? (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP) : 0;
    if (ioctl(vcpu_, KVM_SET_GUEST_DEBUG, &dbg) < 0 && on)
        throw InputError("--trace exec: this host's KVM cannot single-step the guest");
}

Exit KvmEngine::host_limit(const VcpuState& s, const std::string& what) {
    char where[48];
    snprintf(where, sizeof where, " at %04x:%08x", s.sreg(SegReg::cs).selector, s.eip);
    detail_ = "host limit: " + what + where +
              (hardware_virtualization_
                   ? ""
                   : " (this host's KVM is kvm-pvm, without VT-x/SVM: protected mode without "
                     "paging runs in KVM's instruction emulator)");
    Exit x;
    x.reason = ExitReason::kHostLimit;
    x.detail = detail_.c_str();
    return x;
}

Exit KvmEngine::run(VcpuState& s) {
    if (dirty_) put_state(s);
    dirty_ = false;
    Exit x;
    if (ioctl(vcpu_, KVM_RUN, 0) < 0) {
        if (errno != EINTR && errno != EAGAIN)
            throw GuestError(std::string("KVM_RUN: ") + strerror(errno));
        get_state(s);
        x.reason = ExitReason::kTimer;  // the host timer signal interrupted KVM_RUN
        return x;
    }
    get_state(s);
    const uint32_t reason = run_->exit_reason;
    ++exits_[reason < exits_.size() ? reason : exits_.size() - 1];
    switch (reason) {
        case KVM_EXIT_IO:
            x.reason = ExitReason::kIo;
            x.port = run_->io.port;
            x.size = run_->io.size;
            x.write = run_->io.direction == KVM_EXIT_IO_OUT;
            x.count = run_->io.count;
            x.data = reinterpret_cast<uint8_t*>(run_) + run_->io.data_offset;
            return x;
        case KVM_EXIT_MMIO:
            x.reason = ExitReason::kMmio;
            x.address = static_cast<uint32_t>(run_->mmio.phys_addr);
            x.size = static_cast<uint8_t>(run_->mmio.len);
            x.write = run_->mmio.is_write;
            x.data = run_->mmio.data;
            return x;
        case KVM_EXIT_HLT:
            dirty_ = true;
            x.reason = ExitReason::kHalt;
            return x;
        case KVM_EXIT_DEBUG:
            x.reason = ExitReason::kException;
            x.vector = vec::DB;
            x.detail = "single-step";
            return x;
        case KVM_EXIT_SHUTDOWN:
            if (!hardware_virtualization_ && (s.cr0 & cr0::PG))
                return host_limit(s, "the vCPU shut down when the guest enabled 32-bit paging");
            x.reason = ExitReason::kShutdown;
            return x;
        case KVM_EXIT_INTERNAL_ERROR: {
            uint8_t bytes[4] = {};
            ram_.read_bytes(s.sreg(SegReg::cs).base + s.eip, bytes, sizeof bytes);
            char what[128];
            snprintf(what, sizeof what,
                     "KVM could not emulate the instruction (bytes %02x %02x %02x %02x, "
                     "suberror %u)",
                     bytes[0], bytes[1], bytes[2], bytes[3], run_->internal.suberror);
            return host_limit(s, what);
        }
        case KVM_EXIT_FAIL_ENTRY:
            return host_limit(s, "KVM refused to enter the guest (hardware entry failure " +
                                     std::to_string(run_->fail_entry.hardware_entry_failure_reason) + ")");
        default:
            throw GuestError("unknown KVM exit " + std::to_string(reason));
    }
}

std::vector<std::pair<std::string, uint64_t>> KvmEngine::counters() const {
    static const std::pair<uint32_t, const char*> kNames[] = {
        {KVM_EXIT_IO, "kvm exits: port I/O"},       {KVM_EXIT_MMIO, "kvm exits: MMIO"},
        {KVM_EXIT_HLT, "kvm exits: hlt"},           {KVM_EXIT_SHUTDOWN, "kvm exits: shutdown"},
        {KVM_EXIT_INTERNAL_ERROR, "kvm exits: internal error"},
        {KVM_EXIT_DEBUG, "kvm exits: debug"}};
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& [reason, name] : kNames) out.emplace_back(name, exits_[reason]);
    out.emplace_back("hardware virtualization (vmx/svm)", hardware_virtualization_ ? 1 : 0);
    out.emplace_back("prevt's CPUID profile set (KVM_SET_CPUID2)", cpuid_set_ ? 1 : 0);
    return out;
}

}  // namespace prevt
