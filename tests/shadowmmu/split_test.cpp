// The user ceiling (shadowmmu/split.hpp) on synthetic page directories: where a monitor may
// end user segments so that the kernel's mappings above stay across system calls.
#include <gtest/gtest.h>

#include <array>

#include "shadowmmu/split.hpp"

namespace prevt::shadowmmu {
namespace {

constexpr uint32_t kDir = 0x1000;
constexpr uint64_t kTop = 0xfe000000;  // prevt's monitor area begins there
constexpr uint32_t kUser = 0x7, kSupervisor = 0x3;

struct Directory {
    std::array<uint32_t, 1024> pde{};
    uint32_t read32(uint32_t phys) const { return pde[(phys - kDir) / 4]; }
};

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

}  // namespace
}  // namespace prevt::shadowmmu
