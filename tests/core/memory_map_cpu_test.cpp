// The virtual CPU on a memory map with ROM and MMIO: instructions that read and write an MMIO
// register reach the device as one access of their width, ROM reads give the image and ROM
// stores are dropped with the instruction complete; the same through the guest's page tables.
#include <gtest/gtest.h>

#include <vector>

#include "core/emulate/execute.hpp"
#include "core/emulate/paged_memory.hpp"
#include "devices/bus.hpp"
#include "tests/core/virtual_cpu_rig.hpp"

namespace prevt {
namespace {

constexpr uint32_t kGdt = 0x1000, kCode = 0x10000;
constexpr uint32_t kMmio = 0xa0000, kRom = 0xe0000;

struct Register final : devices::IoDevice {
    struct Access {
        bool write;
        uint64_t offset;
        unsigned size;
        uint32_t value;
    };
    std::vector<Access> log;
    uint32_t value = 0x87654321;
    std::string_view name() const override { return "register"; }
    uint32_t read(uint64_t offset, unsigned size) override {
        log.push_back({false, offset, size, value});
        return size == 4 ? value : value & ((1u << (8 * size)) - 1);
    }
    void write(uint64_t offset, unsigned size, uint32_t v) override {
        log.push_back({true, offset, size, v});
        value = v;
    }
};

MemoryMap map_with_rom_and_mmio() {
    MemoryMap m;
    m.add_ram(0, kMmio);
    m.add_mmio(kMmio, 0x1000, "test register");
    m.add_rom(kRom, 0x10000, "test ROM");
    m.add_ram(0x100000, 0x100000);
    return m;
}

class MemoryMapCpuTest : public ::testing::Test, protected VirtualCpuRig {
protected:
    MemoryMapCpuTest() : VirtualCpuRig(map_with_rom_and_mmio(), &bus) {
        bus.attach(kMmio, 0x1000, device);
        const uint32_t image[] = {0x11111111, 0x22222222, 0x33333333};
        EXPECT_TRUE(ram.load_image(kRom, image, sizeof image));
        const uint32_t gdt[] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
        enter_flat_protected_mode(kGdt, gdt, sizeof gdt, 0x9000);
        s.eflags = eflags::kFixed1;
    }
    void run(std::vector<uint8_t> bytes) {
        s.eip = kCode;
        ram.write_bytes(kCode, bytes.data(), bytes.size());
        EXPECT_EQ(execute(cpu, decode_at(cpu, kCode)), Outcome::kDone);
        EXPECT_EQ(s.eip, kCode + bytes.size());
    }
    devices::Bus bus{"mmio"};
    Register device;
};

TEST_F(MemoryMapCpuTest, MovToAndFromAnMmioRegisterIsOneAccessOfItsWidth) {
    run({0xa1, 0x10, 0x00, 0x0a, 0x00});  // mov 0xa0010, %eax
    EXPECT_EQ(s.gpr[eax], 0x87654321u);
    s.gpr[ebx] = 0xcafef00d;
    run({0x89, 0x1d, 0x20, 0x00, 0x0a, 0x00});                    // mov %ebx, 0xa0020
    run({0x66, 0xc7, 0x05, 0x30, 0x00, 0x0a, 0x00, 0x34, 0x12});  // movw $0x1234, 0xa0030
    ASSERT_EQ(device.log.size(), 3u);
    EXPECT_TRUE(!device.log[0].write && device.log[0].offset == 0x10 && device.log[0].size == 4);
    EXPECT_TRUE(device.log[1].write && device.log[1].offset == 0x20 && device.log[1].size == 4 &&
                device.log[1].value == 0xcafef00du);
    EXPECT_TRUE(device.log[2].write && device.log[2].offset == 0x30 && device.log[2].size == 2 &&
                device.log[2].value == 0x1234u);
}

TEST_F(MemoryMapCpuTest, ReadModifyWriteOfAnMmioRegisterReadsThenWrites) {
    device.value = 41;
    run({0xff, 0x05, 0x40, 0x00, 0x0a, 0x00});  // incl 0xa0040
    ASSERT_EQ(device.log.size(), 2u);
    EXPECT_FALSE(device.log[0].write);
    EXPECT_TRUE(device.log[1].write && device.log[1].size == 4 && device.log[1].value == 42u);
}

TEST_F(MemoryMapCpuTest, RomReadsGiveTheImageAndStoresAreDropped) {
    run({0x8b, 0x1d, 0x04, 0x00, 0x0e, 0x00});  // mov 0xe0004, %ebx
    EXPECT_EQ(s.gpr[ebx], 0x22222222u);
    run({0xc7, 0x05, 0x04, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00});  // movl $0, 0xe0004
    EXPECT_EQ(ram.read(kRom + 4, 4), 0x22222222u);
    s.gpr[esi] = kRom, s.gpr[edi] = 0x5000, s.gpr[ecx] = 3;
    run({0xf3, 0xa5});  // rep movsl: ROM to RAM
    EXPECT_EQ(s.gpr[ecx], 0u);
    EXPECT_EQ(ram.read(0x5008, 4), 0x33333333u);
    EXPECT_TRUE(device.log.empty());
}

TEST_F(MemoryMapCpuTest, PagedAccessesReachTheDeviceAndDropRomStores) {
    s.cr0 |= cr0::PG;
    s.cr3 = 0x2000;
    ram.write(0x2000 + 4, 4, 0x3000 | 3);  // 4 MiB.. -> the table at 0x3000
    ram.write(0x3000, 4, kMmio | 3);       // 0x400000 -> the register's page
    ram.write(0x3000 + 4, 4, 0x6000 | 3);  // 0x401000 -> RAM
    ram.write(0x3000 + 8, 4, kRom | 3);    // 0x402000 -> ROM, writable in the PTE
    PagedMemory paged(ram, s);
    const uint32_t v = 0x0badf00d;
    paged.write(0x400008, &v, 4, false);
    ASSERT_EQ(device.log.size(), 1u);
    EXPECT_TRUE(device.log[0].write && device.log[0].offset == 8 && device.log[0].size == 4);
    const uint32_t w = 0xaabbccdd;
    paged.write(0x400ffe, &w, 4, false);  // the register's page, then RAM
    EXPECT_TRUE(device.log[1].offset == 0xffe && device.log[1].size == 2 &&
                device.log[1].value == 0xccdd);
    EXPECT_EQ(ram.read(0x6000, 2), 0xaabbu);
    paged.write(0x402000, &v, 4, false);
    uint32_t back = 0;
    paged.read(0x402000, &back, 4, false);
    EXPECT_EQ(back, 0x11111111u);
    EXPECT_TRUE(ram.read(0x3000 + 8, 4) & 0x40) << "the PTE's dirty bit, as for any store";
}

}  // namespace
}  // namespace prevt
