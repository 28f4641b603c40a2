// Data moves the virtual CPU runs when the engine cannot: push/pop of a register, an immediate
// or memory, pusha/popa, leave, lea (run here when its code's page is a data breakpoint's under
// trap), the string instructions (movs lods stos cmps scas, with
// rep/repe/repne), xlat, and the hint nops. bt calls out every data access through cs: (the guest's
// CS is not in hardware), and these are the forms guests use with it: `push %cs:x`, `lods
// %cs:(%esi)`, `movs %cs:(%esi),%es:(%edi)`, `cmps`, `xlat %cs:(%ebx)`. Every access goes through
// Cpu::read/write, so CS's base, limit and readable bit hold and a store through CS is #GP.
#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

// rep string instructions: one element per iteration, registers updated as it goes so that a
// fault leaves a restartable state (as the CPU does).
Outcome string_op(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    const ZydisMnemonic m = d.in.mnemonic;
    const uint32_t amask = d.address_size() == 2 ? 0xffff : 0xffffffff;
    // The source is the memory operand based on (e)si (its segment overridable), the
    // destination the one based on (e)di (always ES); their width is the element's.
    SegReg src_seg = SegReg::ds;
    unsigned size = 0;
    for (unsigned i = 0; i < d.in.operand_count; ++i) {
        const ZydisDecodedOperand& op = d.ops[i];
        if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        size = op.size / 8;
        if (op.mem.base == ZYDIS_REGISTER_ESI || op.mem.base == ZYDIS_REGISTER_SI)
            src_seg = to_segreg(op.mem.segment);
    }
    if (size == 0) return Outcome::kNotEmulated;
    const int step = (s.eflags & eflags::DF) ? -int(size) : int(size);
    const auto at = [&](Gpr r) { return s.gpr[r] & amask; };
    const auto advance = [&](Gpr r) {
        s.gpr[r] = (s.gpr[r] & ~amask) | ((s.gpr[r] + step) & amask);
    };
    const uint32_t acc_mask = size == 4 ? 0xffffffff : (1u << (size * 8)) - 1;
    const bool rep = d.has_rep();
    const bool repe = d.in.attributes & ZYDIS_ATTRIB_HAS_REPE;
    const bool repne = d.in.attributes & ZYDIS_ATTRIB_HAS_REPNE;
    for (uint32_t n = 0; !rep || (s.gpr[ecx] & amask) != 0; ++n) {
        if (n == kRepIterationsPerExit) return Outcome::kDone;  // EIP stays: restarted
        bool compared = false;
        switch (m) {
            case ZYDIS_MNEMONIC_MOVSB:
            case ZYDIS_MNEMONIC_MOVSW:
            case ZYDIS_MNEMONIC_MOVSD:
                cpu.write(SegReg::es, at(edi), size, cpu.read(src_seg, at(esi), size));
                advance(esi), advance(edi);
                break;
            case ZYDIS_MNEMONIC_LODSB:
            case ZYDIS_MNEMONIC_LODSW:
            case ZYDIS_MNEMONIC_LODSD: {
                const uint32_t v = cpu.read(src_seg, at(esi), size);
                s.gpr[eax] = (s.gpr[eax] & ~acc_mask) | v;
                advance(esi);
                break;
            }
            case ZYDIS_MNEMONIC_STOSB:
            case ZYDIS_MNEMONIC_STOSW:
            case ZYDIS_MNEMONIC_STOSD:
                cpu.write(SegReg::es, at(edi), size, s.gpr[eax] & acc_mask);
                advance(edi);
                break;
            case ZYDIS_MNEMONIC_CMPSB:
            case ZYDIS_MNEMONIC_CMPSW:
            case ZYDIS_MNEMONIC_CMPSD: {
                const uint32_t a = cpu.read(src_seg, at(esi), size);
                compare_flags(s, size, a, cpu.read(SegReg::es, at(edi), size));
                advance(esi), advance(edi);
                compared = true;
                break;
            }
            case ZYDIS_MNEMONIC_SCASB:
            case ZYDIS_MNEMONIC_SCASW:
            case ZYDIS_MNEMONIC_SCASD:
                compare_flags(s, size, s.gpr[eax] & acc_mask, cpu.read(SegReg::es, at(edi), size));
                advance(edi);
                compared = true;
                break;
            default: return Outcome::kNotEmulated;
        }
        if (!rep) break;
        s.gpr[ecx] = (s.gpr[ecx] & ~amask) | ((s.gpr[ecx] - 1) & amask);
        const bool zf = s.eflags & eflags::ZF;
        if (compared && ((repe && !zf) || (repne && zf))) break;
        // A data breakpoint hit in this iteration: its #DB (a trap) comes after it, with EIP
        // still on the instruction while iterations are left (SDM 18.2.5, as QEMU TCG).
        if (s.debug_trap && (s.gpr[ecx] & amask) != 0) return Outcome::kDone;
    }
    s.eip = d.next_eip();
    return Outcome::kDone;
}

// pop r/m: the effective address is computed after ESP is incremented (SDM, POP); a faulting
// store leaves ESP as it was.
void pop_operand(Cpu& cpu, const Decoded& d) {
    const unsigned n = d.operand_size();
    const uint32_t sp = cpu.stack_pointer(), old = cpu.s.gpr[esp];
    const uint32_t v = cpu.read(SegReg::ss, sp, n);
    cpu.set_stack_pointer(sp + n);
    try {
        write_operand(cpu, d, 0, v);
    } catch (const GuestFault&) {
        cpu.s.gpr[esp] = old;
        throw;
    }
}

void set_gpr(VcpuState& s, Gpr r, uint32_t v, unsigned n) {
    s.gpr[r] = n == 4 ? v : (s.gpr[r] & 0xffff0000) | (v & 0xffff);
}

// pusha/popa and leave: all their accesses are made before any register changes, so a fault
// leaves the state as it was (as the CPU does).
void push_all(Cpu& cpu, unsigned n) {
    const uint32_t mask = cpu.s.sreg(SegReg::ss).db ? 0xffffffff : 0xffff;
    const uint32_t sp = cpu.stack_pointer();
    const Gpr order[8] = {eax, ecx, edx, ebx, esp, ebp, esi, edi};
    for (unsigned i = 0; i < 8; ++i)  // (the ESP pushed is the one before the first push)
        cpu.write(SegReg::ss, (sp - (i + 1) * n) & mask, n,
                  order[i] == esp ? sp : cpu.s.gpr[order[i]]);
    cpu.set_stack_pointer((sp - 8 * n) & mask);
}

void pop_all(Cpu& cpu, unsigned n) {
    const uint32_t mask = cpu.s.sreg(SegReg::ss).db ? 0xffffffff : 0xffff;
    const uint32_t sp = cpu.stack_pointer();
    const Gpr order[8] = {edi, esi, ebp, esp, ebx, edx, ecx, eax};
    uint32_t v[8];
    for (unsigned i = 0; i < 8; ++i) v[i] = cpu.read(SegReg::ss, (sp + i * n) & mask, n);
    for (unsigned i = 0; i < 8; ++i)
        if (order[i] != esp) set_gpr(cpu.s, order[i], v[i], n);  // (the ESP popped is dropped)
    cpu.set_stack_pointer((sp + 8 * n) & mask);
}

void leave(Cpu& cpu, unsigned n) {
    const bool big = cpu.s.sreg(SegReg::ss).db;
    const uint32_t bp = big ? cpu.s.gpr[ebp] : cpu.s.gpr[ebp] & 0xffff;
    const uint32_t v = cpu.read(SegReg::ss, bp, n);
    cpu.set_stack_pointer(bp + n);
    set_gpr(cpu.s, ebp, v, n);
}

}  // namespace

Outcome execute_data_move(Cpu& cpu, const Decoded& d) {
    if (d.in.meta.category == ZYDIS_CATEGORY_STRINGOP) return string_op(cpu, d);
    switch (d.in.mnemonic) {
        case ZYDIS_MNEMONIC_PUSH: cpu.push(read_operand(cpu, d, 0), d.operand_size()); break;
        case ZYDIS_MNEMONIC_POP: pop_operand(cpu, d); break;
        case ZYDIS_MNEMONIC_PUSHA:
        case ZYDIS_MNEMONIC_PUSHAD: push_all(cpu, d.operand_size()); break;
        case ZYDIS_MNEMONIC_POPA:
        case ZYDIS_MNEMONIC_POPAD: pop_all(cpu, d.operand_size()); break;
        case ZYDIS_MNEMONIC_LEAVE: leave(cpu, d.operand_size()); break;
        case ZYDIS_MNEMONIC_LEA:  // no access: the offset, in the destination's width
            write_register(cpu.s, d.ops[0].reg.value, effective_offset(cpu, d, 1));
            break;
        case ZYDIS_MNEMONIC_XLAT: {  // al = [ebx + al] (Zydis's operand has no index: AL)
            const unsigned m = d.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY ? 0 : 1;
            const uint32_t amask = d.address_size() == 2 ? 0xffff : 0xffffffff;
            const uint32_t off =
                (read_register(cpu.s, d.ops[m].mem.base) + (cpu.s.gpr[eax] & 0xff)) & amask;
            write_register(cpu.s, ZYDIS_REGISTER_AL, cpu.read(operand_segment(d, m), off, 1));
            break;
        }
        case ZYDIS_MNEMONIC_NOP:  // hint nops (0f 0d, 0f 18-1f): no access, whatever the operand
        case ZYDIS_MNEMONIC_PAUSE:
        case ZYDIS_MNEMONIC_PREFETCHNTA:
        case ZYDIS_MNEMONIC_PREFETCHT0:
        case ZYDIS_MNEMONIC_PREFETCHT1:
        case ZYDIS_MNEMONIC_PREFETCHT2: break;
        default: return Outcome::kNotEmulated;
    }
    cpu.s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
