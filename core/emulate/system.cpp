// System instructions: control and debug registers (mov to/from DRn: debug_moves.cpp),
// descriptor-table registers, rdmsr/wrmsr (msrs.cpp), cpuid (cpuid.cpp), rdtsc, hlt,
// sysenter/sysexit, cache and TLB maintenance.
#include <x86intrin.h>

#include <string>

#include "core/emulate/execute.hpp"
#include "core/emulate/msrs.hpp"
#include "core/errors.hpp"

namespace prevt {

namespace {

constexpr uint32_t kCr4Supported = cr4::TSD | cr4::PSE | cr4::OSFXSR | cr4::OSXMMEXCPT;

void require_cpl0(const Cpu& cpu) {
    if (cpu.s.protected_mode() && cpu.s.cpl() != 0) throw fault_gp(0);
}

void write_cr0(Cpu& cpu, uint32_t v) {
    if ((v & cr0::PG) && !(v & cr0::PE)) throw fault_gp(0);
    if ((v & cr0::NW) && !(v & cr0::CD)) throw fault_gp(0);
    v |= cr0::ET;  // hard-wired on the 486 and later
    if (!(v & cr0::PE) && cpu.s.protected_mode() && !cpu.hooks.supports_real_mode())
        throw GuestError("the guest left protected mode: this engine cannot run real mode");
    if ((v & cr0::PG) && !cpu.hooks.supports_paging())
        throw GuestError("the guest turned paging on: this engine cannot run paging guests");
    cpu.s.cr0 = v;
    cpu.hooks.control_register_written(0);
}

void write_control(Cpu& cpu, unsigned n, uint32_t v) {
    switch (n) {
        case 0: return write_cr0(cpu, v);
        case 2: cpu.s.cr2 = v; return;
        case 3: cpu.s.cr3 = v & 0xfffff018; break;
        case 4:
            if (v & ~(kCr4Supported | ((cpu.profile->edx & cpuid_bit::PGE) ? cr4::PGE : 0) |
                      ((cpu.profile->edx & cpuid_bit::DE) ? cr4::DE : 0) |
                      ((cpu.profile->leaf7_ebx & cpuid_bit::LEAF7_SMEP) ? cr4::SMEP : 0) |
                      ((cpu.profile->leaf7_ebx & cpuid_bit::LEAF7_SMAP) ? cr4::SMAP : 0)))
                throw fault_gp(0);
            cpu.s.cr4 = v;
            break;
        default: throw fault_ud();
    }
    cpu.hooks.control_register_written(static_cast<int>(n));
}

uint32_t read_control(const Cpu& cpu, unsigned n) {
    switch (n) {
        case 0: return cpu.s.cr0;
        case 2: return cpu.s.cr2;
        case 3: return cpu.s.cr3;
        case 4: return cpu.s.cr4;
        default: throw fault_ud();
    }
}

Segment flat_segment(uint16_t selector, uint8_t type, unsigned dpl) {
    Segment seg;
    seg.selector = selector;
    seg.base = 0;
    seg.limit = 0xffffffff;
    seg.type = type;
    seg.dpl = static_cast<uint8_t>(dpl);
    seg.db = seg.g = true;
    return seg;
}

void sysenter(Cpu& cpu) {
    if (!cpu.s.protected_mode() || (cpu.s.msr.sysenter_cs & 0xfffc) == 0) throw fault_gp(0);
    sysenter_segments(cpu.s);
    cpu.s.gpr[esp] = cpu.s.msr.sysenter_esp;
    cpu.s.eip = cpu.s.msr.sysenter_eip;
    cpu.hooks.segment_loaded(SegReg::cs);
    cpu.hooks.segment_loaded(SegReg::ss);
}

void sysexit(Cpu& cpu) {
    require_cpl0(cpu);
    if (!cpu.s.protected_mode() || (cpu.s.msr.sysenter_cs & 0xfffc) == 0) throw fault_gp(0);
    sysexit_segments(cpu.s);
    cpu.s.gpr[esp] = cpu.s.gpr[ecx];
    cpu.s.eip = cpu.s.gpr[edx];
    cpu.hooks.segment_loaded(SegReg::cs);
    cpu.hooks.segment_loaded(SegReg::ss);
}

// lldt/ltr: a system descriptor from the GDT.
Descriptor system_descriptor(Cpu& cpu, uint16_t sel, bool ldt) {
    if (sel & 4) throw fault_gp(sel & ~3u);
    const Descriptor d = cpu.descriptor(sel);
    const bool ok = !d.s() && (ldt ? d.type() == 2 : (d.type() == 9 || d.type() == 1));
    if (!ok) throw fault_gp(sel & ~3u);
    if (!d.present()) throw fault_np(sel & ~3u);
    return d;
}

void load_table_register(Cpu& cpu, const Decoded& d, TableRegister* reg) {
    const SegReg sr = operand_segment(d, 0);
    const uint32_t ea = effective_offset(cpu, d, 0);
    const auto limit = static_cast<uint16_t>(cpu.read(sr, ea, 2));
    uint32_t base = cpu.read(sr, ea + 2, 4);
    if (d.operand_size() == 2) base &= 0xffffff;
    reg->limit = limit;
    reg->base = base;
}

void store_table_register(Cpu& cpu, const Decoded& d, const TableRegister& reg) {
    const SegReg sr = operand_segment(d, 0);
    const uint32_t ea = effective_offset(cpu, d, 0);
    cpu.write(sr, ea, 2, reg.limit);
    cpu.write(sr, ea + 2, 4, reg.base);
}

}  // namespace

void sysenter_segments(VcpuState& s) {
    const auto cs = static_cast<uint16_t>(s.msr.sysenter_cs & 0xfffc);
    s.eflags &= ~(eflags::VM | eflags::IF | eflags::RF);
    s.sreg(SegReg::cs) = flat_segment(cs, 0xb, 0);
    s.sreg(SegReg::ss) = flat_segment(static_cast<uint16_t>(cs + 8), 0x3, 0);
    s.set_cpl(0);
}

void sysexit_segments(VcpuState& s) {
    const auto cs = static_cast<uint16_t>(s.msr.sysenter_cs & 0xfffc);
    s.sreg(SegReg::cs) = flat_segment(static_cast<uint16_t>((cs + 16) | 3), 0xb, 3);
    s.sreg(SegReg::ss) = flat_segment(static_cast<uint16_t>((cs + 24) | 3), 0x3, 3);
    s.set_cpl(3);
}

Outcome execute_system(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    switch (d.in.mnemonic) {
        case ZYDIS_MNEMONIC_MOV: {
            require_cpl0(cpu);
            const ZydisRegister dst = d.ops[0].reg.value, src = d.ops[1].reg.value;
            const auto cls = [](ZydisRegister r) { return ZydisRegisterGetClass(r); };
            if (cls(dst) == ZYDIS_REGCLASS_CONTROL)
                write_control(cpu, ZydisRegisterGetId(dst), read_register(s, src));
            else if (cls(src) == ZYDIS_REGCLASS_CONTROL)
                write_register(s, dst, read_control(cpu, ZydisRegisterGetId(src)));
            else if (cls(dst) == ZYDIS_REGCLASS_DEBUG)
                write_debug_register(cpu, ZydisRegisterGetId(dst), read_register(s, src));
            else if (cls(src) == ZYDIS_REGCLASS_DEBUG)
                write_register(s, dst, read_debug_register(cpu, ZydisRegisterGetId(src)));
            else
                return Outcome::kNotEmulated;
            break;
        }
        case ZYDIS_MNEMONIC_HLT:
            require_cpl0(cpu);
            s.eip = d.next_eip();
            s.halted = true;
            return Outcome::kHalt;
        case ZYDIS_MNEMONIC_CLTS:
            require_cpl0(cpu);
            s.cr0 &= ~cr0::TS;
            break;
        case ZYDIS_MNEMONIC_LMSW: {
            require_cpl0(cpu);
            const uint32_t v = read_operand(cpu, d, 0) & 0xf;
            write_cr0(cpu, (s.cr0 & ~0xeu) | v | (s.cr0 & cr0::PE));
            break;
        }
        // To a 32-bit register the SDM leaves bits 31:16 undefined; P6-class parts (the
        // profiles') and QEMU store all of CR0 (kvm-unit-tests' realmode checks it). Memory
        // gets the low word.
        case ZYDIS_MNEMONIC_SMSW:
            write_operand(cpu, d, 0, d.ops[0].size == 32 ? s.cr0 : s.cr0 & 0xffff);
            break;
        case ZYDIS_MNEMONIC_LGDT:
            require_cpl0(cpu);
            load_table_register(cpu, d, &s.gdtr);
            break;
        case ZYDIS_MNEMONIC_LIDT:
            require_cpl0(cpu);
            load_table_register(cpu, d, &s.idtr);
            break;
        case ZYDIS_MNEMONIC_SGDT: store_table_register(cpu, d, s.gdtr); break;
        case ZYDIS_MNEMONIC_SIDT: store_table_register(cpu, d, s.idtr); break;
        case ZYDIS_MNEMONIC_LLDT: {
            require_cpl0(cpu);
            const auto sel = static_cast<uint16_t>(read_operand(cpu, d, 0));
            if ((sel & ~3u) == 0) {
                s.ldtr = Segment{};
                s.ldtr.present = false;
            } else {
                s.ldtr = system_descriptor(cpu, sel, true).to_segment(sel);
                s.ldtr.type = 2;
            }
            break;
        }
        case ZYDIS_MNEMONIC_LTR: {
            require_cpl0(cpu);
            const auto sel = static_cast<uint16_t>(read_operand(cpu, d, 0));
            if ((sel & ~3u) == 0) throw fault_gp(0);
            const Descriptor td = system_descriptor(cpu, sel, false);
            cpu.write_linear(s.gdtr.base + (sel & ~7u) + 4, 4, td.hi | (2u << 8));  // busy
            s.tr = td.to_segment(sel);
            s.tr.type = td.type() | 2;
            break;
        }
        case ZYDIS_MNEMONIC_SLDT: write_operand(cpu, d, 0, s.ldtr.selector); break;
        case ZYDIS_MNEMONIC_STR: write_operand(cpu, d, 0, s.tr.selector); break;
        case ZYDIS_MNEMONIC_INVLPG:
            require_cpl0(cpu);
            cpu.hooks.tlb_invalidate(s.sreg(operand_segment(d, 0)).base +
                                     effective_offset(cpu, d, 0));
            break;
        case ZYDIS_MNEMONIC_WBINVD:
        case ZYDIS_MNEMONIC_INVD: require_cpl0(cpu); break;
        case ZYDIS_MNEMONIC_RDMSR: {
            require_cpl0(cpu);
            const uint64_t v = read_msr(cpu, s.gpr[ecx]);
            s.gpr[eax] = static_cast<uint32_t>(v);
            s.gpr[edx] = static_cast<uint32_t>(v >> 32);
            break;
        }
        case ZYDIS_MNEMONIC_WRMSR:
            require_cpl0(cpu);
            write_msr(cpu, s.gpr[ecx], (uint64_t(s.gpr[edx]) << 32) | s.gpr[eax]);
            break;
        case ZYDIS_MNEMONIC_RDTSC: {
            if ((s.cr4 & cr4::TSD) && s.cpl() != 0) throw fault_gp(0);
            const uint64_t t = __rdtsc() + s.msr.tsc_offset;
            s.gpr[eax] = static_cast<uint32_t>(t);
            s.gpr[edx] = static_cast<uint32_t>(t >> 32);
            break;
        }
        case ZYDIS_MNEMONIC_RDTSCP: {  // (offered by the profile: execute.cpp checked)
            if ((s.cr4 & cr4::TSD) && s.cpl() != 0) throw fault_gp(0);
            const uint64_t t = __rdtsc() + s.msr.tsc_offset;
            s.gpr[eax] = static_cast<uint32_t>(t);
            s.gpr[edx] = static_cast<uint32_t>(t >> 32);
            s.gpr[ecx] = s.msr.tsc_aux;
            break;
        }
        case ZYDIS_MNEMONIC_RDPID: write_operand(cpu, d, 0, s.msr.tsc_aux); break;
        // SMAP's explicit-access override (offered by the profile: execute.cpp checked): #UD
        // outside CPL 0, but real mode has them. The shadow MMU follows AC at the next entry.
        case ZYDIS_MNEMONIC_STAC:
        case ZYDIS_MNEMONIC_CLAC:
            if (s.protected_mode() && s.cpl() != 0) throw fault_ud();
            s.eflags = d.in.mnemonic == ZYDIS_MNEMONIC_STAC ? s.eflags | eflags::AC
                                                            : s.eflags & ~eflags::AC;
            break;
        case ZYDIS_MNEMONIC_RDPMC:  // no counters are virtualized: CR4.PCE is never set
            require_cpl0(cpu);
            if (s.gpr[ecx] > 1) throw fault_gp(0);  // a P6 has counters 0 and 1
            s.gpr[eax] = s.gpr[edx] = 0;
            break;
        case ZYDIS_MNEMONIC_RSM: throw fault_ud();  // the guest is never in SMM
        case ZYDIS_MNEMONIC_CPUID: {
            uint32_t r[4];
            cpuid(s.gpr[eax], s.gpr[ecx], r, *cpu.profile, cpuid_limited(cpu));
            cpuid_executed(cpu, s.gpr[eax]);
            s.gpr[eax] = r[0];
            s.gpr[ebx] = r[1];
            s.gpr[ecx] = r[2];
            s.gpr[edx] = r[3];
            break;
        }
        case ZYDIS_MNEMONIC_SYSENTER: sysenter(cpu); return Outcome::kDone;
        case ZYDIS_MNEMONIC_SYSEXIT: sysexit(cpu); return Outcome::kDone;
        default: return Outcome::kNotEmulated;
    }
    s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
