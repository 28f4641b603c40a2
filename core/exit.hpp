// The exit vocabulary: every engine (trap, bt, kvm) stops running guest code for one of these
// reasons, and the run loop (run_loop.cpp) serves each in one switch. Devices are reached only
// from there, so they serve all engines the same way.
#pragma once

#include <cstdint>

namespace prevt {

struct Decoded;

enum class ExitReason : uint8_t {
    kEmulate,      // an instruction the virtual CPU must execute (privileged, I/O, segment...)
    kException,    // a guest exception raised by guest code (vector, error code, CR2)
    kSoftwareInt,  // int n / int $0x80 reaching the monitor: deliver through the guest IDT
    kIo,           // port I/O decoded by the engine (kvm): port, size, direction, data
    kMmio,         // MMIO access decoded by the engine (kvm)
    kHalt,         // hlt executed by the engine itself (kvm)
    kTimer,        // the host timer signal interrupted the guest
    kMemoryMap,    // an access no host mapping serves (MMIO, a store into ROM or unassigned
                   // memory): the virtual CPU runs the instruction through the memory map
    kShutdown,     // the engine saw a triple fault (kvm)
    kEscape,       // the guest left its sandbox (trap engine: reached 64-bit mode)
    kHostLimit,    // the host cannot run this guest state (kvm-pvm, emulation failure)
    kDebugStop,    // the engine stopped after one instruction for the monitor (the exec
                   // trace's single-step; a debugger's step or breakpoint)
    kHandled,      // inside an engine only: the event was dealt with there, run on. The
                   // run loop never sees it (if it did, that is a bug: an internal error)
    kCount         // not a reason: the number of them. Anything else is unknown: an error
};

const char* exit_reason_name(ExitReason r);

struct Exit {
    ExitReason reason = ExitReason::kEmulate;
    // kException: the guest's exception; kSoftwareInt: the vector (no error code); kEmulate:
    // the fault the guest gets if the virtual CPU has no form for the instruction (the native
    // fault behind the exit; #UD at a callout). (kMemoryMap has none: such an instruction
    // stops the guest.)
    uint8_t vector = 0;
    bool has_error = false;
    uint32_t error_code = 0;
    uint32_t address = 0;              // kException #PF: CR2; kMemoryMap: linear; kMmio: physical
    uint32_t next_eip = 0;             // kSoftwareInt: the return address to push
    uint16_t port = 0;                 // kIo
    uint8_t size = 0;                  // kIo / kMmio access width in bytes
    bool write = false;                // kIo / kMmio
    uint32_t count = 1;                // kIo string repetitions
    uint8_t* data = nullptr;           // kIo / kMmio data buffer owned by the engine
    int host_signal = 0;               // the host signal behind this exit, 0 if none (for --stats)
    const char* detail = "";           // kEscape / kHostLimit: one line for the user
    const Decoded* decoded = nullptr;  // kEmulate: the instruction at EIP, if the engine has it
};

}  // namespace prevt
