// The monitor's area at the top of the guest's 4 GiB (core/native/layout.hpp): what
// translated code needs below 4 GiB and no guest segment can reach.
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
inline constexpr uint32_t kVcpuAreaSize = 0x20000;
inline constexpr uint32_t kCacheBase = native::kMonitorBase + 0x100000;
inline constexpr uint32_t kCacheEnd = 0xfffff000;

// Why translated code called out (VcpuArea::exit_kind).
enum ExitKind : uint32_t { kExitEmulate = 1, kExitDispatch = 2 };

// The per-vCPU area as translated code sees it at %gs:0. Offsets are part of the code the
// translator emits (emit.cpp) and of world_switch.S (kSaveRaxOffset).
struct VcpuArea {
    uint32_t exit_kind;     // 0: ExitKind
    uint32_t exit_eip;      // 4: guest EIP to emulate or to continue at
    uint32_t exit_link;     // 8: cache address of the rel32 jump to chain, 0 if none
    uint32_t far_offset;    // 12: the far pointer translated code jumps through: kStubPage
    uint16_t far_selector;  // 16: ... : the host's 64-bit code selector
    uint16_t pad0;
    uint32_t ibl_bias;     // 20: the lookup table in use (0: kernel, kIblEntries: user), in entries
    uint64_t save_rax;     // 24: the 64-bit stub's scratch
    uint32_t save_eax;     // 32: the lookup routine's scratch
    uint32_t save_ebx;     // 36
    uint32_t save_flags;   // 40: AH = SF ZF AF PF CF (lahf), AL = OF (seto)
    uint32_t ibl_target;   // 44: the guest EIP an indirect branch goes to
    uint32_t jump_to;      // 48: its cache address, when the lookup hits
    uint32_t lookup_hits;  // 52: indirect branches the lookup routine found (for --stats)
    uint32_t viopl;        // 56: the guest's IOPL as EFLAGS bits (0 .. 0x3000)
    uint32_t vnt;          // 60: the guest's NT as an EFLAGS bit (also live in hardware)
    uint32_t vsel[6];      // 64: the guest's selectors, indexed by SegReg
    // Inline sysenter (CPL 3 -> 0), prepared by the engine from the SYSENTER MSRs:
    uint32_t sysenter_path;  // 88: cache address: the inline routine, or its callout
    uint32_t sysenter_esp;   // 92
    uint32_t sysenter_eip;   // 96
    uint32_t sysenter_ss;    // 100: the host (shadow) selector for the new SS
    uint32_t sysenter_vcs;   // 104: the guest's new CS and SS selectors
    uint32_t sysenter_vss;   // 108
    uint32_t sysenter_ds, sysenter_es, sysenter_fs;  // 112: host selectors (kernel variants)
    // Inline sysexit (CPL 0 -> 3): the user variants of SS, DS, ES, FS and the new CS/SS.
    uint32_t sysexit_path;                          // 124
    uint32_t sysexit_ss, sysexit_ds, sysexit_es;    // 128
    uint32_t sysexit_fs, sysexit_vcs, sysexit_vss;  // 140
};
inline constexpr uint32_t kOffExitKind = 0, kOffExitEip = 4, kOffExitLink = 8, kOffFarPtr = 12,
                          kOffIblBias = 20, kSaveRaxOffset = 24, kOffSaveEax = 32, kOffSaveEbx = 36,
                          kOffSaveFlags = 40, kOffIblTarget = 44, kOffJumpTo = 48,
                          kOffLookupHits = 52, kOffViopl = 56, kOffVnt = 60, kOffVsel = 64,
                          kOffSysenterPath = 88, kOffSysenterEsp = 92, kOffSysenterEip = 96,
                          kOffSysenterSs = 100, kOffSysenterVcs = 104, kOffSysenterVss = 108,
                          kOffSysenterDs = 112, kOffSysenterEs = 116, kOffSysenterFs = 120,
                          kOffSysexitPath = 124, kOffSysexitSs = 128, kOffSysexitDs = 132,
                          kOffSysexitEs = 136, kOffSysexitFs = 140, kOffSysexitVcs = 144,
                          kOffSysexitVss = 148;
// For popf: the virtual IF and IOPL bits implied by byte 1 of a popped EFLAGS value, as
// 256-entry tables of 32-bit words (flag-free lookups: movzbl + an indexed mov).
inline constexpr uint32_t kIfOfByte1 = 0x100, kIoplOfByte1 = 0x500, kNtOfByte1 = 0x900;
// The indirect-branch lookup tables at %gs:kIblTable, one for guest CPL 0-2 and one for CPL 3
// (a system call then keeps both warm): kIblEntries pairs (guest EIP, cache address) each,
// direct-mapped by the low bits of the EIP; an empty slot holds kIblEmpty.
inline constexpr uint32_t kIblTable = 0x1000, kIblEntries = 4096, kIblEmpty = 0xffffffff;
static_assert(offsetof(VcpuArea, jump_to) == kOffJumpTo);
static_assert(offsetof(VcpuArea, vsel) == kOffVsel);
// The guest's IF as an EFLAGS bit (0 or 0x200), alone on the area's last page: while an
// interrupt waits for the guest to set IF, the monitor makes that page read-only in the
// guest's view, so every inline cli/sti/popf/iret store to it exits (at an exact point).
inline constexpr uint32_t kVifPage = 0x1f000, kOffVif = kVifPage;
static_assert(offsetof(VcpuArea, vnt) == kOffVnt && kNtOfByte1 + 0x400 <= kIblTable);
static_assert(sizeof(VcpuArea) <= kIfOfByte1);
static_assert(kIblTable + 2 * kIblEntries * 8 <= kVifPage && kVifPage + 0x1000 == kVcpuAreaSize);
static_assert(offsetof(VcpuArea, ibl_bias) == kOffIblBias);
static_assert(offsetof(VcpuArea, sysenter_vss) == kOffSysenterVss);
static_assert(offsetof(VcpuArea, sysenter_fs) == kOffSysenterFs);
static_assert(offsetof(VcpuArea, sysexit_vss) == kOffSysexitVss);
static_assert(offsetof(VcpuArea, save_rax) == kSaveRaxOffset);
static_assert(offsetof(VcpuArea, far_offset) == kOffFarPtr);

class MonitorArea {
public:
    MonitorArea();  // maps the area (once per process: it is a fixed address range)
    ~MonitorArea();
    MonitorArea(const MonitorArea&) = delete;
    MonitorArea& operator=(const MonitorArea&) = delete;

    // The monitor's writable view of a low address of the area.
    uint8_t* writable(uint32_t low) const { return alias_ + (low - native::kMonitorBase); }
    VcpuArea& vcpu() const { return *reinterpret_cast<VcpuArea*>(writable(kVcpuArea)); }
    // Table `user` (0 or 1): kIblEntries (guest EIP, cache address) pairs.
    uint32_t* ibl_table(int user) const {
        return reinterpret_cast<uint32_t*>(writable(kVcpuArea + kIblTable)) +
               2 * user * kIblEntries;
    }
    void clear_ibl(int user);
    uint32_t& vif() const { return *reinterpret_cast<uint32_t*>(writable(kVcpuArea + kOffVif)); }
    // The interrupt window: the vif page read-only (true) or writable in the guest's view.
    void trap_vif_stores(bool on);
    void clear_ibl() {
        clear_ibl(0);
        clear_ibl(1);
    }

private:
    int fd_ = -1;
    uint8_t* alias_ = nullptr;
};

}  // namespace prevt::bt
