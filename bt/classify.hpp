// The instruction classification table: for each mnemonic and operand form, the category the
// translator puts it in and the treatment that category gets. One data table, used by the
// translator and printed as it is by `prevt table` (the teaching output).
#pragma once

#include <Zydis/Zydis.h>

#include <span>

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
    kCount
};

enum class Treatment : uint8_t {
    kCopy,      // identical translation: the original bytes
    kRetarget,  // re-encoded with its target in the cache; chained to the target block
    kLookup,    // inline lookup guest EIP -> cache address; a callout on a miss
    kInline,    // a short rewritten sequence on the virtual state (cli, sti, pushf...)
    kCallout,   // a call into the monitor, which executes it on the virtual CPU
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

// The rule for one decoded instruction; instructions not in the table are innocuous unless
// they use %gs (kMonitorSegment).
const Rule& classify(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops);

const char* category_name(Category c);
const char* treatment_name(Treatment t);
const char* form_name(Form f);

}  // namespace prevt::bt
