// The shadow MMU's host side for the native engines (shadowmmu/shadow.hpp): guest-linear
// pages are mappings of the guest-RAM memfd in the process's low 4 GiB (address_space.hpp),
// the walker reads guest page tables from guest memory (GuestTables, paged_memory.hpp). bt maps
// guest RAM non-executable at kPageZeroOffset; trap maps it executable at offset 0.
#pragma once

#include "core/guest_memory.hpp"
#include "core/memory_map.hpp"
#include "core/native/address_space.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt::native {

class NativeShadowHost final : public shadowmmu::ShadowHost {
public:
    // `offset`: host address of guest-linear 0; `executable`: guest code runs natively from
    // these pages (trap).
    NativeShadowHost(const GuestMemory& ram, uint64_t offset, bool executable)
        : ram_(ram), offset_(offset), executable_(executable) {}
    // By the memory map: RAM as the guest allows, ROM and unassigned memory (the all-ones
    // page) read-only, MMIO never mapped.
    shadowmmu::FrameKind frame_kind(uint32_t frame) const override {
        switch (ram_.map().find(frame).kind) {
            case MemoryMap::Kind::kRam: return shadowmmu::FrameKind::kRam;
            case MemoryMap::Kind::kMmio: return shadowmmu::FrameKind::kUnmappable;
            case MemoryMap::Kind::kRom:
            case MemoryMap::Kind::kUnassigned: break;
        }
        return shadowmmu::FrameKind::kReadOnly;
    }
    void map_identity() override { space().map_flat(ram_, offset_, executable_); }
    void map(uint32_t page, uint32_t frame, bool writable) override {
        space().map_page(page, frame, writable, ram_);
    }
    void unmap(uint32_t page) override { space().unmap(page, shadowmmu::kPageSize); }
    void unmap_range(uint32_t first, uint64_t bytes) override {
        space().unmap(first, static_cast<uint32_t>(bytes));
    }
    void protect(uint32_t page, bool writable) override { space().protect(page, writable); }
    void unmap_all() override { space().clear_guest(); }
    bool over_budget() const override { return space().over_budget(); }

private:
    static AddressSpace& space() { return AddressSpace::instance(); }
    const GuestMemory& ram_;
    uint64_t offset_;
    bool executable_;
};

}  // namespace prevt::native
