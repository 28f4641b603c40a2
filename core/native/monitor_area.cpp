#include "core/native/monitor_area.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/native/native_context.hpp"

namespace prevt::native {

using namespace bt;  // the layout (bt/vcpu_area.hpp)

namespace {
constexpr uint64_t kSize = kFourGiB - kMonitorBase;

void map_low(int fd, uint32_t low, uint32_t len, int prot) {
    void* p = mmap(reinterpret_cast<void*>(uint64_t(low)), len, prot, MAP_SHARED | MAP_FIXED, fd,
                   low - kMonitorBase);
    if (p == MAP_FAILED)
        throw HostError(std::string("cannot map the monitor area: ") + strerror(errno));
}
}  // namespace

MonitorArea::MonitorArea() {
    fd_ = memfd_create("prevt-monitor-area", MFD_CLOEXEC);
    if (fd_ < 0 || ftruncate(fd_, kSize) != 0)
        throw HostError(std::string("cannot create the monitor area: ") + strerror(errno));
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED)
        throw HostError(std::string("cannot map the monitor area's writable view: ") +
                        strerror(errno));
    alias_ = static_cast<uint8_t*>(p);
    map_low(fd_, kStubPage, 0x1000, PROT_READ | PROT_EXEC);
    // The per-vCPU area: writable where translated code writes, read-only where it reads what
    // it jumps through and the lookup tables, nothing in between (bt/vcpu_area.hpp).
    map_low(fd_, kVcpuArea + kWritablePage, 0x1000, PROT_READ | PROT_WRITE);
    map_low(fd_, kVcpuArea + kReadOnlyPage, kReadOnlyEnd - kReadOnlyPage, PROT_READ);
    map_low(fd_, kVcpuArea + kTprPage, 0x1000, PROT_READ | PROT_WRITE);
    map_low(fd_, kVcpuArea + kVifPage, 0x1000, PROT_READ | PROT_WRITE);
    map_low(fd_, kCacheBase, kCacheEnd - kCacheBase, PROT_READ | PROT_EXEC);

    // The callout stub, in 64-bit mode after `ljmp *%gs:12` from translated code. It may not
    // touch the stack (RSP is the guest's ESP): it parks RAX in the per-vCPU area and jumps to
    // the rest of the exit path in the monitor (world_switch.S).
    uint8_t* stub = writable(kStubPage);
    const uint8_t save_rax[] = {0x65,           0x48, 0x89, 0x04,
                                0x25,  // mov %rax,%gs:kSaveRaxOffset
                                kSaveRaxOffset, 0,    0,    0};
    memcpy(stub, save_rax, sizeof save_rax);
    stub[9] = 0x48;  // movabs $prevt_bt_callout_entry,%rax
    stub[10] = 0xb8;
    const auto entry = reinterpret_cast<uint64_t>(&prevt_bt_callout_entry);
    memcpy(stub + 11, &entry, 8);
    stub[19] = 0xff;  // jmp *%rax
    stub[20] = 0xe0;

    VcpuArea& v = vcpu();
    memset(&v, 0, sizeof v);
    v.far_offset = kStubPage;
    v.far_selector = kHostCs64;
    auto* if_table = reinterpret_cast<uint32_t*>(writable(kVcpuArea + kIfOfByte1));
    auto* iopl_table = reinterpret_cast<uint32_t*>(writable(kVcpuArea + kIoplOfByte1));
    auto* nt_table = reinterpret_cast<uint32_t*>(writable(kVcpuArea + kNtOfByte1));
    for (uint32_t b = 0; b < 256; ++b) {
        if_table[b] = (b << 8) & 0x200;
        iopl_table[b] = (b << 8) & 0x3000;
        nt_table[b] = (b << 8) & 0x4000;
    }
    clear_ibl();
}

void MonitorArea::trap_vif_stores(bool on) {
    if (mprotect(reinterpret_cast<void*>(uint64_t(kVcpuArea) + kVifPage), 0x1000,
                 on ? PROT_READ : PROT_READ | PROT_WRITE) != 0)
        throw HostError(std::string("mprotect of the interrupt-window page failed: ") +
                        strerror(errno));
}

void MonitorArea::trap_tpr_stores(bool on) {
    if (mprotect(reinterpret_cast<void*>(uint64_t(kVcpuArea) + kTprPage), 0x1000,
                 on ? PROT_READ : PROT_READ | PROT_WRITE) != 0)
        throw HostError(std::string("mprotect of the TPR page failed: ") + strerror(errno));
}

void MonitorArea::clear_ibl(int user) {
    uint32_t* t = ibl_table(user);
    for (uint32_t i = 0; i < kIblEntries; ++i) {
        t[2 * i] = kIblEmpty;
        t[2 * i + 1] = ibl_empty_target_;
    }
}

MonitorArea::~MonitorArea() {
    munmap(alias_, kSize);
    mmap(reinterpret_cast<void*>(kMonitorBase), kSize, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    close(fd_);
}

}  // namespace prevt::native
