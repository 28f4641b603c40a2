// The block builder: decodes guest code with Zydis, classifies each instruction through the
// table (classify.hpp) and emits its translation into a code buffer:
//   copy      innocuous instructions the profile offers, byte for byte
//   retarget  direct jmp/jcc/call/loop: re-targeted at exit stubs, chained later
//   callout   everything else: the instruction runs on the virtual CPU in the monitor
// A block ends at a control transfer, a callout, or kMaxInstructions.
#pragma once

#include <Zydis/Zydis.h>

#include <functional>
#include <string>
#include <unordered_set>

#include "bt/block.hpp"
#include "bt/emit.hpp"
#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/fpu_control.hpp"

namespace prevt::bt {

// Copies up to `max` guest code bytes at a linear address; returns how many it could read.
using CodeReader = std::function<unsigned(uint32_t linear, uint8_t* out, unsigned max)>;
// Receives one line per guest instruction for `--trace in_asm,out_asm`, or nothing.
using Listing = std::function<void(const std::string&)>;

inline constexpr unsigned kMaxInstructions = 48;
// A map entry after which the guest state is not exact (an indirect branch is under way).
inline constexpr uint32_t kInexact = 0xffffffff;

// What a translation depends on besides the guest's bytes (blocks are cached per context).
struct TranslationContext {
    uint32_t cs_base = 0;
    uint32_t eip = 0;
    bool cpl0 = true;     // inline cli/sti/pushf/popf need the guest at CPL 0
    bool stack32 = true;  // ... and a 32-bit stack
    bool code32 = true;   // the guest's CS.D: 16-bit code is re-encoded for the 32-bit cache
    // CS's limit: a branch to beyond it is a callout (the virtual CPU raises its #GP(0));
    // the code reader stops there (an instruction that crosses it is fetched by the virtual CPU).
    uint32_t cs_limit = 0xffffffff;
    uint32_t lookup_routine = 0;      // cache address of the indirect-branch lookup
    uint32_t lookup_flags_saved = 0;  // ... and of its second entry (see emit_lookup_routine)
    // The guest's CPU: which instructions exist (the rest is #UD).
    const CpuProfile* profile = &default_profile();
    // CR0.TS/EM/MP and CR4.OSFXSR: an FPU/MMX/SSE instruction they make fault is a callout
    // that raises the fault (fpu_control.hpp). (Default: FPU and SSE usable.)
    FpuControl fpu{false, false, false, true};
    // rdtsc runs natively while the virtual TSC is the host's: no guest TSC write, and CR4.TSD
    // clear or the guest at CPL 0.
    bool native_tsc = true;
    // -smp: pause (a spin-wait loop's hint) is a callout, so that the spinning vCPU gives the
    // host thread to the one it waits for (fixed for a run: not in the key).
    bool pause_exits = false;
    // iretd to the same CS inline: the CS selector and its descriptor as the guest's table
    // holds it (see IretCheck; descriptor_host 0: the callout).
    IretCheck iret_check{};
    // CR4.SMAP: EFLAGS.AC decides what CPL 0 may touch (the shadow MMU follows it at each
    // entry), so popf and iret, which load AC, are callouts at CPL 0 (as stac/clac are).
    bool smap = false;
    // Adaptive translation: guest-linear addresses of instructions to translate as callouts.
    const std::unordered_set<uint32_t>* callouts = nullptr;
    // ... and of %gs accesses whose offsets wrap around 4 GiB: copied through guest_gs_wrap.
    const std::unordered_set<uint32_t>* gs_wraps = nullptr;
    // ... and of stores to the local APIC's TPR (an absolute `mov` at CPL 0): translated as a
    // store to %gs:kOffTpr, the TPR's slot (the engine learns them and keeps them valid).
    const std::unordered_set<uint32_t>* tpr_stores = nullptr;
    // A debugger's stops (core/debug/debug_stops.hpp): a block ends before any of these
    // guest-linear addresses (its fall-through exit goes to the monitor, which stops there),
    // and with `single` every block is one instruction (the debugger's step). The engine
    // flushes the cache when they change: they are not in the key.
    const std::unordered_set<uint32_t>* stops = nullptr;
    bool single = false;
};

Block translate_block(const CodeReader& read, const TranslationContext& context, CodeBuffer& out,
                      const Listing& listing = nullptr);

}  // namespace prevt::bt
