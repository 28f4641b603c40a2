// The guest's CPU profile: the one place that says which CPU prevt's virtual CPU is. `cpuid`
// reports it (cpuid.cpp), and the translator's allowlist (bt/classify.cpp) and the virtual
// CPU (execute.cpp) derive from it which instructions exist: an instruction whose Zydis ISA
// set the profile does not offer raises #UD, as on the profiled CPU. A profile is a value
// and the named ones (QEMU's `-cpu` convention) are in cpu_profiles.hpp: nothing else
// hard-codes a feature.
//
// Invariant ("CPUID offers only what prevt virtualizes; what it offers works"): a profile's
// feature bits are a subset of kVirtualized*, the bits whose instructions prevt either copies
// (verified innocuous at host ring 3 for every instruction of the ISA sets in kIsaSets) or
// emulates. Header-only: both bt/ and core/ use it, and bt/ does not link core/.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>

namespace prevt {

// CPUID.1 EDX / ECX bits (SDM vol. 2A, table 3-10/3-11).
namespace cpuid_bit {
inline constexpr uint32_t FPU = 1u << 0, DE = 1u << 2, PSE = 1u << 3, TSC = 1u << 4, MSR = 1u << 5, CX8 = 1u << 8,
                          APIC = 1u << 9, SEP = 1u << 11, PGE = 1u << 13, CMOV = 1u << 15,
                          CLFSH = 1u << 19, MMX = 1u << 23, FXSR = 1u << 24, SSE = 1u << 25,
                          SSE2 = 1u << 26;
// ECX
inline constexpr uint32_t SSE3 = 1u << 0, MONITOR = 1u << 3, SSSE3 = 1u << 9, HYPERVISOR = 1u << 31;
// CPUID.80000001 EDX, CPUID.7.0 EBX and ECX
inline constexpr uint32_t EXT_RDTSCP = 1u << 27;
inline constexpr uint32_t LEAF7_SMEP = 1u << 7, LEAF7_SMAP = 1u << 20;  // EBX
inline constexpr uint32_t LEAF7_RDPID = 1u << 22;                       // ECX
}  // namespace cpuid_bit

// What prevt virtualizes: every profile must stay within these. (x2APIC and TSC-deadline join
// here when they are offered; so do their CPUID bits in kMax, cpu_profiles.hpp.)
inline constexpr uint32_t kVirtualizedEdx =
    cpuid_bit::FPU | cpuid_bit::PSE | cpuid_bit::TSC | cpuid_bit::MSR | cpuid_bit::CX8 |
    cpuid_bit::DE |                    // CR4.DE: I/O breakpoints (core/emulate/io.cpp)
    cpuid_bit::APIC |                  // the local APIC (devices/local_apic.hpp)
    cpuid_bit::SEP | cpuid_bit::PGE |  // global pages: the shadow MMU
    cpuid_bit::CMOV | cpuid_bit::MMX | cpuid_bit::FXSR | cpuid_bit::SSE | cpuid_bit::SSE2;
// The hypervisor bit is no feature: it says that a monitor is there, as QEMU and KVM say it
// (Linux then skips what only bare metal needs, and a guest that wants to know can know).
inline constexpr uint32_t kVirtualizedEcx =
    cpuid_bit::SSE3 | cpuid_bit::SSSE3 | cpuid_bit::HYPERVISOR;

// RDTSCP and RDPID: callouts that read the virtual IA32_TSC_AUX (system.cpp).
inline constexpr uint32_t kVirtualizedExtEdx = cpuid_bit::EXT_RDTSCP;
inline constexpr uint32_t kVirtualizedLeaf7Ecx = cpuid_bit::LEAF7_RDPID;
// SMEP and SMAP: CR4.SMEP/SMAP and EFLAGS.AC in the walker (shadowmmu/pagetable.hpp), which
// the translator's fetches and the shadow MMU's faults go through; stac/clac callouts.
inline constexpr uint32_t kVirtualizedLeaf7Ebx = cpuid_bit::LEAF7_SMEP | cpuid_bit::LEAF7_SMAP;

// One CPUID answer: EAX EBX ECX EDX.
struct CpuidRegs {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// A named CPU (QEMU's -cpu NAME): what each CPUID leaf answers and which MSRs exist. Values
// live in cpu_profiles.hpp; cpuid.cpp and msrs.cpp answer from them, nothing else.
struct CpuProfile {
    const char* name;     // -cpu NAME
    const char* summary;  // -cpu help's line
    char vendor[13];      // CPUID.0 EBX EDX ECX
    uint32_t max_leaf;    // CPUID.0 EAX
    uint32_t signature;   // CPUID.1 EAX: stepping, model, family
    uint32_t edx, ecx;    // CPUID.1 features: the part's, less what prevt does not virtualize
    CpuidRegs leaf2;      // cache and TLB descriptors, as the part answers
    // CPUID.4 (deterministic cache parameters), subleaf by subleaf up to the first of type 0
    // (a zero EAX): for one core with one thread, as prevt has.
    CpuidRegs leaf4[4];
    uint32_t ext_max;  // CPUID.80000000 EAX; 0: no extended leaves (they answer as above max)
    uint32_t ext_edx, ext_ecx;  // CPUID.80000001 (NX, LM, SYSCALL, RDTSCP, LAHF64: none yet)
    char brand[49];             // CPUID.80000002-80000004, NUL-padded
    uint32_t l2_80000006;       // CPUID.80000006 ECX: the L2 cache
    uint32_t address_bits;      // CPUID.80000008 EAX: linear << 8 | physical
    // MSRs the part implies (SDM vol. 4).
    uint64_t platform_id;  // IA32_PLATFORM_ID (0x17), read-only
    uint32_t microcode;    // IA32_BIOS_SIGN_ID (0x8b) bits 63:32 after cpuid leaf 1
    bool misc_enable;      // IA32_MISC_ENABLE (0x1a0) exists (Pentium 4, Pentium M, Atom; not P6)
    // IA32_EFER (0xc0000080) exists: it reads 0 and takes only 0, since prevt implements none
    // of its bits (no SYSCALL, NX or long mode). `max` has it, for guests that read it to
    // learn the mode (kvm-unit-tests' la57).
    bool efer = false;
    uint32_t leaf7_ebx = 0;  // CPUID.7.0 EBX (SMEP, SMAP)
    uint32_t leaf7_ecx = 0;  // CPUID.7.0 ECX (RDPID); leaves 7's other registers are 0

    // Whether the profiled CPU has the instruction at all (its ISA set, and for the few sets
    // that several CPUID bits share, the mnemonic's own bit).
    constexpr bool offers(const ZydisDecodedInstruction& in) const;
    // Whether it has LZCNT/TZCNT: without them `rep bsr`/`rep bsf` are bsr/bsf (the decoder
    // is told so, see decoder_modes()).
    constexpr bool has_lzcnt() const { return false; }
    // Invariant: a profile offers only what prevt virtualizes.
    constexpr bool within_virtualized() const {
        return (edx & ~kVirtualizedEdx) == 0 && (ecx & ~kVirtualizedEcx) == 0 &&
               (ext_edx & ~kVirtualizedExtEdx) == 0 && ext_ecx == 0 &&
               (leaf7_ecx & ~kVirtualizedLeaf7Ecx) == 0 &&
               (leaf7_ebx & ~kVirtualizedLeaf7Ebx) == 0 &&
               (max_leaf >= 7 || (leaf7_ecx == 0 && leaf7_ebx == 0));
    }
    // IA32_TSC_AUX (0xc0000103) exists with RDTSCP or RDPID.
    constexpr bool has_tsc_aux() const {
        return (ext_edx & cpuid_bit::EXT_RDTSCP) || (leaf7_ecx & cpuid_bit::LEAF7_RDPID);
    }
};

// The allowlist's data: each ISA set prevt knows, with the CPUID.1 EDX and ECX bits that
// offer it (0: every i686 has it). An ISA set not listed is never offered, whatever CPUID
// says: MONITOR/MWAIT (privileged, ISA set MONITOR) among them.
struct IsaSetRequirement {
    ZydisISASet set;
    uint32_t edx;
    uint32_t ecx = 0;
    ZydisISAExt only = ZYDIS_ISA_EXT_INVALID;  // the set's instructions of this extension only
    uint32_t ext_edx = 0;                      // CPUID.80000001 EDX bits
    uint32_t leaf7_ecx = 0;                    // CPUID.7.0 ECX bits
    uint32_t leaf7_ebx = 0;                    // CPUID.7.0 EBX bits
};
inline constexpr IsaSetRequirement kIsaSets[] = {
    {ZYDIS_ISA_SET_I86, 0},
    {ZYDIS_ISA_SET_I186, 0},
    {ZYDIS_ISA_SET_I286PROTECTED, 0},
    {ZYDIS_ISA_SET_I286REAL, 0},
    {ZYDIS_ISA_SET_I386, 0},
    {ZYDIS_ISA_SET_I486, 0},         // rsm (#UD outside SMM: the table's callout)
    {ZYDIS_ISA_SET_I486REAL, 0},     // cmpxchg xadd bswap (invd wbinvd invlpg: privileged)
    {ZYDIS_ISA_SET_LAHF, 0},         // lahf/sahf: the CPUID bit is for 64-bit mode only
    {ZYDIS_ISA_SET_PENTIUMREAL, 0},  // cmpxchg8b rdtsc rdmsr wrmsr: per mnemonic, below
    {ZYDIS_ISA_SET_PPRO, 0},         // ud2, hint nops (0f 19-1e), sysenter/sysexit (SEP)
    {ZYDIS_ISA_SET_FAT_NOP, 0},      // nop r/m (0f 1f)
    {ZYDIS_ISA_SET_PREFETCH_NOP, 0, 0, ZYDIS_ISA_EXT_BASE},  // 0f 0d /2-7 as nops (not 3DNow!)
    {ZYDIS_ISA_SET_RDPMC, 0},                                // the table's callout
    {ZYDIS_ISA_SET_PAUSE, 0},  // rep nop: a nop on an i686, pause on the host
    {ZYDIS_ISA_SET_CMOV, cpuid_bit::CMOV},
    {ZYDIS_ISA_SET_FCMOV, cpuid_bit::CMOV | cpuid_bit::FPU},
    {ZYDIS_ISA_SET_X87, cpuid_bit::FPU},
    {ZYDIS_ISA_SET_PENTIUMMMX, cpuid_bit::MMX},  // (Zydis puts SSE's MMX-register forms here)
    {ZYDIS_ISA_SET_SSE, cpuid_bit::SSE},
    {ZYDIS_ISA_SET_SSEMXCSR, cpuid_bit::SSE},
    {ZYDIS_ISA_SET_SSE_PREFETCH, cpuid_bit::SSE},
    {ZYDIS_ISA_SET_FXSAVE, cpuid_bit::FXSR},
    {ZYDIS_ISA_SET_SSE2, cpuid_bit::SSE2},
    {ZYDIS_ISA_SET_SSE2MMX, cpuid_bit::SSE2},
    // SSE3 and SSSE3: arithmetic and moves on XMM/MMX registers and memory, and fisttp (an
    // x87 store): each innocuous at host ring 3, run natively like SSE2 (fpu_control.hpp
    // puts them under CR0/CR4 like SSE, fisttp like x87). monitor/mwait are not here.
    {ZYDIS_ISA_SET_SSE3, 0, cpuid_bit::SSE3},
    {ZYDIS_ISA_SET_SSE3X87, cpuid_bit::FPU, cpuid_bit::SSE3},
    {ZYDIS_ISA_SET_SSSE3, 0, cpuid_bit::SSSE3},
    {ZYDIS_ISA_SET_SSSE3MMX, cpuid_bit::MMX, cpuid_bit::SSSE3},
    // The table's callouts: they read the virtual IA32_TSC_AUX.
    {ZYDIS_ISA_SET_RDTSCP, 0, 0, ZYDIS_ISA_EXT_INVALID, cpuid_bit::EXT_RDTSCP},
    {ZYDIS_ISA_SET_RDPID, 0, 0, ZYDIS_ISA_EXT_INVALID, 0, cpuid_bit::LEAF7_RDPID},
    // stac/clac: callouts that set and clear the virtual AC (system.cpp).
    {ZYDIS_ISA_SET_SMAP, 0, 0, ZYDIS_ISA_EXT_INVALID, 0, 0, cpuid_bit::LEAF7_SMAP},
};

// Mnemonics whose own CPUID bit is finer than their ISA set's.
inline constexpr uint32_t mnemonic_requirement(ZydisMnemonic m, ZydisISAExt ext) {
    switch (m) {
        case ZYDIS_MNEMONIC_CMPXCHG8B: return cpuid_bit::CX8;
        case ZYDIS_MNEMONIC_RDTSC: return cpuid_bit::TSC;
        case ZYDIS_MNEMONIC_RDMSR:
        case ZYDIS_MNEMONIC_WRMSR: return cpuid_bit::MSR;
        case ZYDIS_MNEMONIC_SYSENTER:
        case ZYDIS_MNEMONIC_SYSEXIT: return cpuid_bit::SEP;
        case ZYDIS_MNEMONIC_FCOMI:
        case ZYDIS_MNEMONIC_FCOMIP:
        case ZYDIS_MNEMONIC_FUCOMI:
        case ZYDIS_MNEMONIC_FUCOMIP: return cpuid_bit::CMOV | cpuid_bit::FPU;
        // SSE's integer additions on MMX registers (Zydis: MMX/PENTIUMMMX or MMX/SSE).
        case ZYDIS_MNEMONIC_MASKMOVQ:
        case ZYDIS_MNEMONIC_MOVNTQ:
        case ZYDIS_MNEMONIC_PAVGB:
        case ZYDIS_MNEMONIC_PAVGW:
        case ZYDIS_MNEMONIC_PEXTRW:
        case ZYDIS_MNEMONIC_PINSRW:
        case ZYDIS_MNEMONIC_PMAXSW:
        case ZYDIS_MNEMONIC_PMAXUB:
        case ZYDIS_MNEMONIC_PMINSW:
        case ZYDIS_MNEMONIC_PMINUB:
        case ZYDIS_MNEMONIC_PMOVMSKB:
        case ZYDIS_MNEMONIC_PMULHUW:
        case ZYDIS_MNEMONIC_PSADBW:
        case ZYDIS_MNEMONIC_PSHUFW: return ext == ZYDIS_ISA_EXT_MMX ? cpuid_bit::SSE : 0;
        default: return 0;
    }
}

constexpr bool CpuProfile::offers(const ZydisDecodedInstruction& in) const {
    if (in.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) return false;  // VEX EVEX XOP 3DNow
    for (const IsaSetRequirement& r : kIsaSets) {
        if (r.set != in.meta.isa_set) continue;
        if (r.only != ZYDIS_ISA_EXT_INVALID && r.only != in.meta.isa_ext) return false;
        const uint32_t need = r.edx | mnemonic_requirement(in.mnemonic, in.meta.isa_ext);
        return (edx & need) == need && (ecx & r.ecx) == r.ecx &&
               (ext_edx & r.ext_edx) == r.ext_edx && (leaf7_ecx & r.leaf7_ecx) == r.leaf7_ecx &&
               (leaf7_ebx & r.leaf7_ebx) == r.leaf7_ebx;
    }
    return false;
}

// The decoder as the profiled CPU decodes: without LZCNT/TZCNT `f3 0f bd` is bsr with an
// ignored rep; without CET `f3 0f 1e fa` is a hint nop; without MPX or CLDEMOTE their
// encodings are hint nops too.
inline void decoder_modes(ZydisDecoder* d, const CpuProfile& p) {
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_LZCNT, p.has_lzcnt());
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_TZCNT, p.has_lzcnt());
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CET, false);
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MPX, false);
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CLDEMOTE, false);
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_WBNOINVD, false);
}

// The one decoder setup for guest code: the mode (CS.D: the code size; SS.B: the stack width)
// and the profile's decoding. Every decoder of guest bytes is made here.
inline void init_guest_decoder(ZydisDecoder* d, bool code32, bool stack32, const CpuProfile& p) {
    ZydisDecoderInit(d, code32 ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
                     stack32 ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
    decoder_modes(d, p);
}

// The translation cache's own code (32-bit, decoded as the host runs it): listings, counts.
inline void init_cache_decoder(ZydisDecoder* d) {
    ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
}

}  // namespace prevt
