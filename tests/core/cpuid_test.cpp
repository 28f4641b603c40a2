// Each CPU profile's CPUID, leaf by leaf, against goldens written as data from the parts'
// documentation (docs/cpu-profiles.md): vendor and signature, the features offered, the cache
// descriptors, CPUID.4 subleaves, the PMU leaf (version 0), the extended leaves with the brand
// string, and Intel's rule for leaves above the maximum (the highest basic leaf's answer).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/emulate/execute.hpp"

namespace prevt {
namespace {

struct Leaf {
    uint32_t leaf, subleaf;
    uint32_t eax, ebx, ecx, edx;
};

// "GenuineIntel" as EBX, EDX, ECX.
constexpr uint32_t kGenu = 0x756e6547, kIneI = 0x49656e69, kNtel = 0x6c65746e;

constexpr Leaf kN270Leaves[] = {
    {0, 0, 0xa, kGenu, kNtel, kIneI},
    {1, 0, 0x000106c2, 0, 0x80000201, 0x0780ab39},  // SSE3 SSSE3 hypervisor; FPU..SSE2
    {2, 0, 0x4fba5901, 0x0e3080c0, 0, 0},
    {3, 0, 0, 0, 0, 0},
    {4, 0, 0x121, 0x0140003f, 0x3f, 0},   // L1D 24K 6-way, 64 sets
    {4, 1, 0x122, 0x01c0003f, 0x3f, 0},   // L1I 32K 8-way
    {4, 2, 0x143, 0x01c0003f, 0x3ff, 0},  // L2 512K 8-way, 1024 sets
    {4, 3, 0, 0, 0, 0},                   // no more caches
    {5, 0, 0, 0, 0, 0},                   // no MONITOR
    {6, 0, 0, 0, 0, 0},
    {7, 0, 0, 0, 0, 0},
    {0xa, 0, 0, 0, 0, 0},  // PMU version 0: none
    {0x80000000, 0, 0x80000008, 0, 0, 0},
    {0x80000001, 0, 0, 0, 0, 0},  // no NX, LM, SYSCALL, LAHF64
    {0x80000002, 0, 0x65746e49, 0x2952286c, 0x6f744120, 0x4d54286d},
    {0x80000003, 0, 0x50432029, 0x324e2055, 0x20203037, 0x31204020},
    {0x80000004, 0, 0x4730362e, 0x00007a48, 0, 0},
    {0x80000005, 0, 0, 0, 0, 0},
    {0x80000006, 0, 0, 0, 0x02006040, 0},
    {0x80000008, 0, 0x2020, 0, 0, 0},
    // Above the maximum: leaf 0xA's answer (zeros), hypervisor leaves included.
    {0xb, 0, 0, 0, 0, 0},
    {0x40000000, 0, 0, 0, 0, 0},
    {0x80000009, 0, 0, 0, 0, 0},
};

constexpr Leaf kPentium3Leaves[] = {
    {0, 0, 2, kGenu, kNtel, kIneI},
    {1, 0, 0x673, 0, 0x80000000, 0x0380ab39},  // no SSE2
    {2, 0, 0x03020101, 0, 0, 0x0c040843},
    // Above the maximum, the extended range included: leaf 2's answer.
    {3, 0, 0x03020101, 0, 0, 0x0c040843},
    {4, 0, 0x03020101, 0, 0, 0x0c040843},
    {0x40000000, 0, 0x03020101, 0, 0, 0x0c040843},
    {0x80000000, 0, 0x03020101, 0, 0, 0x0c040843},
};

void expect_leaves(const CpuProfile& p, const Leaf* leaves, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const Leaf& g = leaves[i];
        uint32_t r[4];
        cpuid(g.leaf, g.subleaf, r, p);
        const std::string at = std::string(p.name) + " leaf " + std::to_string(g.leaf) + "." +
                               std::to_string(g.subleaf);
        EXPECT_EQ(r[0], g.eax) << at << " eax";
        EXPECT_EQ(r[1], g.ebx) << at << " ebx";
        EXPECT_EQ(r[2], g.ecx) << at << " ecx";
        EXPECT_EQ(r[3], g.edx) << at << " edx";
    }
}

TEST(Cpuid, N270LeafByLeaf) {
    expect_leaves(kN270, kN270Leaves, std::size(kN270Leaves));
}

TEST(Cpuid, Pentium3LeafByLeaf) {
    expect_leaves(kPentium3, kPentium3Leaves, std::size(kPentium3Leaves));
}

// max is the N270 with every feature prevt virtualizes: RDTSCP (80000001 EDX) and RDPID
// (7.0 ECX) besides the N270's.
TEST(Cpuid, MaxOffersEverythingVirtualized) {
    uint32_t r[4];
    cpuid(1, 0, r, kMax);
    EXPECT_EQ(r[0], 0x000106c2u);
    EXPECT_EQ(r[3], kVirtualizedEdx);
    EXPECT_EQ(r[2], kVirtualizedEcx);
    cpuid(0, 0, r, kMax);
    EXPECT_EQ(r[0], 0xau);
    cpuid(0x80000001, 0, r, kMax);
    EXPECT_EQ(r[3], cpuid_bit::EXT_RDTSCP);
    cpuid(7, 0, r, kMax);
    EXPECT_EQ(r[0], 0u);
    EXPECT_EQ(r[1], cpuid_bit::LEAF7_SMEP | cpuid_bit::LEAF7_SMAP);
    EXPECT_EQ(r[2], cpuid_bit::LEAF7_RDPID);
    cpuid(7, 0, r, kN270);
    EXPECT_EQ(r[1], 0u);
    EXPECT_EQ(r[2], 0u);
    cpuid(0x80000001, 0, r, kN270);
    EXPECT_EQ(r[3], 0u);
}

TEST(Cpuid, TheBrandStringReadsBack) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
        uint32_t r[4];
        cpuid(0x80000002 + i, 0, r, kN270);
        memcpy(brand + 16 * i, r, 16);
    }
    EXPECT_STREQ(brand, "Intel(R) Atom(TM) CPU N270   @ 1.60GHz");
}

// IA32_MISC_ENABLE's "limit CPUID maxval": leaf 0 says 2, and leaf 4 answers as leaf 2.
TEST(Cpuid, LimitedMaxLeafEndsTheBasicLeavesAtTwo) {
    uint32_t r[4];
    cpuid(0, 0, r, kN270, /*limited=*/true);
    EXPECT_EQ(r[0], 2u);
    cpuid(4, 0, r, kN270, true);
    EXPECT_EQ(r[0], 0x4fba5901u);
    cpuid(0x80000000, 0, r, kN270, true);
    EXPECT_EQ(r[0], 0x80000008u) << "the extended leaves are not limited";
}

TEST(Cpuid, ProfilesByName) {
    EXPECT_EQ(find_cpu_profile("n270"), &kN270);
    EXPECT_EQ(find_cpu_profile("pentium3"), &kPentium3);
    EXPECT_EQ(find_cpu_profile("max"), &kMax);
    EXPECT_EQ(find_cpu_profile("qemu32"), nullptr);
    EXPECT_EQ(&default_profile(), &kN270);
}

}  // namespace
}  // namespace prevt
