// The guest's linear memory as the virtual CPU sees it at this moment: physical while CR0.PG
// is clear, through the guest's page tables when it is set.
#pragma once

#include "core/emulate/linear_memory.hpp"
#include "core/emulate/paged_memory.hpp"
#include "core/vcpu_state.hpp"

namespace prevt {

class GuestLinearMemory final : public LinearMemory {
public:
    GuestLinearMemory(GuestMemory& ram, const VcpuState& s) : s_(s), flat_(ram), paged_(ram, s) {}
    void read(uint32_t linear, void* out, unsigned len, bool user) override {
        if (s_.paging())
            paged_.read(linear, out, len, user);
        else
            flat_.read(linear, out, len, user);
    }
    void fetch(uint32_t linear, void* out, unsigned len, bool user) override {
        if (s_.paging())
            paged_.fetch(linear, out, len, user);
        else
            flat_.read(linear, out, len, user);
    }
    void write(uint32_t linear, const void* in, unsigned len, bool user) override {
        if (s_.paging())
            paged_.write(linear, in, len, user);
        else
            flat_.write(linear, in, len, user);
    }

    // The A20 gate, applied while paging is off (not to the page walker's physical addresses).
    void set_a20(bool enabled) { flat_.set_a20(enabled); }

private:
    const VcpuState& s_;
    FlatPhysicalMemory flat_;
    PagedMemory paged_;
};

}  // namespace prevt
