// The virtual CPU's architectural state, as the guest believes it to be: i686 without PAE.
// Engines keep the live copy of some fields in hardware while the guest runs (general
// registers, arithmetic flags); on every exit they write them back here.
#pragma once

#include <array>
#include <cstdint>

namespace prevt {

enum class SegReg : uint8_t { es = 0, cs, ss, ds, fs, gs };
inline constexpr int kSegRegCount = 6;
const char* seg_name(SegReg s);

enum Gpr : uint8_t { eax = 0, ecx, edx, ebx, esp, ebp, esi, edi };

namespace eflags {
inline constexpr uint32_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
                          TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11, IOPL = 3u << 12,
                          NT = 1u << 14, RF = 1u << 16, VM = 1u << 17, AC = 1u << 18,
                          VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
inline constexpr uint32_t kFixed1 = 1u << 1;
// Flags that hardware may hold for the guest while it runs at host ring 3 (a native popf
// sets NT there; only iret reads it, and guest iret never runs natively); the rest (IF,
// IOPL, RF, VM, AC, VIF, VIP) are virtual and live only in VcpuState.
inline constexpr uint32_t kLiveInHardware = CF | PF | AF | ZF | SF | TF | DF | OF | NT | ID;
}  // namespace eflags

namespace cr0 {
inline constexpr uint32_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4,
                          NE = 1u << 5, WP = 1u << 16, AM = 1u << 18, NW = 1u << 29, CD = 1u << 30,
                          PG = 1u << 31;
}
namespace cr4 {
inline constexpr uint32_t VME = 1u << 0, PVI = 1u << 1, TSD = 1u << 2, DE = 1u << 3, PSE = 1u << 4,
                          PAE = 1u << 5, PGE = 1u << 7, OSFXSR = 1u << 9, OSXMMEXCPT = 1u << 10,
                          SMEP = 1u << 20, SMAP = 1u << 21;
}

// A segment register with its hidden part (the descriptor cache).
struct Segment {
    uint16_t selector = 0;
    uint32_t base = 0;
    uint32_t limit = 0xffff;  // byte granular (G already applied)
    uint8_t type = 0;         // descriptor type nibble (bit 0 = accessed)
    bool s = true;            // code/data (not system)
    uint8_t dpl = 0;
    bool present = true;
    bool db = false;  // default operation size 32
    bool g = false;
    bool avl = false;
    bool is_code() const { return s && (type & 8); }
    bool expand_down_data() const { return present && s && !(type & 8) && (type & 4); }
    bool unusable() const { return !present; }
    // A flat 32-bit segment (base 0, 4 GiB, page granular) of type `type` (0xb code, 3 data).
    static Segment flat(uint16_t selector, uint8_t type) {
        Segment s;
        s.selector = selector;
        s.limit = 0xffffffff;
        s.type = type;
        s.db = s.g = true;
        return s;
    }
};

struct TableRegister {
    uint32_t base = 0;
    uint16_t limit = 0xffff;
};

struct Msrs {
    uint32_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
    uint64_t tsc_offset = 0;
    uint64_t apic_base = 0;
    uint64_t misc_enable = 1;  // IA32_MISC_ENABLE's writable bits (fast strings on)
    // IA32_BIOS_SIGN_ID as the guest wrote it, until cpuid leaf 1 loads the revision.
    uint64_t bios_sign_id = 0;
    bool bios_sign_id_written = false;
    uint32_t tsc_aux = 0;  // IA32_TSC_AUX (RDTSCP, RDPID)
};

struct VcpuState {
    std::array<uint32_t, 8> gpr{};
    uint32_t eip = 0xfff0;
    uint32_t eflags = eflags::kFixed1;
    std::array<Segment, kSegRegCount> seg{};
    TableRegister gdtr, idtr;
    Segment ldtr, tr;  // system segments, selector + hidden part
    uint32_t cr0 = cr0::ET | cr0::CD | cr0::NW, cr2 = 0, cr3 = 0, cr4 = 0;
    std::array<uint32_t, 4> dr{};
    uint32_t dr6 = 0xffff0ff0, dr7 = 0x400;
    // B0-B3 of the I/O and data breakpoints the instruction being emulated hit: #DB (a trap)
    // after it (core/run_loop.cpp; cleared before each emulated instruction).
    uint8_t debug_trap = 0;
    // ... of those a mov/pop %ss hit: held over its shadow, #DB after the next instruction.
    uint8_t held_debug_trap = 0;
    Msrs msr;
    bool halted = false;
    // sti that set IF: no interrupt until the next instruction has run (SDM 6.8.3).
    bool interrupt_shadow = false;
    // An NMI handler runs: the next NMI waits for an iret (SDM 6.7.1). Set by the run loop
    // when it delivers an NMI, cleared by the virtual CPU's iret (every engine that honours
    // it runs iret there: trap always, bt whenever this is set; kvm's hardware keeps its own).
    bool nmi_blocked = false;
    // The guest's x87/SSE state in FXSAVE format, swapped with the monitor's around guest runs.
    alignas(64) std::array<uint8_t, 512> fpu{};
    // The x87 instruction pointer and its selector as the guest last loaded them (fldenv,
    // frstor, fxrstor): an environment store keeps them while the hardware's FIP still holds
    // that value (no x87 instruction since), instead of mapping it back as the address of an
    // instruction (bt: a translation-cache address).
    struct LoadedFpuIp {
        uint32_t fip = 0;
        uint16_t fcs = 0;
        bool valid = false;
    } fpu_loaded_ip;

private:
    uint8_t cpl_ = 0;

public:
    Segment& sreg(SegReg s) { return seg[static_cast<int>(s)]; }
    const Segment& sreg(SegReg s) const { return seg[static_cast<int>(s)]; }
    // Current privilege level, as the CPU keeps it: 0 in real mode, 3 in virtual-8086 mode,
    // otherwise what the last CS load in protected mode set (set_cpl). Not CS.RPL: between
    // setting CR0.PE and the far jump that reloads CS, CS holds a real-mode selector whose
    // low bits mean nothing, and CPL is still 0.
    unsigned cpl() const {
        if (!protected_mode()) return 0;
        return (eflags & eflags::VM) ? 3 : cpl_;
    }
    // The events that change CPL call this: a CS load in protected mode (far transfers, iret,
    // interrupt and exception delivery, sysenter/sysexit; a native one under trap), the boot
    // state, an engine reading the CPU back (kvm), CR0.PE cleared (real mode: 0).
    void set_cpl(unsigned cpl) { cpl_ = static_cast<uint8_t>(cpl & 3); }
    bool protected_mode() const { return cr0 & cr0::PE; }
    bool paging() const { return cr0 & cr0::PG; }
    bool interrupts_enabled() const { return eflags & eflags::IF; }
};

}  // namespace prevt
