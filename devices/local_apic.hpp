// The local APIC of one CPU, xAPIC (and x2APIC) (Intel SDM vol. 3A, ch. 11 "Advanced
// Programmable Interrupt Controller"; the P6/Pentium 4 register map of table 11-1), 4 KiB of
// MMIO at 0xfee00000, with the IA32_APIC_BASE MSR (0x1b). State: new.
//
// Models: ID (bits 31:24, writable; the initial APIC ID is the CPU's index), version 0x00050014
// (an integrated APIC, six LVT entries), TPR, PPR (computed: SDM 11.8.3.1), EOI (clears the
// highest ISR bit, and its TMR bit), LDR, DFR (flat or cluster), SPIV (vector, software enable,
// focus bit stored), ISR/TMR/IRR (256 bits each, apic_vector_set.hpp), ESR (write to latch,
// SDM 11.5.3: send/receive illegal vector, illegal register address), the LVT entries timer,
// thermal, performance counter, LINT0, LINT1 and error (masks forced while software-disabled),
// the timer (lapic_timer.hpp), the ICR: fixed, lowest-priority, NMI, INIT and start-up IPIs by
// destination (physical, logical flat or cluster, broadcast) or shorthand, to this CPU and,
// through the APIC bus (apic_bus.hpp), to the others. INIT resets the APIC but its ID and
// IA32_APIC_BASE (SDM 11.4.7.3) and sets it waiting for a start-up IPI (an AP waits from
// power-on, as in QEMU; NMIs are ignored meanwhile); the first SIPI is latched for the CPU
// (take_init, take_sipi: the CPU's state machine is the machine's). The CPU side: INTR (the
// highest IRR vector above the PPR's class, acknowledged into the ISR; SDM 11.8.4) and NMI.
//
// LINT0 in ExtINT mode is virtual wire (MP spec 3.6.2.2): the 8259 pair's INT passes through and
// its INTA gives the vector. As in QEMU, the BSP's (initial APIC ID 0, IA32_APIC_BASE bit 8)
// LINT0 comes out of reset as ExtINT unmasked (what a PC BIOS leaves; an AP's is masked), and
// while the APIC is globally or software disabled the 8259's INT goes straight to the CPU:
// PIC-only guests see no APIC at all. Fixed interrupts come before ExtINT, as in QEMU.
//
// x2APIC mode (SDM 11.12) when offered (offer_x2apic: a profile with CPUID.1:ECX bit 21; none
// offers it yet): IA32_APIC_BASE bit 10 and its legal transitions, the registers as MSRs
// 0x800-0x8ff (lapic_x2apic.cpp: #GP for the ones x2APIC drops, write-only and read-only ones;
// the 64-bit ICR; SELF IPI), the 32-bit x2APIC ID and the LDR derived from it; the MMIO page is
// then not decoded.
//
// Missing: TSC-deadline mode, relocation (a new base in IA32_APIC_BASE is kept and read back,
// but the registers stay at 0xfee00000: the memory map is fixed when the machine is built), the
// reset of the register state on leaving x2APIC mode, SMI IPIs (dropped: no SMM), the ICR's
// delivery status reading busy (an IPI arrives at once), the thermal and performance-counter
// sources (their LVT entries are stored only), LINT0 in modes other than ExtINT and LINT1 (no
// NMI source is wired), level-triggered interrupts (no I/O APIC yet), the APR (reads 0: no bus
// arbitration), NMI blocking until iret (the CPU's part).
// Ignored: sub-dword writes (dropped, as QEMU does), writes to read-only registers, the
// focus-processor check, the polarity and trigger bits of LINT0/LINT1.
//
// The TPR is a plain 32-bit field (TprSlot::tpr): nothing is derived from it and cached, the
// PPR and INTR are computed from it when asked. A translator can therefore move the slot into
// memory it can reach (bind_tpr_slot: e.g. the per-vCPU area) and turn a guest store to
// 0xfee00080 into one store to the slot, calling out only when the new TPR's class is below
// TprSlot::pending_class (the highest IRR vector's class, kept up to date here) so that a
// lowered TPR that unmasks an interrupt still exits to be delivered.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "devices/apic_vector_set.hpp"
#include "devices/bus.hpp"
#include "devices/clock.hpp"
#include "devices/ext_int_source.hpp"
#include "devices/lapic_timer.hpp"

namespace prevt::devices {

class ApicBus;

// The TPR and what a fast TPR store compares it with (see above).
struct TprSlot {
    uint32_t tpr = 0;            // bits 7:0 as written
    uint32_t pending_class = 0;  // the highest IRR vector >> 4 (0: nothing pending)
};

class LocalApic final : public IoDevice {
public:
    static constexpr uint64_t kDefaultBase = 0xfee00000;
    static constexpr uint64_t kMmioSize = 0x1000;
    static constexpr uint32_t kBaseMsr = 0x1b;
    static constexpr uint64_t kMsrBsp = 1u << 8, kMsrX2apic = 1u << 10, kMsrEnable = 1u << 11;
    static constexpr uint32_t kX2apicMsrFirst = 0x800, kX2apicMsrLast = 0x8ff;
    static constexpr uint32_t kVersion = 0x00050014;

    // `pic` is what LINT0 sees in ExtINT mode (may be null: no 8259). The clock drives the
    // timer; both must outlive the APIC. `initial_id`: the CPU's index (0: the BSP).
    LocalApic(const Clock& clock, ExtIntSource* pic, uint8_t initial_id = 0);

    std::string_view name() const override { return "lapic"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // IA32_APIC_BASE. write_base_msr returns false (the CPU raises #GP) for reserved bits.
    uint64_t base_msr() const { return base_msr_; }
    bool write_base_msr(uint64_t value);
    // Whether IA32_APIC_BASE may set x2APIC mode (off by default), and the x2APIC registers
    // (MSRs 0x800-0x8ff): false (the CPU raises #GP) outside x2APIC mode or where the SDM
    // says #GP (lapic_x2apic.cpp).
    void offer_x2apic(bool offered) { x2apic_offered_ = offered; }
    bool x2apic_mode() const { return base_msr_ & kMsrX2apic; }
    bool read_x2apic_msr(uint32_t msr, uint64_t* value);
    bool write_x2apic_msr(uint32_t msr, uint64_t value);

    // The CPU side. INTR: a maskable interrupt waits (an IRR vector above the PPR's class, or
    // the 8259 pair's INT through virtual wire). acknowledge() is the INTA cycle: the vector.
    bool interrupt_pending() const;
    uint8_t acknowledge();
    // An NMI waits (an NMI IPI); nmi_taken() when the CPU takes it.
    bool nmi_pending() const { return nmi_pending_; }
    void nmi_taken() { nmi_pending_ = false; }

    // The other CPUs' APICs (without a bus an IPI reaches only this one).
    void attach_bus(ApicBus* bus) { bus_ = bus; }
    // Whether an IPI's destination (8 bits in xAPIC mode, 32 in x2APIC mode) is this CPU.
    bool addressed(uint32_t destination, bool logical) const;
    // An IPI of delivery mode `mode` (apic_bus.hpp's IpiMode) arriving from the APIC bus.
    void receive(uint32_t mode, uint8_t vector);
    // The CPU's side of INIT and start-up: an INIT arrived (the CPU resets and waits for a
    // SIPI); a SIPI arrived while waiting (its vector). Each is taken once.
    bool take_init() { return std::exchange(init_pending_, false); }
    bool take_sipi(uint8_t* vector) {
        *vector = sipi_vector_;
        return std::exchange(sipi_pending_, false);
    }

    // The timer, for the deadline queue.
    LapicTimer& timer() { return timer_; }
    void bind_tpr_slot(TprSlot* slot);
    void unbind_tpr_slot();  // the TPR back in the APIC's own slot

private:
    enum Lvt : unsigned { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError };
    static constexpr unsigned kLvtCount = 6;

    void reset();
    bool globally_enabled() const { return base_msr_ & kMsrEnable; }
    bool software_enabled() const { return spiv_ & 0x100; }
    bool pic_passes() const;
    uint32_t ppr() const;
    uint32_t read_register(unsigned reg);
    void write_register(unsigned reg, uint32_t value);
    void write_lvt(unsigned which, uint32_t value);
    // A fixed interrupt arriving (from the timer, an IPI, the error LVT): into the IRR.
    void accept(uint8_t vector);
    void send_ipi();
    uint32_t x2apic_ldr() const;  // derived from the x2APIC ID (the initial APIC ID)
    void error(uint32_t bits);
    void irr_changed() { tpr_slot_->pending_class = irr_.highest() < 0 ? 0 : irr_.highest() >> 4; }

    ExtIntSource* pic_;
    ApicBus* bus_ = nullptr;
    const uint8_t initial_id_;
    LapicTimer timer_;
    uint64_t base_msr_;
    TprSlot own_tpr_slot_;
    TprSlot* tpr_slot_ = &own_tpr_slot_;
    uint32_t id_ = 0, ldr_ = 0, dfr_ = 0xffffffff, spiv_ = 0xff;
    uint32_t esr_ = 0, esr_pending_ = 0;  // latched by a write / collected since
    uint32_t icr_low_ = 0, icr_high_ = 0;
    std::array<uint32_t, kLvtCount> lvt_{};
    ApicVectorSet irr_, isr_, tmr_;
    bool nmi_pending_ = false;
    bool x2apic_offered_ = false;
    // INIT arrived, not yet taken; waiting for a SIPI; a SIPI latched (its vector).
    bool init_pending_ = false, wait_for_sipi_ = false, sipi_pending_ = false;
    uint8_t sipi_vector_ = 0;
};

}  // namespace prevt::devices
