// The few x86 sequences the translator writes itself, besides copied guest instructions.
// Everything reaches the per-vCPU area through %gs (prefix 0x65), the segment register the
// monitor reserves; none of these sequences changes the guest's registers or flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace prevt::bt {

class CodeBuffer {
public:
    explicit CodeBuffer(uint32_t address) : base_(address) {}
    uint32_t here() const { return base_ + static_cast<uint32_t>(bytes_.size()); }
    const std::vector<uint8_t>& bytes() const { return bytes_; }

    void raw(const uint8_t* p, size_t n) { bytes_.insert(bytes_.end(), p, p + n); }
    void byte(uint8_t b) { bytes_.push_back(b); }
    uint8_t& at(size_t index) { return bytes_[index]; }
    void u32(uint32_t v);
    void patch_u32(uint32_t address, uint32_t v);

    // movl $imm, %gs:offset
    void store_gs(uint32_t offset, uint32_t imm);
    // ljmp *%gs:12 - the callout (far jump to the 64-bit stub)
    void callout();
    // jmp rel32 to `target`; returns the address of the rel32 field
    uint32_t jmp(uint32_t target);
    // pushl $imm32
    void push_imm(uint32_t imm);
    // pushw $imm16 (a 16-bit call's return address)
    void push_imm16(uint16_t imm);

private:
    uint32_t base_;
    std::vector<uint8_t> bytes_;
};

// The indirect-branch lookup routine (DynamoRIO's IBL), written once at the start of the
// cache: the guest EIP is at %gs:kOffIblTarget; on a hit it jumps to the cached block with
// the guest's registers and flags intact, on a miss it exits to the dispatcher.
// Returns its second entry, for callers that have parked EAX and EBX at %gs:kOffSaveEax/Ebx
// and put the flags to restore at %gs:kOffSaveFlags (AH = EFLAGS[7:0], AL = OF) themselves.
uint32_t emit_lookup_routine(CodeBuffer& out);
// The target of empty lookup slots (MonitorArea::clear_ibl): a miss, for the one guest EIP
// (0xffffffff) that equals the empty key.
uint32_t emit_lookup_miss_entry(CodeBuffer& out);
// fs-swap around one copied %gs access: FS's selector parked, the guest's GS shadow in FS;
// then FS back. Moves of segment registers only: no flags, no guest register.
// `source`: the per-vCPU slot of the host selector FS gets (kOffGuestGs, kOffGuestCsData).
void emit_fs_swap_begin(CodeBuffer& out, uint32_t source);
void emit_fs_swap_end(CodeBuffer& out);

// The inline rewrites (VMware's "a few instructions on the virtual state"), valid at guest
// CPL 0 with a 32-bit stack. None changes the guest's flags beyond what the instruction does.
void emit_cli(CodeBuffer& out);
void emit_sti(CodeBuffer& out);
void emit_pushf(CodeBuffer& out);  // pushfd with the virtual IF and IOPL merged in
void emit_popf(CodeBuffer& out);   // popfd, the IF and IOPL bits going to the virtual flags
void emit_push_selector(CodeBuffer& out, unsigned segreg);  // pushl of the guest's selector

// iretd at CPL 0 that stays at CPL 0 in the same code segment (the popped CS equals the
// guest's; no VM86 return, no task return, TF/AC/ID clear in the popped EFLAGS): pops EIP,
// CS and EFLAGS (IF, IOPL and NT to the virtual flags) and goes through the lookup routine's
// second entry. Any other case takes one of `slow_jumps` (rel32 fields to patch): a callout.
struct IretSequence {
    uint32_t eax_parked = 0;  // from here EAX's guest value is at %gs:kOffSaveEax ...
    uint32_t ebx_parked = 0;  // ... and from here EBX's too,
    uint32_t inexact = 0;     // until here, where the guest-visible effects begin
    std::vector<uint32_t> slow_jumps;
};
// What the inline path checks besides the flags: the popped CS is `selector` (and the virtual
// CS), and the guest's descriptor for it, read at host address `descriptor_host` (the guest
// linear address + kPageZeroOffset, through the monitor's flat CS), still holds `lo`/`hi`,
// the descriptor the cached CS was loaded from (accessed bit set). The CPU reloads CS on
// every iret: a descriptor made not present or rebased since takes the callout, which does.
struct IretCheck {
    uint32_t selector = 0;
    uint32_t descriptor_host = 0;  // 0: no inline iret (a callout)
    uint32_t lo = 0, hi = 0;
};
IretSequence emit_iret(CodeBuffer& out, uint32_t lookup_flags_saved, const IretCheck& check);
// The two shared sysenter routines, written once after the lookup routine; translated
// `sysenter` stores its EIP at %gs:kOffExitEip and jumps through %gs:kOffSysenterPath to one of
// them. The inline one: SS, ESP, the virtual IF/CS/SS and the kernel's lookup table from the
// values the engine prepared, then the lookup routine with SYSENTER_EIP. The other: a callout
// (the virtual CPU raises #GP, or runs it when the inline path is off). The inline sysexit:
// SS/DS/ES/FS's user variants, ESP = ECX, the virtual CS/SS and the user's lookup table, then
// the lookup routine with EDX.
struct SysenterRoutines {
    uint32_t inline_path, inline_light_path, callout_path, sysexit_inline_path,
        sysexit_light_path;  // light: DS/ES/FS stay (no user ceiling: one variant)
};
SysenterRoutines emit_sysenter_routines(CodeBuffer& out, uint32_t lookup_routine);
// The stack-16 entry: mov %gs:kOffEntryEsp,%esp; jmp *%gs:kOffEntryEip (no flag changed).
uint32_t emit_stack16_entry(CodeBuffer& out);
// mov %gs:kOffSaveEax,%eax (6 bytes)
void emit_unpark_eax(CodeBuffer& out);
// mov %sreg,%r32 (zero-extended) or %r16: `reg` is the register number 0-7.
void emit_read_selector(CodeBuffer& out, unsigned segreg, unsigned reg, bool r16);

// rel32 for a branch whose rel32 field is at `field` and that goes to `target`.
inline uint32_t rel32(uint32_t field, uint32_t target) {
    return target - (field + 4);
}

}  // namespace prevt::bt
