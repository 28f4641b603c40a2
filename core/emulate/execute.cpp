#include "core/emulate/execute.hpp"

#include <algorithm>

#include "core/emulate/fpu_control.hpp"
#include "core/emulate/interrupts.hpp"
#include "core/emulate/memory_operands.hpp"
#include "core/emulate/segments.hpp"
#include "core/emulate/task_switch.hpp"
#include "core/errors.hpp"

namespace prevt {

namespace {

// The far pointer of jmp/call far: an immediate ptr16:16/32 or an m16:16/32 operand.
void far_pointer(Cpu& cpu, const Decoded& d, uint16_t* sel, uint32_t* off) {
    const ZydisDecodedOperand& op = d.ops[0];
    if (op.type == ZYDIS_OPERAND_TYPE_POINTER) {
        *sel = op.ptr.segment;
        *off = op.ptr.offset;
        return;
    }
    const SegReg sr = operand_segment(d, 0);
    const uint32_t ea = effective_offset(cpu, d, 0);
    const unsigned n = d.operand_size();
    *off = cpu.read(sr, ea, n);
    *sel = static_cast<uint16_t>(cpu.read(sr, ea + n, 2));
}

// Near jmp/call/ret (the bt engine's callouts for indirect branches): target checked against
// the CS limit, as the SDM says (#GP(0)).
Outcome near_transfer(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    const unsigned n = d.operand_size();
    uint32_t target;
    if (d.in.mnemonic == ZYDIS_MNEMONIC_RET) {
        target = cpu.read(SegReg::ss, cpu.stack_pointer(), n);
    } else if (d.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        target = d.next_eip() + static_cast<uint32_t>(d.ops[0].imm.value.s);
    } else {
        target = read_operand(cpu, d, 0);
    }
    if (n == 2) target &= 0xffff;
    if (s.protected_mode() && target > s.sreg(SegReg::cs).limit) throw fault_gp(0);
    if (d.in.mnemonic == ZYDIS_MNEMONIC_RET) {
        const uint32_t release = d.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
                                     ? static_cast<uint32_t>(d.ops[0].imm.value.u)
                                     : 0;
        cpu.set_stack_pointer(cpu.stack_pointer() + n + release);
    } else if (d.in.mnemonic == ZYDIS_MNEMONIC_CALL) {
        cpu.push(d.next_eip(), n);
    }
    s.eip = target;
    return Outcome::kDone;
}

Outcome software_interrupt(Cpu& cpu, const Decoded& d, uint8_t vector, EventSource src) {
    deliver_event(cpu, Event{vector, src, false, 0, d.next_eip()});
    return Outcome::kDone;
}

Outcome dispatch(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    const unsigned iopl = (s.eflags & eflags::IOPL) >> 12;
    switch (d.in.mnemonic) {
        case ZYDIS_MNEMONIC_CLI:
        case ZYDIS_MNEMONIC_STI:
            if (s.protected_mode() && s.cpl() > iopl) throw fault_gp(0);
            if (d.in.mnemonic == ZYDIS_MNEMONIC_CLI) {
                s.eflags &= ~eflags::IF;
            } else {
                if (!(s.eflags & eflags::IF)) s.interrupt_shadow = true;
                s.eflags |= eflags::IF;
            }
            break;
        case ZYDIS_MNEMONIC_PUSHF:
        case ZYDIS_MNEMONIC_PUSHFD:
            cpu.push(s.eflags & ~(eflags::VM | eflags::RF), d.operand_size());
            break;
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_POPFD: {
            const uint32_t sp = cpu.stack_pointer();
            const uint32_t v = cpu.read(SegReg::ss, sp, d.operand_size());
            write_eflags(cpu, v, d.operand_size());
            cpu.set_stack_pointer(sp + d.operand_size());
            break;
        }
        case ZYDIS_MNEMONIC_MOV: {  // mov to or from a segment register
            if (d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                ZydisRegisterGetClass(d.ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT) {
                if (d.ops[0].reg.value == ZYDIS_REGISTER_CS) throw fault_ud();
                const auto sel = static_cast<uint16_t>(read_operand(cpu, d, 1));
                load_segment(cpu, to_segreg(d.ops[0].reg.value), sel);
            } else if (d.ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       ZydisRegisterGetClass(d.ops[1].reg.value) == ZYDIS_REGCLASS_SEGMENT) {
                write_operand(cpu, d, 0, read_register(s, d.ops[1].reg.value));
            } else if (is_ordinary(d)) {
                return execute_ordinary(cpu, d);
            } else {
                return execute_system(cpu, d);  // mov to/from CRn, DRn
            }
            break;
        }
        case ZYDIS_MNEMONIC_POP: {
            if (d.ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
                ZydisRegisterGetClass(d.ops[0].reg.value) != ZYDIS_REGCLASS_SEGMENT)
                return execute_data_move(cpu, d);
            const uint32_t sp = cpu.stack_pointer();
            const auto sel = static_cast<uint16_t>(cpu.read(SegReg::ss, sp, d.operand_size()));
            load_segment(cpu, to_segreg(d.ops[0].reg.value), sel);
            cpu.set_stack_pointer(sp + d.operand_size());
            break;
        }
        case ZYDIS_MNEMONIC_PUSH:
            if (d.ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
                ZydisRegisterGetClass(d.ops[0].reg.value) != ZYDIS_REGCLASS_SEGMENT)
                return execute_data_move(cpu, d);
            cpu.push(read_register(s, d.ops[0].reg.value), d.operand_size());
            break;
        case ZYDIS_MNEMONIC_LDS:
        case ZYDIS_MNEMONIC_LES:
        case ZYDIS_MNEMONIC_LFS:
        case ZYDIS_MNEMONIC_LGS:
        case ZYDIS_MNEMONIC_LSS: {
            const SegReg target = d.in.mnemonic == ZYDIS_MNEMONIC_LDS   ? SegReg::ds
                                  : d.in.mnemonic == ZYDIS_MNEMONIC_LES ? SegReg::es
                                  : d.in.mnemonic == ZYDIS_MNEMONIC_LFS ? SegReg::fs
                                  : d.in.mnemonic == ZYDIS_MNEMONIC_LGS ? SegReg::gs
                                                                        : SegReg::ss;
            const SegReg sr = operand_segment(d, 1);
            const uint32_t ea = effective_offset(cpu, d, 1);
            const unsigned n = d.operand_size();
            const uint32_t off = cpu.read(sr, ea, n);
            const auto sel = static_cast<uint16_t>(cpu.read(sr, ea + n, 2));
            load_segment(cpu, target, sel);
            write_operand(cpu, d, 0, off);
            break;
        }
        case ZYDIS_MNEMONIC_LAR:
        case ZYDIS_MNEMONIC_LSL:
        case ZYDIS_MNEMONIC_VERR:
        case ZYDIS_MNEMONIC_VERW: return execute_descriptor_query(cpu, d);
        case ZYDIS_MNEMONIC_JMP: {
            if (d.in.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR) return near_transfer(cpu, d);
            uint16_t sel;
            uint32_t off;
            far_pointer(cpu, d, &sel, &off);
            far_jump(cpu, sel, off, d.operand_size(), d.next_eip());
            return Outcome::kDone;
        }
        case ZYDIS_MNEMONIC_CALL: {
            if (d.in.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR) return near_transfer(cpu, d);
            uint16_t sel;
            uint32_t off;
            far_pointer(cpu, d, &sel, &off);
            far_call(cpu, sel, off, d.operand_size(), d.next_eip());
            return Outcome::kDone;
        }
        case ZYDIS_MNEMONIC_RET:
            if (d.in.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR) return near_transfer(cpu, d);
            far_return(cpu, d.operand_size(),
                       d.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
                           ? static_cast<uint16_t>(d.ops[0].imm.value.u)
                           : 0);
            return Outcome::kDone;
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD:
            s.nmi_blocked = false;  // iret ends the NMI handler's blocking (SDM 6.7.1)
            if (s.protected_mode() && !(s.eflags & eflags::VM) && (s.eflags & eflags::NT))
                return_from_task(cpu, d.next_eip());
            else
                interrupt_return(cpu, d.operand_size());
            return Outcome::kDone;
        case ZYDIS_MNEMONIC_INT:
            return software_interrupt(cpu, d, static_cast<uint8_t>(d.ops[0].imm.value.u),
                                      EventSource::kSoftware);
        case ZYDIS_MNEMONIC_INT3:
            return software_interrupt(cpu, d, vec::BP, EventSource::kSoftwareException);
        case ZYDIS_MNEMONIC_INTO:
            if (!(s.eflags & eflags::OF)) break;
            return software_interrupt(cpu, d, vec::OF, EventSource::kSoftwareException);
        case ZYDIS_MNEMONIC_IN:
        case ZYDIS_MNEMONIC_OUT:
        case ZYDIS_MNEMONIC_INSB:
        case ZYDIS_MNEMONIC_INSW:
        case ZYDIS_MNEMONIC_INSD:
        case ZYDIS_MNEMONIC_OUTSB:
        case ZYDIS_MNEMONIC_OUTSW:
        case ZYDIS_MNEMONIC_OUTSD: return execute_io(cpu, d);
        case ZYDIS_MNEMONIC_FNSTENV:
        case ZYDIS_MNEMONIC_FNSAVE:
        case ZYDIS_MNEMONIC_FXSAVE: return execute_fpu_store(cpu, d);
        case ZYDIS_MNEMONIC_FLDENV:
        case ZYDIS_MNEMONIC_FRSTOR:
        case ZYDIS_MNEMONIC_FXRSTOR: return execute_fpu_load(cpu, d);
        default: {
            if (is_ordinary(d)) return execute_ordinary(cpu, d);
            if (d.in.meta.category == ZYDIS_CATEGORY_COND_BR) return execute_branch(cpu, d);
            const Outcome o = execute_data_move(cpu, d);
            return o != Outcome::kNotEmulated ? o : execute_system(cpu, d);
        }
    }
    s.eip = d.next_eip();
    return Outcome::kDone;
}

// A form without emulation that stores through cs: (shld, bts, setcc, xadd, cmpxchg, fst,
// movaps...) is complete with its fault: in protected mode no code segment is writable, so the
// store's segment check raises #GP(0) before any access (Cpu::linear; a real-mode CS is
// writable and falls through). Only the forms that merely read through cs: stay unemulated.
void cs_store_fault(Cpu& cpu, const Decoded& d) {
    for (unsigned i = 0; i < d.in.operand_count; ++i) {
        const ZydisDecodedOperand& op = d.ops[i];
        if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
            op.mem.segment == ZYDIS_REGISTER_CS && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            cpu.linear(SegReg::cs, effective_offset(cpu, d, i), std::max(1u, op.size / 8u), true);
    }
}

}  // namespace

Outcome execute(Cpu& cpu, const Decoded& d) {
    // What the profiled CPU does not have raises #UD here, explicitly: not a native fault or
    // an unknown callout standing in for it.
    if (d.checked_for != cpu.profile) {
        d.offered = cpu.profile->offers(d.in);
        d.fpu_class = static_cast<uint8_t>(fpu_class(d.in, d.ops));
        d.checked_for = cpu.profile;
    }
    if (!d.offered) throw fault_ud();
    const uint8_t fpu = fpu_fault(static_cast<FpuClass>(d.fpu_class), FpuControl::of(cpu.s));
    if (fpu != kNoFpuFault) throw GuestFault{fpu, false, 0};
    const Outcome o = dispatch(cpu, d);
    // A store through cs: the virtual CPU has no form for is still complete with its #GP(0);
    // a read of such a form is kNotEmulated: the caller decides (a native fault is the guest's;
    // a callout of it stops the guest, run_loop.cpp).
    if (o == Outcome::kNotEmulated && accesses_through(d.in, d.ops, ZYDIS_REGISTER_CS))
        cs_store_fault(cpu, d);
    return o;
}

}  // namespace prevt
