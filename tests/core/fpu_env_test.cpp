// The x87 environment loads and stores on the virtual CPU (core/emulate/fpu_env.cpp), with the
// guest's x87 state in VcpuState::fpu (as after a signal exit): a FIP the guest loaded comes
// back as loaded, with its FCS; a 32-bit fxsave writes bytes 0-287 of its image and leaves the
// rest alone; an fxrstor image whose MXCSR sets reserved bits is #GP(0) before anything loads.
#include <gtest/gtest.h>

#include <cstring>

#include "core/emulate/decoded.hpp"
#include "core/emulate/execute.hpp"
#include "core/emulate/fault.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000, kImage = 0x20000, kOut = 0x30000;

class FpuEnvTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    FpuEnvTest() : VirtualCpuRig(1 << 20) {
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, 0x9000);
        s.cr4 = cr4::OSFXSR;
        // A reset x87/SSE state as the world switch would have saved it.
        alignas(16) uint8_t area[512];
        asm volatile("fxsave64 %0" : "=m"(area));
        area[0] = 0x7f, area[1] = 0x03, area[2] = 0, area[3] = 0, area[4] = 0;  // FCW, FSW, FTW
        memset(area + 8, 0, 16);                                                // pointers
        memcpy(s.fpu.data(), area, 512);
    }
    void run(std::vector<uint8_t> bytes) {
        s.eip = kCode;
        ram.write_bytes(kCode, bytes.data(), bytes.size());
        ASSERT_EQ(execute(cpu, decode_at(cpu, kCode)), Outcome::kDone);
    }
    uint32_t word(uint32_t at) { return ram.read(at, 4); }
};

TEST_F(FpuEnvTest, ALoadedFipComesBackAsLoaded) {
    uint32_t env[7] = {
        0xffff037f, 0xffff0000, 0xffffffff, 0x12345678,
        0x04321234, 0x00401000, 0xffff0010};  // FCW, FSW, FTW, FIP, FOP:FCS, FDP, FDS
    ram.write_bytes(kImage, env, sizeof env);
    run({0xd9, 0x25, 0x00, 0x00, 0x02, 0x00});  // fldenv [0x20000]
    EXPECT_TRUE(s.fpu_loaded_ip.valid);
    run({0xd9, 0x35, 0x00, 0x00, 0x03, 0x00});  // fnstenv [0x30000]
    EXPECT_EQ(word(kOut + 12), 0x12345678u) << "the loaded FIP, not mapped back";
    EXPECT_EQ(word(kOut + 16) & 0xffff, 0x1234u) << "with the loaded FCS";
}

// A pending unmasked exception (FSW.ES) is #MF at fldenv, before anything loads; the monitor's
// own native fldenv would raise it in the monitor (the fuzzer found that: SIGFPE, prevt
// stopped with an internal error).
TEST_F(FpuEnvTest, FldenvWithAPendingExceptionIsMf) {
    s.fpu[0] = 0x7e;  // FCW: #IE unmasked
    s.fpu[2] = 0x81;  // FSW: IE and ES
    uint32_t env[7] = {0xffff037f, 0xffff0000, 0xffffffff, 0, 0, 0, 0xffff0000};
    ram.write_bytes(kImage, env, sizeof env);
    try {
        run({0xd9, 0x25, 0x00, 0x00, 0x02, 0x00});  // fldenv [0x20000]
        FAIL() << "no #MF";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::MF);
    }
    EXPECT_FALSE(s.fpu_loaded_ip.valid);
}

TEST_F(FpuEnvTest, FxsaveWritesBytes0To287Only) {
    std::vector<uint8_t> fill(512, 0xaa);
    ram.write_bytes(kOut, fill.data(), fill.size());
    run({0x0f, 0xae, 0x05, 0x00, 0x00, 0x03, 0x00});  // fxsave [0x30000]
    EXPECT_EQ(word(kOut) & 0xffff, 0x037fu);          // FCW: written
    for (uint32_t at = 288; at < 512; at += 4)
        ASSERT_EQ(word(kOut + at), 0xaaaaaaaau) << "byte " << at << " is not fxsave's to write";
}

TEST_F(FpuEnvTest, FxrstorChecksMxcsrFirst) {
    std::vector<uint8_t> image(512, 0);
    image[0] = 0x7f, image[1] = 0x03;
    const uint32_t bad_mxcsr = 0xffff0000;  // reserved bits
    memcpy(&image[24], &bad_mxcsr, 4);
    ram.write_bytes(kImage, image.data(), image.size());
    const auto before = s.fpu;
    try {
        run({0x0f, 0xae, 0x0d, 0x00, 0x00, 0x02, 0x00});  // fxrstor [0x20000]
        FAIL() << "no #GP";
    } catch (const GuestFault& f) {
        EXPECT_EQ(f.vector, vec::GP);
    }
    EXPECT_EQ(s.fpu, before);
}

}  // namespace
}  // namespace prevt
