#include "bt/classify.hpp"

#include <array>

namespace prevt::bt {

namespace {

using C = Category;
using T = Treatment;
using F = Form;

// clang-format off: one rule per line reads as the table it is
#define M(x) ZYDIS_MNEMONIC_##x
constexpr Rule kRules[] = {
    // Control transfers: the cache must stay in control of where guest code goes next.
    {M(JMP), F::kRelative, C::kControlDirect, T::kRetarget,
     "re-targeted into the cache, chained to the next block"},
    {M(CALL), F::kRelative, C::kControlDirect, T::kRetarget,
     "pushes the guest return address, then jumps to the target block"},
    {M(JB), F::kAny, C::kControlDirect, T::kRetarget,
     "both successors are blocks; each exit is chained"},
    {M(JBE), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JL), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JLE), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNB), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNBE), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNL), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNLE), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNO), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNP), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNS), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JNZ), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JO), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JP), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JS), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JZ), F::kAny, C::kControlDirect, T::kRetarget, "conditional branch"},
    {M(JCXZ), F::kAny, C::kControlDirect, T::kRetarget,
     "short-only: rewritten as jcxz over a near jump"},
    {M(JECXZ), F::kAny, C::kControlDirect, T::kRetarget,
     "short-only: rewritten as jecxz over a near jump"},
    {M(LOOP), F::kAny, C::kControlDirect, T::kRetarget,
     "short-only: rewritten as loop over a near jump"},
    {M(LOOPE), F::kAny, C::kControlDirect, T::kRetarget, "short-only: rewritten like loop"},
    {M(LOOPNE), F::kAny, C::kControlDirect, T::kRetarget, "short-only: rewritten like loop"},
    {M(RET), F::kIndirect, C::kControlIndirect, T::kLookup,
     "pops the guest return address, then the return lookup"},
    {M(JMP), F::kIndirect, C::kControlIndirect, T::kLookup,
     "target guest EIP -> cache address through the jump lookup"},
    {M(CALL), F::kIndirect, C::kControlIndirect, T::kLookup,
     "pushes the guest return address, then the call lookup"},
    // Far transfers (Robin & Irvine: call, jmp, ret far and int n are sensitive).
    // (Inline rewrites need guest CPL 0 and a 32-bit stack; elsewhere they are callouts.)
    {M(JMP), F::kFar, C::kControlFar, T::kCallout,
     "sensitive: checks against the guest's GDT at the virtual CPL"},
    {M(CALL), F::kFar, C::kControlFar, T::kCallout,
     "sensitive: pushes the guest's CS, not the shadow selector"},
    {M(RET), F::kFar, C::kControlFar, T::kCallout,
     "sensitive: pops a guest selector and checks privilege"},
    {M(IRET), F::kAny, C::kControlFar, T::kCallout,
     "restores the virtual IF and IOPL, may change privilege"},
    {M(IRETD), F::kAny, C::kControlFar, T::kInline,
     "same CS at CPL 0: pops to the lookup and the virtual IF/IOPL/NT; else a callout"},
    // The sensitive-but-unprivileged instructions: they would not trap, and would lie.
    {M(SGDT), F::kAny, C::kSensitive, T::kCallout, "stores the virtual GDTR, not the host's"},
    {M(SIDT), F::kAny, C::kSensitive, T::kCallout, "stores the virtual IDTR, not the host's"},
    {M(SLDT), F::kAny, C::kSensitive, T::kCallout, "stores the virtual LDTR selector"},
    {M(STR), F::kAny, C::kSensitive, T::kCallout, "stores the virtual TR selector"},
    {M(SMSW), F::kAny, C::kSensitive, T::kCallout,
     "stores the virtual CR0 (its low word to memory)"},
    {M(PUSHF), F::kAny, C::kSensitive, T::kInline,
     "merges the virtual IF and IOPL into the pushed flags"},
    {M(PUSHFD), F::kAny, C::kSensitive, T::kInline,
     "merges the virtual IF and IOPL into the pushed flags"},
    {M(POPF), F::kAny, C::kSensitive, T::kInline,
     "splits IF/IOPL into the virtual flags; checks pending interrupts"},
    {M(POPFD), F::kAny, C::kSensitive, T::kInline,
     "splits IF/IOPL into the virtual flags; checks pending interrupts"},
    {M(LAR), F::kAny, C::kSensitive, T::kCallout,
     "reads access rights from the guest's descriptor tables"},
    {M(LSL), F::kAny, C::kSensitive, T::kCallout,
     "reads the limit from the guest's descriptor tables"},
    {M(VERR), F::kAny, C::kSensitive, T::kCallout,
     "checks readability against the guest's descriptors"},
    {M(VERW), F::kAny, C::kSensitive, T::kCallout,
     "checks writability against the guest's descriptors"},
    {M(PUSH), F::kSegmentOperand, C::kSensitive, T::kInline,
     "pushes the virtual selector (guest RPL), not the shadow's"},
    {M(MOV), F::kFromSegment, C::kSensitive, T::kInline, "reads the virtual selector"},
    {M(FNSTENV), F::kAny, C::kSensitive, T::kCallout,
     "stores the guest's FIP and selectors, not the cache address and the host's"},
    {M(FNSAVE), F::kAny, C::kSensitive, T::kCallout,
     "stores the guest's FIP and selectors, not the cache address and the host's"},
    {M(FXSAVE), F::kAny, C::kSensitive, T::kCallout,
     "stores the guest's FIP and selectors, not the cache address and the host's"},
    {M(FLDENV), F::kAny, C::kSensitive, T::kCallout,
     "loads a FIP the next environment store must give back as loaded, not map back"},
    {M(FRSTOR), F::kAny, C::kSensitive, T::kCallout,
     "loads a FIP the next environment store must give back as loaded, not map back"},
    {M(FXRSTOR), F::kAny, C::kSensitive, T::kCallout,
     "loads a FIP the next environment store must give back as loaded, not map back"},
    {M(CPUID), F::kAny, C::kSensitive, T::kCallout,
     "reports the guest's CPU profile, not the host CPU"},
    {M(RDTSC), F::kAny, C::kSensitive, T::kInline,
     "copied while the virtual TSC is the host's (no TSC write; CR4.TSD allows); else a callout"},
    {M(PAUSE), F::kAny, C::kSensitive, T::kInline,
     "a spin-wait hint: copied with one vCPU; with -smp a callout, the vCPU yields its turn"},
    {M(RDTSCP), F::kAny, C::kSensitive, T::kCallout,
     "the virtual TSC and IA32_TSC_AUX (the host's TSC_AUX names a host CPU)"},
    {M(RDPID), F::kAny, C::kSensitive, T::kCallout, "the virtual IA32_TSC_AUX"},
    {M(RDPMC), F::kAny, C::kSensitive, T::kCallout,
     "no performance counters are virtualized: 0 at CPL 0, #GP at CPL 3"},
    // Segment loads: the guest descriptor is checked and mirrored into a shadow descriptor.
    {M(MOV), F::kToSegment, C::kSegmentLoad, T::kCallout,
     "guest descriptor -> shadow LDT descriptor"},
    {M(POP), F::kSegmentOperand, C::kSegmentLoad, T::kCallout,
     "guest descriptor -> shadow LDT descriptor"},
    {M(LDS), F::kAny, C::kSegmentLoad, T::kCallout, "far pointer load into DS"},
    {M(LES), F::kAny, C::kSegmentLoad, T::kCallout, "far pointer load into ES"},
    {M(LFS), F::kAny, C::kSegmentLoad, T::kCallout, "far pointer load into FS"},
    {M(LGS), F::kAny, C::kSegmentLoad, T::kCallout,
     "far pointer load into GS (the monitor's register)"},
    {M(LSS), F::kAny, C::kSegmentLoad, T::kCallout, "far pointer load into SS"},
    // Privileged: would fault at host ring 3.
    {M(CLI), F::kAny, C::kPrivileged, T::kInline, "clears the virtual IF in the per-vCPU area"},
    {M(STI), F::kAny, C::kPrivileged, T::kInline,
     "sets the virtual IF; delivers pending interrupts"},
    {M(HLT), F::kAny, C::kPrivileged, T::kCallout, "the vCPU waits for an interrupt"},
    {M(STAC), F::kAny, C::kPrivileged, T::kCallout,
     "sets the virtual AC: under CR4.SMAP the shadow MMU then lets CPL 0 reach user pages"},
    {M(CLAC), F::kAny, C::kPrivileged, T::kCallout,
     "clears the virtual AC: under CR4.SMAP the shadow MMU takes user pages back from CPL 0"},
    {M(LGDT), F::kAny, C::kPrivileged, T::kCallout, "loads the virtual GDTR"},
    {M(LIDT), F::kAny, C::kPrivileged, T::kCallout, "loads the virtual IDTR"},
    {M(LLDT), F::kAny, C::kPrivileged, T::kCallout, "loads the virtual LDTR"},
    {M(LTR), F::kAny, C::kPrivileged, T::kCallout, "loads the virtual TR"},
    {M(MOV), F::kControlRegister, C::kPrivileged, T::kCallout,
     "virtual CR0/2/3/4 (CR3 and CR0.PG reach the shadow MMU)"},
    {M(MOV), F::kDebugRegister, C::kPrivileged, T::kCallout, "virtual DR0-7"},
    {M(CLTS), F::kAny, C::kPrivileged, T::kCallout, "clears the virtual CR0.TS"},
    {M(LMSW), F::kAny, C::kPrivileged, T::kCallout, "writes the virtual CR0's low bits"},
    {M(INVLPG), F::kAny, C::kPrivileged, T::kCallout, "drops a shadow mapping"},
    {M(WBINVD), F::kAny, C::kPrivileged, T::kCallout, "nothing to do for a virtual cache"},
    {M(INVD), F::kAny, C::kPrivileged, T::kCallout, "nothing to do for a virtual cache"},
    {M(RDMSR), F::kAny, C::kPrivileged, T::kCallout, "virtual MSRs (SYSENTER_*, TSC)"},
    {M(WRMSR), F::kAny, C::kPrivileged, T::kCallout, "virtual MSRs (SYSENTER_*, TSC)"},
    {M(RSM), F::kAny, C::kPrivileged, T::kCallout, "#UD: the guest is never in SMM"},
    {M(SYSEXIT), F::kAny, C::kPrivileged, T::kInline,
     "to ring 3 a direct transfer, unless kernel mappings must be taken back: a callout"},
    // Port I/O: the devices are in the monitor.
    {M(IN), F::kAny, C::kIo, T::kCallout, "port read through the bus, no signal"},
    {M(OUT), F::kAny, C::kIo, T::kCallout, "port write through the bus, no signal"},
    {M(INSB), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port read"},
    {M(INSW), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port read"},
    {M(INSD), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port read"},
    {M(OUTSB), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port write"},
    {M(OUTSW), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port write"},
    {M(OUTSD), F::kAny, C::kStringIo, T::kCallout, "rep-aware string port write"},
    // Interrupts and system calls: guest events, never host system calls.
    {M(INT), F::kAny, C::kInterrupt, T::kCallout, "through the guest IDT with its DPL checks"},
    {M(INT3), F::kAny, C::kInterrupt, T::kCallout, "#BP through the guest IDT"},
    {M(INTO), F::kAny, C::kInterrupt, T::kCallout, "#OF through the guest IDT when OF is set"},
    {M(INT1), F::kAny, C::kInterrupt, T::kCallout, "#DB through the guest IDT"},
    {M(SYSENTER), F::kAny, C::kInterrupt, T::kInline,
     "from CPL 3 a direct transfer to SYSENTER_EIP (prepared SS/ESP); else a callout"},
};
#undef M
// clang-format on

// The catch-all rows, in the order classify() tries them around the table.
constexpr Rule kCatchAll[] = {
    {ZYDIS_MNEMONIC_INVALID, F::kAny, C::kNotOffered, T::kCallout,
     "an ISA set the profile does not offer: the virtual CPU raises #UD"},
    {ZYDIS_MNEMONIC_INVALID, F::kAny, C::kMonitorSegment, T::kSwapFs,
     "a %gs access (hidden operands too): %gs is the monitor's; copied with fs: while FS holds "
     "the guest's GS, or (not a copy) the virtual CPU"},
    {ZYDIS_MNEMONIC_INVALID, F::kAny, C::kCodeSegment, T::kSwapFs,
     "a cs: data access: copied with fs: while FS holds CS as data (read-only, or empty for "
     "execute-only code), or (not a copy) the virtual CPU"},
    {ZYDIS_MNEMONIC_INVALID, F::kAny, C::kInnocuous, T::kCopy,
     "everything else the profile offers: identical translation, native speed"},
};
const Rule& kNotOffered = kCatchAll[0];
const Rule& kUsesGs = kCatchAll[1];
const Rule& kUsesCs = kCatchAll[2];
const Rule& kInnocuous = kCatchAll[3];

Form form_of(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    if (in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return F::kFar;
    if (in.meta.category == ZYDIS_CATEGORY_COND_BR ||
        in.meta.category == ZYDIS_CATEGORY_UNCOND_BR || in.meta.category == ZYDIS_CATEGORY_CALL ||
        in.meta.category == ZYDIS_CATEGORY_RET) {
        if (in.mnemonic == ZYDIS_MNEMONIC_RET) return F::kIndirect;
        return ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? F::kRelative : F::kIndirect;
    }
    for (unsigned i = 0; i < in.operand_count_visible; ++i) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        switch (ZydisRegisterGetClass(ops[i].reg.value)) {
            case ZYDIS_REGCLASS_SEGMENT:
                if (in.mnemonic == ZYDIS_MNEMONIC_PUSH || in.mnemonic == ZYDIS_MNEMONIC_POP)
                    return F::kSegmentOperand;
                return i == 0 ? F::kToSegment : F::kFromSegment;
            case ZYDIS_REGCLASS_CONTROL: return F::kControlRegister;
            case ZYDIS_REGCLASS_DEBUG: return F::kDebugRegister;
            default: break;
        }
    }
    return F::kAny;
}

}  // namespace

std::span<const Rule> rules() {
    return kRules;
}

std::span<const Rule> catch_all_rules() {
    return kCatchAll;
}

const Rule& classify(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                     const CpuProfile& profile) {
    if (!profile.offers(in)) return kNotOffered;
    // Segments before the table: a row's inline or lookup translation (jmp *%cs:table) would
    // run the access natively.
    if (accesses_through(in, ops, ZYDIS_REGISTER_GS)) return kUsesGs;
    if (accesses_through(in, ops, ZYDIS_REGISTER_CS)) return kUsesCs;
    return classify_table(in, ops);
}

const Rule& classify_table(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    const Form form = form_of(in, ops);
    for (const Rule& r : kRules)
        if (r.mnemonic == in.mnemonic && (r.form == F::kAny || r.form == form)) return r;
    return kInnocuous;
}

const char* category_name(Category c) {
    constexpr std::array<const char*, static_cast<int>(C::kCount)> kNames = {
        "innocuous",   "control-direct",  "control-indirect",
        "control-far", "sensitive",       "privileged",
        "io",          "string-io",       "segment-load",
        "interrupt",   "monitor-segment", "code-segment",
        "not-offered"};
    return kNames[static_cast<int>(c)];
}

const char* treatment_name(Treatment t) {
    constexpr const char* kNames[] = {"copy", "retarget", "lookup", "inline", "callout", "fs-swap"};
    return kNames[static_cast<int>(t)];
}

const char* form_name(Form f) {
    constexpr const char* kNames[] = {"",          "relative", "indirect", "far", "to sreg",
                                      "from sreg", "sreg",     "crN",      "drN"};
    return kNames[static_cast<int>(f)];
}

}  // namespace prevt::bt
