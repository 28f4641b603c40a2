// The kvm engine's run: KVM_RUN, its exits mapped onto prevt's exit vocabulary, the host
// limits of kvm-pvm recognised, and the instruction at EIP read through KVM's translation.
#include "core/emulate/cpu_profiles.hpp"
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

uint64_t now_ns() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1000000000u + t.tv_nsec;
}

}  // namespace

// The instruction at CS:EIP, its bytes read through KVM's own translation when paging is on.
bool KvmEngine::decode_at_eip(const VcpuState& s, Decoded& d) {
    const Segment& cs = s.sreg(SegReg::cs);
    uint64_t phys = static_cast<uint32_t>(cs.base + s.eip);
    if (s.paging()) {
        kvm_translation t{};
        t.linear_address = phys;
        if (ioctl(vcpu_, KVM_TRANSLATE, &t) < 0 || !t.valid) return false;
        phys = t.physical_address;
    }
    unsigned len = 0;
    while (len < sizeof d.bytes && ram_.read_bytes(phys + len, d.bytes + len, 1)) ++len;
    d.eip = s.eip;
    ZydisDecoder dec;
    const bool op32 = s.protected_mode() && cs.db;
    init_guest_decoder(&dec, op32, s.sreg(SegReg::ss).db, default_profile());
    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, d.bytes, len, &d.in, d.ops));
}

// "0008:00104aa4: cd 80 (int $0x80)"
std::string KvmEngine::instruction_at(const VcpuState& s) {
    char buf[160];
    int n = snprintf(buf, sizeof buf, "%04x:%08x", s.sreg(SegReg::cs).selector, s.eip);
    Decoded d{};
    if (!decode_at_eip(s, d)) return buf;
    n += snprintf(buf + n, sizeof buf - n, ":");
    for (unsigned i = 0; i < d.in.length; ++i)
        n += snprintf(buf + n, sizeof buf - n, " %02x", d.bytes[i]);
    snprintf(buf + n, sizeof buf - n, " (%s)", d.text().c_str());
    return buf;
}

// kvm-pvm refuses CR0.PG outside long mode with a #GP at the `mov %reg, %cr0`; a guest
// without a #GP handler then triple-faults, and KVM_EXIT_SHUTDOWN leaves EIP there.
bool KvmEngine::sets_cr0_pg(const VcpuState& s) {
    Decoded d{};
    if (s.paging()) return true;
    if (!decode_at_eip(s, d) || d.in.mnemonic != ZYDIS_MNEMONIC_MOV) return false;
    if (d.ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER || d.ops[0].reg.value != ZYDIS_REGISTER_CR0 ||
        d.ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
        return false;
    return read_register(s, d.ops[1].reg.value) & cr0::PG;
}

Exit KvmEngine::host_limit(const std::string& what) {
    detail_ = "host limit: " + what;
    Exit x;
    x.reason = ExitReason::kHostLimit;
    x.detail = detail_.c_str();
    return x;
}

// The debugger's stops (debug_stops.hpp): a breakpoint is checked before each entry, and with
// breakpoints alone the steps KVM makes between them stay here.
Exit KvmEngine::run(VcpuState& s) {
    for (;;) {
        if (debug_.active() && stops_before(debug_, s.sreg(SegReg::cs).base + s.eip)) {
            Exit x;
            x.reason = ExitReason::kDebugStop;  // a breakpoint: nothing of it ran
            return x;
        }
        const Exit x = run_once(s);
        if (x.reason != ExitReason::kDebugStop || exec_trace_ || debug_.step) return x;
    }
}

Exit KvmEngine::run_once(VcpuState& s) {
    put_state(s);
    if (sync_regs_) run_->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    const uint64_t t0 = now_ns();
    const int rc = ioctl(vcpu_, KVM_RUN, 0);
    const int err = errno;
    const uint64_t ns = now_ns() - t0;
    run_ns_ += ns;
    if (ns < min_run_ns_) min_run_ns_ = ns;
    ++runs_;
    get_state(s);
    Exit x;
    if (rc < 0) {
        if (err != EINTR && err != EAGAIN)
            throw HostError(std::string("KVM_RUN failed: ") + strerror(err));
        refresh_msrs(s);
        x.reason = ExitReason::kTimer;  // the host timer signal interrupted KVM_RUN
        return x;
    }
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
            refresh_msrs(s);
            x.reason = ExitReason::kHalt;
            return x;
        case KVM_EXIT_DEBUG:  // prevt's own single-step (the exec trace, the debugger)
            x.reason = ExitReason::kDebugStop;
            return x;
        case KVM_EXIT_SHUTDOWN:
            refresh_msrs(s);
            if (!hardware_virtualization_ && sets_cr0_pg(s))
                return host_limit("this host's KVM (" + host_kvm_ +
                                  ", no VMX/SVM) cannot run 32-bit paging (CR0.PG without long "
                                  "mode); the vCPU shut down at " +
                                  instruction_at(s));
            x.reason = ExitReason::kShutdown;  // a triple fault
            return x;
        case KVM_EXIT_INTERNAL_ERROR: {
            refresh_msrs(s);
            const uint32_t sub = run_->internal.suberror;
            std::string what = sub == KVM_INTERNAL_ERROR_EMULATION
                                   ? "KVM could not emulate the instruction at " + instruction_at(s)
                                   : "KVM reported an internal error at " + instruction_at(s);
            what += " (suberror " + std::to_string(sub) + ")";
            if (!hardware_virtualization_)
                what += "; this host's KVM is " + host_kvm_ +
                        " (no VMX/SVM), which emulates protected mode in software";
            return host_limit(what);
        }
        case KVM_EXIT_FAIL_ENTRY: {
            refresh_msrs(s);
            char reason_hex[32];
            snprintf(
                reason_hex, sizeof reason_hex, "0x%llx",
                static_cast<unsigned long long>(run_->fail_entry.hardware_entry_failure_reason));
            return host_limit(std::string("KVM could not enter the guest (hardware entry failure "
                                          "reason ") +
                              reason_hex + ") at " + instruction_at(s));
        }
        default: throw HostError("internal error: unknown KVM exit " + std::to_string(reason));
    }
}

}  // namespace prevt
