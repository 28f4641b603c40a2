// Port 0x80: POST codes are kept, reads give all-ones (QEMU's); Linux's io_delay writes cost
// nothing else.
#include <gtest/gtest.h>

#include "devices/bus.hpp"
#include "devices/post_port.hpp"

namespace prevt::devices {
namespace {

class PostPortTest : public ::testing::Test {
protected:
    PostPortTest() { bus.attach(PostPort::kIoBase, PostPort::kPortCount, post); }
    PostPort post;
    Bus bus{"port"};
};

TEST_F(PostPortTest, ReadsAllOnes) {
    EXPECT_EQ(bus.read(0x80, 1), 0xffu);
    EXPECT_EQ(post.last_code(), 0);
}

TEST_F(PostPortTest, KeepsTheLastCodeWritten) {
    for (uint8_t code : {0x01, 0x55, 0xaa, 0xff}) {
        bus.write(0x80, 1, code);
        EXPECT_EQ(post.last_code(), code);
        EXPECT_EQ(bus.read(0x80, 1), 0xffu) << "QEMU's port: no read-back";
    }
}

TEST_F(PostPortTest, WiderAccessTouchesOnlyPort80) {
    bus.write(0x80, 2, 0x1234);
    EXPECT_EQ(post.last_code(), 0x34);
    EXPECT_EQ(bus.read(0x80, 4), 0xffffffffu);
}

TEST_F(PostPortTest, EveryWriteIsCounted) {
    for (int i = 0; i < 1000; ++i) bus.write(0x80, 1, 0);  // io_delay()
    EXPECT_EQ(bus.entries().at(0x80).counters.writes, 1000u);
}

}  // namespace
}  // namespace prevt::devices
