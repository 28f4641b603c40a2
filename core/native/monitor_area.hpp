// The monitor's area (bt/vcpu_area.hpp gives its layout): the fixed mappings at the top of
// the guest's 4 GiB, the monitor's writable alias of them, the 64-bit callout stub that
// leaves translated code for prevt_bt_callout_entry (world_switch.S), the per-vCPU area's
// read-only tables, and the interrupt-window page. Substrate for the bt engine.
#pragma once

#include <cstdint>

#include "bt/vcpu_area.hpp"
#include "core/native/layout.hpp"

namespace prevt::native {

class MonitorArea {
public:
    MonitorArea();  // maps the area (once per process: it is a fixed address range)
    ~MonitorArea();
    MonitorArea(const MonitorArea&) = delete;
    MonitorArea& operator=(const MonitorArea&) = delete;

    // The monitor's writable view of a low address of the area.
    uint8_t* writable(uint32_t low) const { return alias_ + (low - kMonitorBase); }
    bt::VcpuArea& vcpu() const { return *reinterpret_cast<bt::VcpuArea*>(writable(bt::kVcpuArea)); }
    // Table `user` (0 or 1): bt::kIblEntries (guest EIP, cache address) pairs.
    uint32_t* ibl_table(int user) const {
        return reinterpret_cast<uint32_t*>(writable(bt::kVcpuArea + bt::kIblTable)) +
               2 * user * bt::kIblEntries;
    }
    void clear_ibl(int user);
    // Empty slots hold (kIblEmpty, `target`): a lookup of EIP 0xffffffff must not jump to 0.
    void set_ibl_empty_target(uint32_t target) { ibl_empty_target_ = target; }
    uint32_t& vif() const {
        return *reinterpret_cast<uint32_t*>(writable(bt::kVcpuArea + bt::kOffVif));
    }
    // The interrupt window: the vif page read-only (true) or writable in the guest's view.
    void trap_vif_stores(bool on);
    // The TPR page (bt::kTprPage): the monitor's view of it, and read-only (true) or writable
    // in the guest's view.
    void* tpr_page() const { return writable(bt::kVcpuArea + bt::kTprPage); }
    void trap_tpr_stores(bool on);
    void clear_ibl() {
        clear_ibl(0);
        clear_ibl(1);
    }

private:
    int fd_ = -1;
    uint8_t* alias_ = nullptr;
    uint32_t ibl_empty_target_ = 0;
};

}  // namespace prevt::native
