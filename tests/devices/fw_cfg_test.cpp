// fw_cfg through the port bus, as SeaBIOS (src/fw/paravirt.c) and kvm-unit-tests
// (lib/x86/fwcfg.c) read it: a 16-bit selector write to 0x510, then bytes from 0x511.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "devices/bus.hpp"
#include "devices/fw_cfg.hpp"

namespace prevt::devices {
namespace {

class FwCfgTest : public ::testing::Test {
protected:
    FwCfgTest() { bus.attach(FwCfg::kIoBase, FwCfg::kPortCount, cfg); }
    void select(uint16_t key) { bus.write(0x510, 2, key); }
    std::vector<uint8_t> read_bytes(size_t n) {
        std::vector<uint8_t> out;
        for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(bus.read(0x511, 1)));
        return out;
    }
    uint64_t read_le(uint16_t key, unsigned bytes) {
        select(key);
        uint64_t v = 0;
        for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{bus.read(0x511, 1)} << (8 * i);
        return v;
    }
    uint32_t read_be(unsigned bytes) {
        uint32_t v = 0;
        for (uint8_t b : read_bytes(bytes)) v = (v << 8) | b;
        return v;
    }

    FwCfg cfg;
    Bus bus{"port"};
};

TEST_F(FwCfgTest, SignatureIsQemu) {
    select(FwCfg::kSignature);
    EXPECT_EQ(read_bytes(4), (std::vector<uint8_t>{'Q', 'E', 'M', 'U'}));
    EXPECT_EQ(read_bytes(2), (std::vector<uint8_t>{0, 0})) << "past the end: zeros";
}

TEST_F(FwCfgTest, SelectingRewinds) {
    select(FwCfg::kSignature);
    read_bytes(3);
    select(FwCfg::kSignature);
    EXPECT_EQ(bus.read(0x511, 1), 'Q');
}

TEST_F(FwCfgTest, IdOffersOnlyTheTraditionalInterface) {
    EXPECT_EQ(read_le(FwCfg::kId, 4), 1u) << "bit 1 (DMA) clear: the DMA port is not there";
}

TEST_F(FwCfgTest, CpuCountsAndRamSize) {
    cfg.set_u16(FwCfg::kNbCpus, 1);
    cfg.set_u16(FwCfg::kMaxCpus, 1);
    cfg.set_u64(FwCfg::kRamSize, 256ull << 20);
    EXPECT_EQ(read_le(FwCfg::kNbCpus, 2), 1u);
    EXPECT_EQ(read_le(FwCfg::kMaxCpus, 2), 1u);
    EXPECT_EQ(read_le(FwCfg::kRamSize, 8), 256ull << 20);
}

TEST_F(FwCfgTest, MissingItemsReadZero) {
    EXPECT_EQ(read_le(0x0d, 4), 0u);  // NUMA: not given
    EXPECT_EQ(read_le(0x4000 | FwCfg::kSignature, 4), 0u) << "no write channel";
}

TEST_F(FwCfgTest, ByteReadOfTheSelectorPortReadsData) {
    select(FwCfg::kSignature);
    EXPECT_EQ(bus.read(0x510, 1), 'Q');
    EXPECT_EQ(bus.read(0x511, 1), 'E');
}

TEST_F(FwCfgTest, DataWritesAndByteSelectorWritesAreDropped) {
    select(FwCfg::kSignature);
    bus.write(0x511, 1, 0x55);
    bus.write(0x510, 1, FwCfg::kId);
    EXPECT_EQ(read_bytes(2), (std::vector<uint8_t>{'Q', 'E'}));
}

TEST_F(FwCfgTest, EmptyDirectory) {
    select(FwCfg::kFileDir);
    EXPECT_EQ(read_be(4), 0u);
}

TEST_F(FwCfgTest, DirectoryListsFilesSortedByNameBigEndian) {
    const uint16_t b = cfg.add_file("etc/show-boot-menu", {0, 0});
    const uint16_t a = cfg.add_file("etc/boot-fail-wait", {1, 2, 3, 4});
    EXPECT_EQ(b, FwCfg::kFileFirst);
    EXPECT_EQ(a, FwCfg::kFileFirst + 1);
    select(FwCfg::kFileDir);
    ASSERT_EQ(read_be(4), 2u);
    struct Entry {
        uint32_t size;
        uint16_t key;
        std::string name;
    };
    std::vector<Entry> entries;
    for (int i = 0; i < 2; ++i) {
        Entry e;
        e.size = read_be(4);
        e.key = static_cast<uint16_t>(read_be(2));
        EXPECT_EQ(read_be(2), 0u) << "reserved";
        const std::vector<uint8_t> name = read_bytes(FwCfg::kMaxFileName);
        e.name = reinterpret_cast<const char*>(name.data());
        EXPECT_EQ(name.back(), 0);
        entries.push_back(e);
    }
    EXPECT_EQ(entries[0].name, "etc/boot-fail-wait");
    EXPECT_EQ(entries[0].size, 4u);
    EXPECT_EQ(entries[0].key, a);
    EXPECT_EQ(entries[1].name, "etc/show-boot-menu");
    EXPECT_EQ(entries[1].size, 2u);
    EXPECT_EQ(entries[1].key, b);
    select(a);
    EXPECT_EQ(read_bytes(4), (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST_F(FwCfgTest, BadFileNamesAreRefused) {
    EXPECT_THROW(cfg.add_file("", {}), std::invalid_argument);
    EXPECT_THROW(cfg.add_file(std::string(56, 'x'), {}), std::invalid_argument);
    EXPECT_NO_THROW(cfg.add_file(std::string(55, 'x'), {}));
    EXPECT_THROW(cfg.add_file(std::string(55, 'x'), {}), std::invalid_argument);
}

}  // namespace
}  // namespace prevt::devices
