// Port I/O: in, out, ins, outs (with rep), with the protected-mode I/O permission check
// (CPL <= IOPL, else the TSS I/O bitmap) and the I/O breakpoints of DR0-DR3. Devices are reached
// through the port bus only.
#include <algorithm>

#include "core/emulate/debug_registers.hpp"
#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

void check_io_permission(Cpu& cpu, uint16_t port, unsigned size) {
    const VcpuState& s = cpu.s;
    if (!s.protected_mode() || s.cpl() <= ((s.eflags & eflags::IOPL) >> 12)) return;
    const Segment& tr = s.tr;
    if (!tr.present || (tr.type & ~2u) != 9 || tr.limit < 0x67) throw fault_gp(0);
    const uint32_t map = cpu.read_linear(tr.base + 0x66, 2);
    const uint32_t at = map + port / 8;
    if (at + 1 > tr.limit) throw fault_gp(0);
    const uint32_t bits = cpu.read_linear(tr.base + at, 2);
    const uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) throw fault_gp(0);
}

uint16_t port_operand(Cpu& cpu, const Decoded& d, unsigned index) {
    return static_cast<uint16_t>(read_operand(cpu, d, index));
}

// I/O breakpoints (CR4.DE, DR7 kind 10): a DRn whose 1, 2 or 4 bytes (its DR7 length;
// 8 is undefined for I/O and taken as 4) overlap the access. A trap: the run loop raises #DB
// after the instruction (once for a whole rep string instruction, not after the iteration).
void note_io_breakpoints(Cpu& cpu, uint16_t port, unsigned size) {
    const VcpuState& s = cpu.s;
    if (!(s.cr4 & cr4::DE)) return;
    for (unsigned i = 0; i < 4; ++i) {
        if (!dr7::enabled(s.dr7, i) || dr7::kind(s.dr7, i) != dr7::Kind::kIo) continue;
        const unsigned len = std::min(4u, dr7::length(s.dr7, i));
        const uint32_t first = s.dr[i] & 0xffff & ~(len - 1);
        if (port < first + len && first < uint32_t(port) + size) cpu.s.debug_trap |= 1u << i;
    }
}

// rep ins/outs: one element per iteration, registers updated as it goes so that a fault
// leaves a restartable state.
// False when it stopped after kRepIterationsPerExit with ECX left (EIP stays on it).
bool string_io(Cpu& cpu, const Decoded& d, bool in, unsigned size) {
    VcpuState& s = cpu.s;
    const bool a16 = d.address_size() == 2;
    const uint32_t amask = a16 ? 0xffff : 0xffffffff;
    const auto port = static_cast<uint16_t>(s.gpr[edx]);
    check_io_permission(cpu, port, size);
    const int step = (s.eflags & eflags::DF) ? -int(size) : int(size);
    const SegReg src_seg = in ? SegReg::es : to_segreg(d.ops[1].mem.segment);
    const bool rep = d.has_rep();
    auto index_reg = [&](Gpr r) -> uint32_t { return s.gpr[r] & amask; };
    auto advance = [&](Gpr r) { s.gpr[r] = (s.gpr[r] & ~amask) | ((s.gpr[r] + step) & amask); };
    for (uint32_t n = 0; !rep || (s.gpr[ecx] & amask) != 0; ++n) {
        if (n == kRepIterationsPerExit) return false;
        if (in) {
            const uint32_t v = cpu.ports.read(port, size);
            cpu.write(SegReg::es, index_reg(edi), size, v);
            advance(edi);
        } else {
            cpu.ports.write(port, size, cpu.read(src_seg, index_reg(esi), size));
            advance(esi);
        }
        if (!rep) break;
        s.gpr[ecx] = (s.gpr[ecx] & ~amask) | ((s.gpr[ecx] - 1) & amask);
        if (s.debug_trap && (s.gpr[ecx] & amask) != 0) {  // a data breakpoint: #DB after it
            note_io_breakpoints(cpu, port, size);
            return false;
        }
    }
    note_io_breakpoints(cpu, port, size);
    return true;
}

}  // namespace

Outcome execute_io(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    switch (d.in.mnemonic) {
        case ZYDIS_MNEMONIC_IN: {
            const unsigned size = d.ops[0].size / 8;
            const uint16_t port = port_operand(cpu, d, 1);
            check_io_permission(cpu, port, size);
            write_register(s, d.ops[0].reg.value, cpu.ports.read(port, size));
            note_io_breakpoints(cpu, port, size);
            break;
        }
        case ZYDIS_MNEMONIC_OUT: {
            const unsigned size = d.ops[1].size / 8;
            const uint16_t port = port_operand(cpu, d, 0);
            check_io_permission(cpu, port, size);
            cpu.ports.write(port, size, read_register(s, d.ops[1].reg.value));
            note_io_breakpoints(cpu, port, size);
            break;
        }
        case ZYDIS_MNEMONIC_INSB:
            if (!string_io(cpu, d, true, 1)) return Outcome::kDone;
            break;
        case ZYDIS_MNEMONIC_INSW:
            if (!string_io(cpu, d, true, 2)) return Outcome::kDone;
            break;
        case ZYDIS_MNEMONIC_INSD:
            if (!string_io(cpu, d, true, 4)) return Outcome::kDone;
            break;
        case ZYDIS_MNEMONIC_OUTSB:
            if (!string_io(cpu, d, false, 1)) return Outcome::kDone;
            break;
        case ZYDIS_MNEMONIC_OUTSW:
            if (!string_io(cpu, d, false, 2)) return Outcome::kDone;
            break;
        case ZYDIS_MNEMONIC_OUTSD:
            if (!string_io(cpu, d, false, 4)) return Outcome::kDone;
            break;
        default: return Outcome::kNotEmulated;
    }
    s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
