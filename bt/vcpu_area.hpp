// The layout of the monitor's area at the top of the guest's 4 GiB (core/native/layout.hpp):
// what translated code needs below 4 GiB and no guest segment can reach. This is the
// translator's contract: the code it emits reads and writes these addresses and offsets.
// The area itself (the fixed mappings, the 64-bit callout stub) is substrate:
// core/native/monitor_area.hpp.
//
//   kStubPage     4 KiB   64-bit code: the callout stub (translated code far-jumps here)
//   kVcpuArea     128 KiB per-vCPU data, reached only through %gs from translated code
//   kCacheBase..  ~31 MiB the translation cache: read/execute below 4 GiB, written by the
//                         monitor through a second, writable mapping of the same memfd
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/native/layout.hpp"

namespace prevt::bt {

inline constexpr uint32_t kStubPage = native::kMonitorBase;
inline constexpr uint32_t kVcpuArea = native::kMonitorBase + 0x1000;
inline constexpr uint32_t kVcpuAreaSize = 0x44000;
inline constexpr uint32_t kCacheBase = native::kMonitorBase + 0x100000;
inline constexpr uint32_t kCacheEnd = 0xfffff000;

// Why translated code called out (VcpuArea::exit_kind).
enum ExitKind : uint32_t { kExitEmulate = 1, kExitDispatch = 2 };

// The per-vCPU area as translated code sees it at %gs:0. Its first page holds what translated
// code writes (scratch, virtual flags and selectors); the second what it only reads - above
// all what it jumps through (the callout far pointer, the sysenter/sysexit paths) - and is
// read-only in the guest's view (the monitor writes it through its alias). The kOff* offsets
// are part of the code the translator emits (emit.cpp) and derived from this struct.
struct VcpuArea {
    // Page 0: written by translated code.
    uint32_t exit_kind;    // ExitKind
    uint32_t exit_eip;     // guest EIP to emulate or to continue at
    uint32_t exit_link;    // cache address of the rel32 jump to chain, 0 if none
    uint32_t ibl_bias;     // the lookup table in use (0: kernel, kIblEntries: user), in entries
    uint32_t lookup_hits;  // indirect branches the lookup routine found (for --stats)
    uint32_t viopl;        // the guest's IOPL as EFLAGS bits (0 .. 0x3000)
    uint64_t save_rax;     // 24: the 64-bit stub's scratch (world_switch.S: %gs:24)
    uint32_t save_eax;     // the lookup routine's scratch
    uint32_t save_ebx;
    uint32_t save_flags;  // AH = SF ZF AF PF CF (lahf), AL = OF (seto)
    uint32_t ibl_target;  // the guest EIP an indirect branch goes to
    uint32_t jump_to;     // its cache address, when the lookup hits
    uint32_t vnt;         // the guest's NT as an EFLAGS bit (also live in hardware)
    uint32_t vsel[6];     // the guest's selectors, indexed by SegReg
    uint32_t save_fs;     // FS's selector while FS stands in for the guest's GS (fs-swap)
    uint8_t pad_page0[0x1000 - 84];
    // Page 1: read-only in the guest's view.
    uint32_t far_offset;    // the far pointer translated code jumps through: kStubPage
    uint16_t far_selector;  // ... : the host's 64-bit code selector
    uint16_t pad0;
    // Inline sysenter (CPL 3 -> 0), prepared by the engine from the SYSENTER MSRs:
    uint32_t sysenter_path;  // cache address: the inline routine, or its callout
    uint32_t sysenter_esp;
    uint32_t sysenter_eip;
    uint32_t sysenter_ss;   // the host (shadow) selector for the new SS
    uint32_t sysenter_vcs;  // the guest's new CS and SS selectors
    uint32_t sysenter_vss;
    uint32_t sysenter_ds, sysenter_es, sysenter_fs;  // host selectors (kernel variants)
    // Inline sysexit (CPL 0 -> 3): the user variants of SS, DS, ES, FS and the new CS/SS.
    uint32_t sysexit_path;
    uint32_t sysexit_ss, sysexit_ds, sysexit_es;
    uint32_t sysexit_fs, sysexit_vcs, sysexit_vss;
    // For fs-swap (a copied access through the guest's GS, or through CS as data): the host
    // selectors FS takes, [0] for translations made at CPL 0 (the kernel variant), [1] at
    // CPL 1-3 (the user variant, ending at the user ceiling: an inline sysexit reaches user
    // code without an exit, so both are kept ready).
    uint32_t guest_gs[2];
    uint32_t guest_cs_data[2];
    // Nonzero while the guest's NMI handler runs (VcpuState::nmi_blocked): every iret calls
    // out, for the virtual CPU to end the blocking.
    uint32_t iret_exits;
    // Entries with a 16-bit SS (real mode, 16-bit stacks): the iretq into the guest loads only
    // SP, ESP's upper half being the host kernel's (Linux's espfix64), so the entry goes
    // through the stack-16 routine (emit.hpp), which loads ESP whole, then jumps on.
    uint32_t entry_esp;
    uint32_t entry_eip;  // the cache address it jumps to
    // ... and for the accesses through GS whose offsets wrap around 4 GiB (glibc's TLS at
    // negative offsets): GS as an expand-down segment holding only those offsets
    // (BtEngine::prepare_fs_swap), [0] kernel and [1] user variant as above.
    uint32_t guest_gs_wrap[2];
};
inline constexpr uint32_t kWritablePage = 0, kReadOnlyPage = 0x1000;
#define PREVT_OFF(field) static_cast<uint32_t>(offsetof(VcpuArea, field))
inline constexpr uint32_t kOffExitKind = PREVT_OFF(exit_kind), kOffExitEip = PREVT_OFF(exit_eip),
                          kOffExitLink = PREVT_OFF(exit_link), kOffFarPtr = PREVT_OFF(far_offset),
                          kOffIblBias = PREVT_OFF(ibl_bias), kSaveRaxOffset = PREVT_OFF(save_rax),
                          kOffSaveEax = PREVT_OFF(save_eax), kOffSaveEbx = PREVT_OFF(save_ebx),
                          kOffSaveFlags = PREVT_OFF(save_flags),
                          kOffIblTarget = PREVT_OFF(ibl_target), kOffJumpTo = PREVT_OFF(jump_to),
                          kOffLookupHits = PREVT_OFF(lookup_hits), kOffViopl = PREVT_OFF(viopl),
                          kOffVnt = PREVT_OFF(vnt), kOffVsel = PREVT_OFF(vsel),
                          kOffSysenterPath = PREVT_OFF(sysenter_path),
                          kOffSysenterEsp = PREVT_OFF(sysenter_esp),
                          kOffSysenterEip = PREVT_OFF(sysenter_eip),
                          kOffSysenterSs = PREVT_OFF(sysenter_ss),
                          kOffSysenterVcs = PREVT_OFF(sysenter_vcs),
                          kOffSysenterVss = PREVT_OFF(sysenter_vss),
                          kOffSysenterDs = PREVT_OFF(sysenter_ds),
                          kOffSysenterEs = PREVT_OFF(sysenter_es),
                          kOffSysenterFs = PREVT_OFF(sysenter_fs),
                          kOffSysexitPath = PREVT_OFF(sysexit_path),
                          kOffSysexitSs = PREVT_OFF(sysexit_ss),
                          kOffSysexitDs = PREVT_OFF(sysexit_ds),
                          kOffSysexitEs = PREVT_OFF(sysexit_es),
                          kOffSysexitFs = PREVT_OFF(sysexit_fs),
                          kOffSysexitVcs = PREVT_OFF(sysexit_vcs),
                          kOffSysexitVss = PREVT_OFF(sysexit_vss), kOffSaveFs = PREVT_OFF(save_fs),
                          kOffIretExits = PREVT_OFF(iret_exits), kOffGuestGs = PREVT_OFF(guest_gs),
                          kOffGuestCsData = PREVT_OFF(guest_cs_data),
                          kOffEntryEsp = PREVT_OFF(entry_esp), kOffEntryEip = PREVT_OFF(entry_eip),
                          kOffGuestGsWrap = PREVT_OFF(guest_gs_wrap);
// The user variants of the two, 4 bytes on.
inline constexpr uint32_t kFsSwapUserVariant = 4;
#undef PREVT_OFF
static_assert(kSaveRaxOffset == 24, "world_switch.S reads the parked RAX at %gs:24");
static_assert(kSaveRaxOffset < 128, "the stub encodes it as a disp32 with one non-zero byte");
static_assert(kOffSaveFs + 4 <= 0x1000 && kOffFarPtr == kReadOnlyPage);
// For popf: the virtual IF and IOPL bits implied by byte 1 of a popped EFLAGS value, as
// 256-entry tables of 32-bit words (flag-free lookups: movzbl + an indexed mov), read-only.
inline constexpr uint32_t kIfOfByte1 = 0x1100, kIoplOfByte1 = 0x1500, kNtOfByte1 = 0x1900;
static_assert(sizeof(VcpuArea) <= kIfOfByte1);
// The indirect-branch lookup tables at %gs:kIblTable, one for guest CPL 0-2 and one for CPL 3
// (a system call then keeps both warm): kIblEntries pairs (guest EIP, cache address) each,
// direct-mapped by ibl_index(); an empty slot holds kIblEmpty. Read-only.
// Measured (Linux, 500 fork/execs): with 4096 entries indexed by the EIP's low bits, the
// kernel's table missed 820,000 times, mostly return addresses 64 KiB apart evicting each
// other; 16,384 entries indexed with the page number folded in miss (docs/translator.md).
inline constexpr uint32_t kIblTable = 0x2000, kIblEntries = 16384, kIblEmpty = 0xffffffff;
inline constexpr uint32_t kIblHashShift = 12;  // the lookup routine computes the same
inline constexpr uint32_t ibl_index(uint32_t eip) {
    return (eip ^ (eip >> kIblHashShift)) & (kIblEntries - 1);
}
inline constexpr uint32_t kReadOnlyEnd = kIblTable + 2 * kIblEntries * 8;
static_assert(kNtOfByte1 + 0x400 <= kIblTable);
// The guest's IF as an EFLAGS bit (0 or 0x200), alone on the area's last page: while an
// interrupt waits for the guest to set IF, the monitor makes that page read-only in the
// guest's view, so every inline cli/sti/popf/iret store to it exits (at an exact point).
inline constexpr uint32_t kVifPage = 0x43000, kOffVif = kVifPage;
static_assert(kReadOnlyEnd <= kVifPage && kVifPage + 0x1000 == kVcpuAreaSize);
// The local APIC's TPR (devices::TprSlot, bound there), alone on the page below: a guest
// store to the TPR translated as a store to %gs:kOffTpr. While an interrupt is pending the
// page is read-only in the guest's view, so such a store exits (at an exact point) and the
// virtual CPU runs it through the APIC, which may then deliver (bt_tpr.cpp).
inline constexpr uint32_t kTprPage = 0x42000, kOffTpr = kTprPage;
static_assert(kReadOnlyEnd <= kTprPage && kTprPage + 0x1000 == kVifPage);

}  // namespace prevt::bt
