// The instruction classification table: for each mnemonic and operand form, the category the
// translator puts it in and the treatment that category gets. One data table, used by the
// translator and printed as it is by `prevt table` (the teaching output).
#pragma once

#include <Zydis/Zydis.h>

#include <span>

#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/memory_operands.hpp"

namespace prevt::bt {

enum class Category : uint8_t {
    kInnocuous,        // runs the same at host ring 3 as at guest ring 0: copied as is
    kControlDirect,    // jmp/jcc/call/loop with a relative target
    kControlIndirect,  // ret, jmp/call through a register or memory
    kControlFar,       // far jmp/call/ret, iret: a privilege or segment change
    kSensitive,        // unprivileged but gives a different answer at ring 3 (Robin & Irvine)
    kPrivileged,       // faults at ring 3: must run on the virtual CPU
    kIo,               // in/out
    kStringIo,         // ins/outs (rep)
    kSegmentLoad,      // mov/pop/lds... into a segment register
    kInterrupt,        // int n, int3, into, sysenter, syscall
    kMonitorSegment,   // uses %gs, the segment register the monitor reserves
    kCodeSegment,      // a data access through cs: (the guest's CS is not in hardware)
    kNotOffered,       // not an instruction of the guest's CPU profile: #UD
    kCount
};

enum class Treatment : uint8_t {
    kCopy,      // identical translation: the original bytes
    kRetarget,  // re-encoded with its target in the cache; chained to the target block
    kLookup,    // inline lookup guest EIP -> cache address; a callout on a miss
    kInline,    // a short rewritten sequence on the virtual state (cli, sti, pushf...)
    kCallout,   // a call into the monitor, which executes it on the virtual CPU
    kSwapFs,    // a %gs access copied with fs: in its place, FS holding the guest's GS for it
};

enum class Form : uint8_t {
    kAny,
    kRelative,         // near branch to an immediate target
    kIndirect,         // near branch through a register or memory
    kFar,              // far branch
    kToSegment,        // destination is a segment register
    kFromSegment,      // source is a segment register
    kSegmentOperand,   // push/pop of a segment register
    kControlRegister,  // mov to or from CRn
    kDebugRegister,    // mov to or from DRn
};

struct Rule {
    ZydisMnemonic mnemonic;
    Form form;
    Category category;
    Treatment treatment;
    const char* note;  // one line for the teaching output
};

// The table itself, in the order it is printed.
std::span<const Rule> rules();

// The rule for one decoded instruction. An allowlist: an instruction is copied only if its
// ISA set is one the profile offers (core/emulate/cpu_profile.hpp) and the table has no row
// for it; else it is #UD (kNotOffered), a table row, a %gs use (kMonitorSegment) or a cs:
// data access (kCodeSegment), in that order. Every operand counts, hidden ones included
// (string instructions, xlat, fxsave...). FPU control (CR0.TS/EM, CR4.OSFXSR) depends on the
// context, not on the table: the translator applies it (fpu_control.hpp).
// The table's row (or "innocuous") for an instruction, whatever its segments and profile: what
// a %gs access would be without its segment (bt copies it with FS swapped in only if: copy).
const Rule& classify_table(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops);

const Rule& classify(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                     const CpuProfile& profile = default_profile());

// The fixed rows that are not mnemonics: (not offered), (%gs use), (cs: data), (others).
std::span<const Rule> catch_all_rules();

const char* category_name(Category c);
const char* treatment_name(Treatment t);
const char* form_name(Form f);

}  // namespace prevt::bt
