// One guest instruction decoded by Zydis at the virtual CPU's CS:EIP, with accessors that read
// and write its operands on the virtual CPU (registers in VcpuState, memory through segments).
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>

#include "core/emulate/cpu.hpp"
#include "core/errors.hpp"

namespace prevt {

struct Decoded {
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint8_t bytes[16];
    uint32_t eip;  // where it starts
    uint32_t next_eip() const { return eip + in.length; }
    unsigned operand_size() const { return in.operand_width / 8; }
    unsigned address_size() const { return in.address_width / 8; }
    bool has_rep() const {
        return in.attributes &
               (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
    }
    std::string text() const;  // Intel-syntax disassembly, for traces and messages
    // What execute() checks first, derived from the bytes alone and kept with them (bt
    // decodes a callout site once and emulates it many times): whether the profile offers
    // the instruction, and its FPU class (fpu_control.hpp). Filled on first use.
    mutable const void* checked_for = nullptr;  // the CpuProfile they were computed for
    mutable bool offered = false;
    mutable uint8_t fpu_class = 0;
};

// Decodes the instruction at CS:EIP. Throws #UD for undecodable bytes, #GP/#PF if the
// bytes cannot be fetched.
Decoded decode_at(Cpu& cpu, uint32_t eip);
// Decodes `avail` bytes fetched from EIP in the given mode (bt decodes its callout sites once,
// when it translates them); false if they are not an instruction.
bool decode_bytes(const uint8_t* bytes, unsigned avail, bool code32, bool stack32, uint32_t eip,
                  Decoded* out);

// The one mapping from Zydis's segment registers to SegReg (vcpu_state.hpp's order), shared
// by the virtual CPU and the translator. Anything else is a bug in the caller.
static_assert(ZYDIS_REGISTER_CS == ZYDIS_REGISTER_ES + 1 &&
              ZYDIS_REGISTER_SS == ZYDIS_REGISTER_ES + 2 &&
              ZYDIS_REGISTER_DS == ZYDIS_REGISTER_ES + 3 &&
              ZYDIS_REGISTER_FS == ZYDIS_REGISTER_ES + 4 &&
              ZYDIS_REGISTER_GS == ZYDIS_REGISTER_ES + 5);
static_assert(static_cast<int>(SegReg::gs) == 5 && static_cast<int>(SegReg::ds) == 3);
inline SegReg to_segreg(ZydisRegister r) {
    if (r < ZYDIS_REGISTER_ES || r > ZYDIS_REGISTER_GS)
        throw HostError("internal error: " + std::string(ZydisRegisterGetString(r)) +
                        " is not a segment register");
    return static_cast<SegReg>(r - ZYDIS_REGISTER_ES);
}

// Operand access on the virtual CPU (register, memory or immediate operands).
uint32_t read_operand(Cpu& cpu, const Decoded& d, unsigned index);
void write_operand(Cpu& cpu, const Decoded& d, unsigned index, uint32_t value);
// Effective offset (not linear) of a memory operand, and its segment.
uint32_t effective_offset(Cpu& cpu, const Decoded& d, unsigned index);
SegReg operand_segment(const Decoded& d, unsigned index);

uint32_t read_register(const VcpuState& s, ZydisRegister r);
void write_register(VcpuState& s, ZydisRegister r, uint32_t value);

}  // namespace prevt
