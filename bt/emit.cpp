#include "bt/emit.hpp"

#include <cstring>
#include <initializer_list>
#include <utility>

#include "bt/vcpu_area.hpp"

namespace prevt::bt {

void CodeBuffer::u32(uint32_t v) {
    uint8_t b[4];
    memcpy(b, &v, 4);
    raw(b, 4);
}

void CodeBuffer::patch_u32(uint32_t address, uint32_t v) {
    memcpy(&bytes_[address - base_], &v, 4);
}

void CodeBuffer::store_gs(uint32_t offset, uint32_t imm) {
    const uint8_t op[] = {0x65, 0xc7, 0x05};  // mov r/m32, imm32 with [disp32], %gs
    raw(op, sizeof op);
    u32(offset);
    u32(imm);
}

void CodeBuffer::callout() {
    const uint8_t op[] = {0x65, 0xff, 0x2d};  // jmp far m16:32 at %gs:disp32
    raw(op, sizeof op);
    u32(kOffFarPtr);
}

uint32_t CodeBuffer::jmp(uint32_t target) {
    byte(0xe9);
    const uint32_t field = here();
    u32(rel32(field, target));
    return field;
}

void CodeBuffer::push_imm(uint32_t imm) {
    byte(0x68);
    u32(imm);
}

void CodeBuffer::push_imm16(uint16_t imm) {
    byte(0x66);
    byte(0x68);
    byte(static_cast<uint8_t>(imm));
    byte(static_cast<uint8_t>(imm >> 8));
}

}  // namespace prevt::bt

namespace prevt::bt {

namespace {
// mov %gs:off,%eax | mov %eax,%gs:off | mov %gs:off,%ebx | mov %ebx,%gs:off
void gs_eax_load(CodeBuffer& o, uint32_t off) {
    o.byte(0x65), o.byte(0xa1), o.u32(off);
}
void gs_eax_store(CodeBuffer& o, uint32_t off) {
    o.byte(0x65), o.byte(0xa3), o.u32(off);
}
void gs_ebx_load(CodeBuffer& o, uint32_t off) {
    o.byte(0x65), o.byte(0x8b), o.byte(0x1d), o.u32(off);
}
void gs_ebx_store(CodeBuffer& o, uint32_t off) {
    o.byte(0x65), o.byte(0x89), o.byte(0x1d), o.u32(off);
}
// Flags back from %gs:kOffSaveFlags: `add $0x7f,%al` recreates OF from seto's 0/1, sahf the rest.
void restore_flags_and_registers(CodeBuffer& o) {
    gs_eax_load(o, kOffSaveFlags);
    o.byte(0x04), o.byte(0x7f);  // add $0x7f,%al
    o.byte(0x9e);                // sahf
    gs_eax_load(o, kOffSaveEax);
    gs_ebx_load(o, kOffSaveEbx);
}
}  // namespace

// The virtual IF, IOPL and NT from byte 1 of the EFLAGS image at `disp`(%esp) (movzbl +
// table lookups: no flags touched). EAX is scratch.
// Tables [first, last) of IF, IOPL, NT.
static void virtual_flags_of_byte1(CodeBuffer& o, uint8_t disp, int first = 0, int last = 3) {
    const std::pair<uint32_t, uint32_t> tables[] = {
        {kIfOfByte1, kOffVif}, {kIoplOfByte1, kOffViopl}, {kNtOfByte1, kOffVnt}};
    for (int i = first; i < last; ++i) {
        const auto& [table, field] = tables[i];
        o.byte(0x0f), o.byte(0xb6), o.byte(0x44), o.byte(0x24), o.byte(disp);  // movzbl d(%esp)
        o.byte(0x65), o.byte(0x8b), o.byte(0x04), o.byte(0x85), o.u32(table);  // mov tbl(,%eax,4)
        gs_eax_store(o, field);
    }
}

SysenterRoutines emit_sysenter_routines(CodeBuffer& o, uint32_t lookup_routine) {
    SysenterRoutines r;
    // Each direction has two entries: the full one also loads DS/ES/FS (the other variant of
    // the same selectors: there is a user ceiling), the light one only SS. Returns the light.
    auto load_segments = [&](uint32_t ds, uint32_t es, uint32_t fs, uint32_t ss) {
        const std::pair<uint8_t, uint32_t> loads[] = {{0x1d, ds}, {0x05, es}, {0x25, fs}};
        for (const auto& [modrm, field] : loads)  // mov %gs:field,%ds / %es / %fs
            o.byte(0x65), o.byte(0x8e), o.byte(modrm), o.u32(field);
        const uint32_t light = o.here();
        o.byte(0x65), o.byte(0x8e), o.byte(0x15), o.u32(ss);  // mov %gs:ss,%ss
        return light;
    };
    // The %gs-to-%gs moves (EAX parked), then the lookup routine with the target in place.
    auto moves_then_lookup = [&](std::initializer_list<std::pair<uint32_t, uint32_t>> moves) {
        gs_eax_store(o, kOffSaveEax);
        for (const auto& [from, to] : moves) {
            gs_eax_load(o, from);
            gs_eax_store(o, to);
        }
        gs_eax_load(o, kOffSaveEax);
        o.jmp(lookup_routine);
    };
    r.inline_path = o.here();
    r.inline_light_path =
        load_segments(kOffSysenterDs, kOffSysenterEs, kOffSysenterFs, kOffSysenterSs);
    o.byte(0x65), o.byte(0x8b), o.byte(0x25), o.u32(kOffSysenterEsp);  // mov %gs:..,%esp
    o.store_gs(kOffVif, 0);                                            // IF = 0
    o.store_gs(kOffIblBias, 0);                                        // the kernel's table
    moves_then_lookup({{kOffSysenterVcs, kOffVsel + 4},
                       {kOffSysenterVss, kOffVsel + 8},
                       {kOffSysenterEip, kOffIblTarget}});
    r.sysexit_inline_path = o.here();
    r.sysexit_light_path =
        load_segments(kOffSysexitDs, kOffSysexitEs, kOffSysexitFs, kOffSysexitSs);
    o.byte(0x89), o.byte(0xcc);                                      // mov %ecx,%esp
    o.byte(0x65), o.byte(0x89), o.byte(0x15), o.u32(kOffIblTarget);  // mov %edx,%gs:target
    o.store_gs(kOffIblBias, kIblEntries);                            // the user's table
    moves_then_lookup({{kOffSysexitVcs, kOffVsel + 4}, {kOffSysexitVss, kOffVsel + 8}});
    r.callout_path = o.here();
    o.store_gs(kOffExitKind, kExitEmulate);
    o.store_gs(kOffExitLink, 0);
    o.callout();
    return r;
}

void emit_unpark_eax(CodeBuffer& o) {
    gs_eax_load(o, kOffSaveEax);
}

void emit_cli(CodeBuffer& o) {
    o.store_gs(kOffVif, 0);
}
void emit_sti(CodeBuffer& o) {
    o.store_gs(kOffVif, 0x200);
}

// The hardware pushes IF = 1 and IOPL = 0 (host ring 3): subtract the one, add the virtual
// bits, with lea (which leaves the flags alone).
void emit_pushf(CodeBuffer& o) {
    o.byte(0x9c);  // pushf
    gs_eax_store(o, kOffSaveEax);
    gs_ebx_store(o, kOffSaveEbx);
    o.byte(0x8b), o.byte(0x04), o.byte(0x24);  // mov (%esp),%eax
    gs_ebx_load(o, kOffVif);
    o.byte(0x8d), o.byte(0x84), o.byte(0x18), o.u32(0xfffffe00);  // lea -0x200(%eax,%ebx),%eax
    gs_ebx_load(o, kOffViopl);
    o.byte(0x8d), o.byte(0x04), o.byte(0x18);  // lea (%eax,%ebx),%eax
    o.byte(0x89), o.byte(0x04), o.byte(0x24);  // mov %eax,(%esp)
    gs_eax_load(o, kOffSaveEax);
    gs_ebx_load(o, kOffSaveEbx);
}

// IF and IOPL sit in byte 1 of the popped value: two table lookups give their EFLAGS bits.
void emit_popf(CodeBuffer& o) {
    gs_eax_store(o, kOffSaveEax);
    virtual_flags_of_byte1(o, 1);
    gs_eax_load(o, kOffSaveEax);
    o.byte(0x9d);  // popf: the arithmetic flags, DF, TF, NT (IF and IOPL are ignored at ring 3)
}

// iretd to the same CS at CPL 0. The checks come first, with only EAX (and then EBX) parked,
// then the store of the virtual IF (the interrupt window may make it exit: still restartable);
// after it begins the inexact part, which ends in the lookup routine.
IretSequence emit_iret(CodeBuffer& o, uint32_t lookup_flags_saved, const IretCheck& check) {
    IretSequence seq;
    auto jnz_slow = [&] {
        o.byte(0x0f), o.byte(0x85);  // jnz rel32, patched by the caller
        seq.slow_jumps.push_back(o.here());
        o.u32(0);
    };
    gs_eax_store(o, kOffSaveEax);
    seq.eax_parked = o.here();
    o.byte(0x0f), o.byte(0xb7), o.byte(0x44), o.byte(0x24), o.byte(0x04);  // movzwl 4(%esp),%eax
    o.byte(0x3d), o.u32(check.selector);                                   // cmp $selector,%eax
    jnz_slow();                                                     // not the translation's CS
    o.byte(0x65), o.byte(0x33), o.byte(0x05), o.u32(kOffVsel + 4);  // xor %gs:vsel_cs,%eax
    jnz_slow();                                                     // another CS
    // The descriptor in the guest's table, as the CPU reloads it (eax is parked, the flags
    // are the frame's from here on): two loads through the monitor's flat CS.
    o.byte(0x2e), o.byte(0xa1), o.u32(check.descriptor_host);  // mov %cs:lo,%eax
    o.byte(0x3d), o.u32(check.lo);                             // cmp $lo,%eax
    jnz_slow();
    o.byte(0x2e), o.byte(0xa1), o.u32(check.descriptor_host + 4);  // mov %cs:hi,%eax
    o.byte(0x3d), o.u32(check.hi);                                 // cmp $hi,%eax
    jnz_slow();
    // testl $(TF|NT|RF|AC|VM|ID),8(%esp): RF is virtual (a #DB handler's resume flag)
    o.byte(0xf7), o.byte(0x44), o.byte(0x24), o.byte(0x08);
    o.u32(0x100 | 0x4000 | 0x10000 | 0x40000 | 0x20000 | 0x200000);
    jnz_slow();
    o.byte(0x65), o.byte(0xf7), o.byte(0x05), o.u32(kOffVnt), o.u32(0x4000);  // a task return
    jnz_slow();
    o.byte(0x65), o.byte(0x83), o.byte(0x3d), o.u32(kOffIretExits), o.byte(0);  // NMI blocked
    jnz_slow();
    gs_ebx_store(o, kOffSaveEbx);
    seq.ebx_parked = o.here();
    // The popped flags in the lookup routine's format: AH = EFLAGS[7:0] (sahf), AL = OF.
    o.byte(0x8b), o.byte(0x44), o.byte(0x24), o.byte(0x08);  // mov 8(%esp),%eax
    o.byte(0x89), o.byte(0xc3);                              // mov %eax,%ebx
    o.byte(0xc1), o.byte(0xeb), o.byte(0x0b);                // shr $11,%ebx
    o.byte(0x83), o.byte(0xe3), o.byte(0x01);                // and $1,%ebx
    o.byte(0x88), o.byte(0xc4);                              // mov %al,%ah
    o.byte(0x88), o.byte(0xd8);                              // mov %bl,%al
    gs_eax_store(o, kOffSaveFlags);
    virtual_flags_of_byte1(o, 9, 0, 1);  // IF first: its store may exit (the interrupt window)
    seq.inexact = o.here();
    virtual_flags_of_byte1(o, 9, 1, 3);
    o.byte(0xf7), o.byte(0x44), o.byte(0x24), o.byte(0x08), o.u32(0x400);  // testl $DF,8(%esp)
    o.byte(0x74), o.byte(0x03), o.byte(0xfd), o.byte(0xeb), o.byte(0x01),
        o.byte(0xfc);                          // jz 1f; std; jmp 2f; 1: cld; 2:
    o.byte(0x8b), o.byte(0x04), o.byte(0x24);  // mov (%esp),%eax
    gs_eax_store(o, kOffIblTarget);
    o.byte(0x8d), o.byte(0x64), o.byte(0x24), o.byte(0x0c);  // lea 12(%esp),%esp
    o.jmp(lookup_flags_saved);
    return seq;
}

void emit_push_selector(CodeBuffer& o, unsigned segreg) {
    o.byte(0x65), o.byte(0xff), o.byte(0x35), o.u32(kOffVsel + 4 * segreg);  // pushl %gs:vsel
}

void emit_read_selector(CodeBuffer& o, unsigned segreg, unsigned reg, bool r16) {
    if (r16) {
        o.byte(0x66), o.byte(0x65), o.byte(0x8b);  // mov %gs:vsel,%r16
    } else {
        o.byte(0x65), o.byte(0x0f), o.byte(0xb7);  // movzwl %gs:vsel,%r32
    }
    o.byte(static_cast<uint8_t>(0x05 | (reg << 3)));
    o.u32(kOffVsel + 4 * segreg);
}

uint32_t emit_lookup_routine(CodeBuffer& o) {
    gs_eax_store(o, kOffSaveEax);
    gs_ebx_store(o, kOffSaveEbx);
    o.byte(0x9f);                              // lahf
    o.byte(0x0f), o.byte(0x90), o.byte(0xc0);  // seto %al
    gs_eax_store(o, kOffSaveFlags);
    const uint32_t flags_saved = o.here();
    gs_eax_load(o, kOffIblTarget);
    o.byte(0x89), o.byte(0xc3);                                    // mov %eax,%ebx
    o.byte(0xc1), o.byte(0xeb), o.byte(kIblHashShift);             // shr $shift,%ebx
    o.byte(0x31), o.byte(0xc3);                                    // xor %eax,%ebx
    o.byte(0x81), o.byte(0xe3), o.u32(kIblEntries - 1);            // and $mask,%ebx
    o.byte(0x65), o.byte(0x03), o.byte(0x1d), o.u32(kOffIblBias);  // add %gs:ibl_bias,%ebx
    o.byte(0x65), o.byte(0x3b), o.byte(0x04), o.byte(0xdd),
        o.u32(kIblTable);  // cmp tbl(,%ebx,8),%eax
    o.byte(0x75);          // jne miss
    const size_t jne = o.bytes().size();
    o.byte(0);
    o.byte(0x65), o.byte(0x8b), o.byte(0x1c), o.byte(0xdd),
        o.u32(kIblTable + 4);  // mov tbl+4(,%ebx,8),%ebx
    gs_ebx_store(o, kOffJumpTo);
    o.byte(0x65), o.byte(0xff), o.byte(0x05), o.u32(kOffLookupHits);  // incl: flags are saved
    restore_flags_and_registers(o);
    o.byte(0x65), o.byte(0xff), o.byte(0x25), o.u32(kOffJumpTo);  // jmp *%gs:kOffJumpTo
    o.at(jne) = static_cast<uint8_t>(o.bytes().size() - jne - 1);
    gs_ebx_load(o, kOffIblTarget);  // miss: exit to the dispatcher, which fills the slot
    gs_ebx_store(o, kOffExitEip);
    restore_flags_and_registers(o);
    o.store_gs(kOffExitKind, kExitDispatch);
    o.store_gs(kOffExitLink, 0);
    o.callout();
    return flags_saved;
}

// Where an empty lookup slot points: a key match on it (a guest EIP of 0xffffffff, the empty
// key) lands here with the guest's registers and flags restored, and exits to the dispatcher
// as a miss does. Only moves: no flag changes.
uint32_t emit_lookup_miss_entry(CodeBuffer& o) {
    const uint32_t entry = o.here();
    gs_eax_store(o, kOffSaveEax);
    gs_eax_load(o, kOffIblTarget);
    gs_eax_store(o, kOffExitEip);
    gs_eax_load(o, kOffSaveEax);
    o.store_gs(kOffExitKind, kExitDispatch);
    o.store_gs(kOffExitLink, 0);
    o.callout();
    return entry;
}

uint32_t emit_stack16_entry(CodeBuffer& o) {
    const uint32_t entry = o.here();
    o.byte(0x65), o.byte(0x8b), o.byte(0x25), o.u32(kOffEntryEsp);  // mov %gs:entry_esp,%esp
    o.byte(0x65), o.byte(0xff), o.byte(0x25), o.u32(kOffEntryEip);  // jmp *%gs:entry_eip
    return entry;
}

void emit_fs_swap_begin(CodeBuffer& o, uint32_t source) {
    o.byte(0x65), o.byte(0x8c), o.byte(0x25), o.u32(kOffSaveFs);  // mov %fs,%gs:save_fs
    o.byte(0x65), o.byte(0x8e), o.byte(0x25), o.u32(source);      // mov %gs:source,%fs
}

void emit_fs_swap_end(CodeBuffer& o) {
    o.byte(0x65), o.byte(0x8e), o.byte(0x25), o.u32(kOffSaveFs);  // mov %gs:save_fs,%fs
}

}  // namespace prevt::bt
