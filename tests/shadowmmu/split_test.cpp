// The user ceiling (shadowmmu/split.hpp) on synthetic page directories: where a monitor may
// end user segments so that the kernel's mappings above stay across system calls.
#include <gtest/gtest.h>

#include <array>

#include "shadowmmu/split.hpp"

namespace prevt::shadowmmu {
namespace {

constexpr uint32_t kDir = 0x1000;
constexpr uint64_t kTop = 0xfe000000;  // prevt's monitor area begins there
// Directory entries: to a table with a user page, to one with supervisor pages only (as
// 32-bit Linux installs its kernel tables: U in the directory entry, not in the table's), to
// a supervisor table; and 4 MiB pages.
constexpr uint32_t kUserTable = 0x2000, kKernelTable = 0x3000;
constexpr uint32_t kUser = kUserTable | 0x7, kUserBitKernelTable = kKernelTable | 0x7,
                   kSupervisor = kKernelTable | 0x3, kUserLarge = 0x00400087,
                   kKernelLarge = 0x00800083;

struct Directory {
    std::array<uint32_t, 1024> pde{};
    std::array<uint32_t, 1024> user_table{}, kernel_table{};
    Directory() {
        user_table[5] = 0x9007;    // one user page among nothing
        kernel_table[0] = 0x9003;  // supervisor pages only
        kernel_table[1023] = 0xa003;
        kernel_table[7] = 0xb004;  // U but not present
    }
    uint32_t read32(uint32_t phys) const {
        if (phys >= kKernelTable) return kernel_table[(phys - kKernelTable) / 4];
        if (phys >= kUserTable) return user_table[(phys - kUserTable) / 4];
        return pde[(phys - kDir) / 4];
    }
};

uint64_t user_ceiling(const Directory& d, uint32_t dir, uint64_t top) {
    return shadowmmu::user_ceiling(d, dir, top, true);
}

TEST(UserCeiling, LinuxSplitEndsUserSegmentsAt3GiB) {
    Directory d;
    for (int i = 32; i < 40; ++i) d.pde[i] = kUser;              // a program at 128 MiB
    d.pde[767] = kUser;                                          // its stack below 3 GiB
    for (int i = 768; i < 1016; i += 3) d.pde[i] = kSupervisor;  // the kernel, with holes
    EXPECT_EQ(user_ceiling(d, kDir, kTop), 0xc0000000u);
}

TEST(UserCeiling, NoneWhenUserPagesReachTheTop) {
    Directory d;
    d.pde[768] = kSupervisor;
    d.pde[1015] = kUser;  // a user page right below the monitor (a legacy vdso, say)
    EXPECT_EQ(user_ceiling(d, kDir, kTop), kTop);
}

TEST(UserCeiling, NoneWithoutAnySupervisorEntryUpThere) {
    Directory d;
    d.pde[0] = d.pde[1] = kUser;  // everything user, the rest not present
    EXPECT_EQ(user_ceiling(d, kDir, kTop), kTop);
}

TEST(UserCeiling, EntriesAtOrAboveTheTopDoNotCount) {
    Directory d;
    d.pde[2] = kUser;
    d.pde[900] = kSupervisor;
    d.pde[1020] = kUser;  // inside the monitor's area: emulated anyway
    EXPECT_EQ(user_ceiling(d, kDir, kTop), uint64_t(3) << 22);
}

TEST(UserCeiling, ALowKernelBelowUserPagesIsNotTheCeiling) {
    Directory d;
    d.pde[0] = kSupervisor;                        // an identity-mapped kernel at the bottom
    d.pde[1] = kUser;                              // user pages above it
    EXPECT_EQ(user_ceiling(d, kDir, kTop), kTop);  // nothing supervisor above the user pages
}

TEST(UserCeiling, AUserDirectoryEntryOverSupervisorPagesIsKernel) {
    Directory d;
    d.pde[767] = kUser;                                       // the program's stack
    for (int i = 768; i < 800; ++i) d.pde[i] = kKernelLarge;  // lowmem in 4 MiB pages
    d.pde[1000] = d.pde[1015] = kUserBitKernelTable;          // Linux's fixmap and kmap tables
    EXPECT_EQ(user_ceiling(d, kDir, kTop), 0xc0000000u);
}

TEST(UserCeiling, LargeUserPagesEndTheKernelRegion) {
    Directory d;
    d.pde[768] = kSupervisor;
    d.pde[900] = kUserLarge;
    d.pde[901] = kSupervisor;
    EXPECT_EQ(user_ceiling(d, kDir, kTop), uint64_t(901) << 22);
}

TEST(UserCeiling, WithoutPseTheLargeBitIsIgnored) {
    Directory d;
    d.pde[899] = kUser;
    d.pde[900] = kUserBitKernelTable | 0x80;  // PS set, but CR4.PSE clear: a table
    EXPECT_EQ(shadowmmu::user_ceiling(d, kDir, kTop, false), uint64_t(900) << 22);
    EXPECT_EQ(shadowmmu::user_ceiling(d, kDir, kTop, true), kTop);  // with PSE: a user page
}

}  // namespace
}  // namespace prevt::shadowmmu
