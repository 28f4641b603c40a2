// Ordinary instructions on the virtual CPU: the data moves and integer arithmetic that engines
// normally run natively, emulated when they cannot be: an access into the monitor's reserved
// top of the address space (address-space compression), or an instruction bt has retranslated
// into a callout because its native run kept faulting (stores into pages holding code).
// The arithmetic itself runs on the host: the same operation on the operand values, with the
// guest's arithmetic flags loaded and captured around it, so every flag is exactly the CPU's.
#include <cstdint>

#include "core/emulate/execute.hpp"
#include "core/emulate/fault.hpp"

namespace prevt {

namespace {

constexpr uint64_t kArithmetic = 0x8d5;  // CF PF AF ZF SF OF

template <class T>
T host_binary(ZydisMnemonic m, T a, T b, uint64_t& fl) {
    // clang-format off
#define PREVT_BINARY(insn)                                                                      \
    asm("pushq %[f]\n popfq\n " insn " %[b], %[a]\n pushfq\n popq %[f]"                         \
        : [a] "+q"(a), [f] "+r"(fl) : [b] "q"(b) : "cc");                                       \
    break
    // clang-format on
    switch (m) {
        case ZYDIS_MNEMONIC_ADD: PREVT_BINARY("add");
        case ZYDIS_MNEMONIC_OR: PREVT_BINARY("or");
        case ZYDIS_MNEMONIC_ADC: PREVT_BINARY("adc");
        case ZYDIS_MNEMONIC_SBB: PREVT_BINARY("sbb");
        case ZYDIS_MNEMONIC_AND: PREVT_BINARY("and");
        case ZYDIS_MNEMONIC_SUB: PREVT_BINARY("sub");
        case ZYDIS_MNEMONIC_XOR: PREVT_BINARY("xor");
        case ZYDIS_MNEMONIC_CMP: PREVT_BINARY("cmp");
        case ZYDIS_MNEMONIC_TEST: PREVT_BINARY("test");
        default: break;
    }
#undef PREVT_BINARY
    return a;
}

template <class T>
T host_unary(ZydisMnemonic m, T a, uint8_t count, uint64_t& fl) {
    // clang-format off
#define PREVT_UNARY(insn)                                                                       \
    asm("pushq %[f]\n popfq\n " insn " %[a]\n pushfq\n popq %[f]"                               \
        : [a] "+q"(a), [f] "+r"(fl) : : "cc");                                                  \
    break
#define PREVT_SHIFT(insn)                                                                       \
    asm("pushq %[f]\n popfq\n " insn " %%cl, %[a]\n pushfq\n popq %[f]"                         \
        : [a] "+q"(a), [f] "+r"(fl) : "c"(count) : "cc");                                       \
    break
    // clang-format on
    switch (m) {
        case ZYDIS_MNEMONIC_INC: PREVT_UNARY("inc");
        case ZYDIS_MNEMONIC_DEC: PREVT_UNARY("dec");
        case ZYDIS_MNEMONIC_NEG: PREVT_UNARY("neg");
        case ZYDIS_MNEMONIC_NOT: PREVT_UNARY("not");
        case ZYDIS_MNEMONIC_SHL: PREVT_SHIFT("shl");
        case ZYDIS_MNEMONIC_SHR: PREVT_SHIFT("shr");
        case ZYDIS_MNEMONIC_SAR: PREVT_SHIFT("sar");
        case ZYDIS_MNEMONIC_ROL: PREVT_SHIFT("rol");
        case ZYDIS_MNEMONIC_ROR: PREVT_SHIFT("ror");
        case ZYDIS_MNEMONIC_RCL: PREVT_SHIFT("rcl");
        case ZYDIS_MNEMONIC_RCR: PREVT_SHIFT("rcr");
        default: break;
    }
#undef PREVT_UNARY
#undef PREVT_SHIFT
    return a;
}

// Runs `m` on the host at the operand width, with the arithmetic flags of `eflags` in and out.
// The caller stores `eflags` back only once the instruction can no longer fault.
uint32_t host_alu(uint32_t& eflags, ZydisMnemonic m, unsigned bytes, uint32_t a, uint32_t b,
                  bool unary) {
    uint64_t fl;
    asm volatile("pushfq\n popq %0" : "=r"(fl));
    fl = (fl & ~kArithmetic) | (eflags & kArithmetic);
    uint32_t r;
    const auto count = static_cast<uint8_t>(b);
    switch (bytes) {
        case 1:
            r = unary ? host_unary<uint8_t>(m, a, count, fl)
                      : host_binary<uint8_t>(m, a, static_cast<uint8_t>(b), fl);
            break;
        case 2:
            r = unary ? host_unary<uint16_t>(m, a, count, fl)
                      : host_binary<uint16_t>(m, a, static_cast<uint16_t>(b), fl);
            break;
        default:
            r = unary ? host_unary<uint32_t>(m, a, count, fl) : host_binary<uint32_t>(m, a, b, fl);
            break;
    }
    eflags = (eflags & ~kArithmetic) | (static_cast<uint32_t>(fl) & kArithmetic);
    return r;
}

uint32_t sign_extend(uint32_t v, unsigned bytes) {
    if (bytes == 1) return static_cast<uint32_t>(static_cast<int8_t>(v));
    if (bytes == 2) return static_cast<uint32_t>(static_cast<int16_t>(v));
    return v;
}

// The forms, one row per mnemonic: what execute_ordinary() does with its operands.
enum class Form : uint8_t { kNone, kMove, kExtend, kExchange, kCompare, kBinary, kUnary, kShift };

Form form_of(ZydisMnemonic m) {
    switch (m) {
        case ZYDIS_MNEMONIC_MOV: return Form::kMove;
        case ZYDIS_MNEMONIC_MOVZX:
        case ZYDIS_MNEMONIC_MOVSX: return Form::kExtend;
        case ZYDIS_MNEMONIC_XCHG: return Form::kExchange;
        case ZYDIS_MNEMONIC_CMP:
        case ZYDIS_MNEMONIC_TEST: return Form::kCompare;
        case ZYDIS_MNEMONIC_ADD:
        case ZYDIS_MNEMONIC_OR:
        case ZYDIS_MNEMONIC_ADC:
        case ZYDIS_MNEMONIC_SBB:
        case ZYDIS_MNEMONIC_AND:
        case ZYDIS_MNEMONIC_SUB:
        case ZYDIS_MNEMONIC_XOR: return Form::kBinary;
        case ZYDIS_MNEMONIC_INC:
        case ZYDIS_MNEMONIC_DEC:
        case ZYDIS_MNEMONIC_NEG:
        case ZYDIS_MNEMONIC_NOT: return Form::kUnary;
        case ZYDIS_MNEMONIC_SHL:
        case ZYDIS_MNEMONIC_SHR:
        case ZYDIS_MNEMONIC_SAR:
        case ZYDIS_MNEMONIC_ROL:
        case ZYDIS_MNEMONIC_ROR:
        case ZYDIS_MNEMONIC_RCL:
        case ZYDIS_MNEMONIC_RCR: return Form::kShift;
        default: return Form::kNone;
    }
}

}  // namespace

void compare_flags(VcpuState& s, unsigned bytes, uint32_t a, uint32_t b) {
    host_alu(s.eflags, ZYDIS_MNEMONIC_CMP, bytes, a, b, false);
}

bool is_ordinary(const Decoded& d) {
    const Form form = form_of(d.in.mnemonic);
    if (form != Form::kMove) return form != Form::kNone;
    for (unsigned i = 0; i < 2; ++i)  // mov to or from a segment, control or debug register
        if (d.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER) {
            const auto c = ZydisRegisterGetClass(d.ops[i].reg.value);
            if (c != ZYDIS_REGCLASS_GPR8 && c != ZYDIS_REGCLASS_GPR16 && c != ZYDIS_REGCLASS_GPR32)
                return false;
        }
    return true;
}

Outcome execute_ordinary(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    const ZydisMnemonic m = d.in.mnemonic;
    const unsigned bytes = d.ops[0].size / 8;
    // Invariant: a faulting instruction changes nothing (SDM vol. 3 6.6): the new flags go to
    // `fl` and reach s.eflags only after the last access that can fault (the store of a
    // read-modify-write to a read-only or not-present page, a segment limit).
    uint32_t fl = s.eflags;
    switch (form_of(m)) {
        case Form::kMove: write_operand(cpu, d, 0, read_operand(cpu, d, 1)); break;
        case Form::kExtend: {
            const uint32_t v = read_operand(cpu, d, 1);
            const unsigned from = d.ops[1].size / 8;
            const uint32_t mask = from == 1 ? 0xff : 0xffff;
            write_operand(cpu, d, 0, m == ZYDIS_MNEMONIC_MOVSX ? sign_extend(v, from) : v & mask);
            break;
        }
        case Form::kExchange: {
            // Both values are read before either is written, as the CPU checks both accesses;
            // Zydis puts the r/m operand (the only one that can fault) first.
            const uint32_t a = read_operand(cpu, d, 0), b = read_operand(cpu, d, 1);
            write_operand(cpu, d, 0, b);
            write_operand(cpu, d, 1, a);
            break;
        }
        case Form::kCompare:
            host_alu(fl, m, bytes, read_operand(cpu, d, 0), read_operand(cpu, d, 1), false);
            break;
        case Form::kUnary:
            write_operand(cpu, d, 0, host_alu(fl, m, bytes, read_operand(cpu, d, 0), 0, true));
            break;
        case Form::kShift: {
            // The count: an immediate, CL, or the implicit 1 (a hidden operand).
            const ZydisDecodedOperand& c = d.ops[1];
            const bool explicit_count =
                c.type == ZYDIS_OPERAND_TYPE_IMMEDIATE ||
                (c.type == ZYDIS_OPERAND_TYPE_REGISTER && c.reg.value == ZYDIS_REGISTER_CL);
            const uint32_t count = explicit_count ? read_operand(cpu, d, 1) : 1;
            write_operand(cpu, d, 0, host_alu(fl, m, bytes, read_operand(cpu, d, 0), count, true));
            break;
        }
        case Form::kBinary:
            write_operand(
                cpu, d, 0,
                host_alu(fl, m, bytes, read_operand(cpu, d, 0), read_operand(cpu, d, 1), false));
            break;
        case Form::kNone: return Outcome::kNotEmulated;
    }
    s.eflags = fl;
    s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
