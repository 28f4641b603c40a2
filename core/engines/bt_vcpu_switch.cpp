// bt's side of a vCPU switch (-smp; the run loop's side is core/run_loop_smp.cpp).
#include <x86intrin.h>

#include <cstring>

#include "core/engines/bt_engine.hpp"

namespace prevt {

// -smp: a vCPU switch is a full reload at the next entry. The guest's x87 registers stay in
// the hardware across a callout (world_switch.S: only XMM0-7 and MXCSR are saved then): they
// go into the leaving vCPU's FXSAVE image (bytes 0-23 and 32-159: the x87 header and
// ST0-ST7; MXCSR and the XMM registers were saved at the callout). Then every shadow
// selector, the prepared sysenter/sysexit and fs-swap values and the TPR sites' segment
// check are made again from the next state, and the TPR slot serves the next vCPU's APIC.
// The translations, the lookup tables (keyed by CS base and mode) and the shadow MMU (the
// state's CR3 and mode are compared at every entry) are shared.
void BtEngine::switch_vcpu(VcpuState& leaving, devices::LocalApic& next) {
    if (ctx_.callout_exit & 1) {
        alignas(16) uint8_t hw[512];
        asm volatile("fxsave64 %0" : "=m"(hw));
        memcpy(leaving.fpu.data(), hw, 24);
        memcpy(leaving.fpu.data() + 32, hw + 32, 128);
        const uint32_t mxcsr = 0x1f80;
        asm volatile("fninit\n\tldmxcsr %0" ::"m"(mxcsr));
    }
    ctx_.callout_exit = 0;  // the next entry restores the FPU whole and loads every selector
    dirty_.fill(true);
    ++segment_loads_;  // (the prepared fast transfers' key; the TPR sites' check)
    fs_swap_key_[0] = ~0ull;
    if (apic_) {
        apic_->unbind_tpr_slot();
        attach_local_apic(next);
    }
    ++n_.vcpu_switches;
    switched_at_ = __rdtsc();  // the next entry's preparation is timed (counters())
}

}  // namespace prevt
