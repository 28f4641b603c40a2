// The disk image backend: read-write images take the guest's writes, -snapshot keeps them in
// memory and leaves the file alone, a file without write permission is write-protected, and
// wrong sizes or missing files are refused (InputError: status 2).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/disk_image.hpp"
#include "core/errors.hpp"

namespace prevt {
namespace {

class DiskImageTest : public ::testing::Test {
protected:
    DiskImageTest() {
        char tmpl[] = "/tmp/prevt-disk-test.XXXXXX";
        dir_ = mkdtemp(tmpl);
    }
    ~DiskImageTest() override {
        for (const std::string& f : files_) unlink(f.c_str());
        rmdir(dir_.c_str());
    }
    std::string make(const std::string& name, size_t bytes, mode_t mode = 0644) {
        const std::string path = dir_ + "/" + name;
        std::vector<char> data(bytes);
        for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>(i / 512);
        std::ofstream(path, std::ios::binary).write(data.data(), static_cast<long>(bytes));
        chmod(path.c_str(), mode);
        files_.push_back(path);
        return path;
    }
    static std::vector<uint8_t> file_bytes(const std::string& path, size_t offset, size_t n) {
        std::ifstream in(path, std::ios::binary);
        in.seekg(static_cast<long>(offset));
        std::vector<uint8_t> v(n);
        in.read(reinterpret_cast<char*>(v.data()), static_cast<long>(n));
        return v;
    }
    std::string dir_;
    std::vector<std::string> files_;
};

TEST_F(DiskImageTest, ReadWriteImagesTakeTheWrites) {
    const std::string path = make("rw.img", 4096);
    auto d = DiskImage::open("-hda", path, DiskImage::Kind::kHardDisk, false);
    EXPECT_FALSE(d->read_only());
    EXPECT_EQ(d->size(), 4096u);
    std::vector<uint8_t> sector(512, 0xee);
    ASSERT_TRUE(d->write(1024, sector));
    EXPECT_EQ(file_bytes(path, 1024, 512), sector);
    std::vector<uint8_t> got(512);
    ASSERT_TRUE(d->read(512, got));
    EXPECT_EQ(got[0], 1);
    EXPECT_FALSE(d->read(4096 - 256, got)) << "past the end";
}

TEST_F(DiskImageTest, SnapshotKeepsWritesInMemory) {
    const std::string path = make("snap.img", DiskImage::kFloppyBytes);
    auto d = DiskImage::open("-fda", path, DiskImage::Kind::kFloppy, true);
    EXPECT_FALSE(d->read_only());
    std::vector<uint8_t> data(700, 0x5a);
    ASSERT_TRUE(d->write(300, data));  // across sectors 0-1, unaligned
    std::vector<uint8_t> got(1024);
    ASSERT_TRUE(d->read(0, got));
    EXPECT_EQ(got[299], 0);
    EXPECT_EQ(got[300], 0x5a);
    EXPECT_EQ(got[999], 0x5a);
    EXPECT_EQ(got[1000], 1) << "sector 1's own byte after the write";
    EXPECT_EQ(d->sectors_in_memory(), 2u);
    EXPECT_EQ(file_bytes(path, 300, 1)[0], 0) << "the file is untouched";
}

TEST_F(DiskImageTest, AFileWithoutWritePermissionIsWriteProtected) {
    const std::string path = make("ro.img", DiskImage::kFloppyBytes, 0444);
    auto d = DiskImage::open("-fda", path, DiskImage::Kind::kFloppy, false);
    EXPECT_TRUE(d->read_only()) << "even for root: no write bit";
    std::vector<uint8_t> sector(512, 1);
    EXPECT_FALSE(d->write(0, sector));
    EXPECT_EQ(file_bytes(path, 0, 1)[0], 0);
    auto s = DiskImage::open("-fda", path, DiskImage::Kind::kFloppy, true);
    EXPECT_FALSE(s->read_only()) << "-snapshot writes to memory";
    EXPECT_TRUE(s->write(0, sector));
}

TEST_F(DiskImageTest, WrongSizesAndMissingFilesAreRefused) {
    const std::string small = make("small.img", 737280);
    EXPECT_THROW(DiskImage::open("-fda", small, DiskImage::Kind::kFloppy, false), InputError);
    const std::string odd = make("odd.img", 1000);
    EXPECT_THROW(DiskImage::open("-hda", odd, DiskImage::Kind::kHardDisk, false), InputError);
    const std::string empty = make("empty.img", 0);
    EXPECT_THROW(DiskImage::open("-hda", empty, DiskImage::Kind::kHardDisk, false), InputError);
    EXPECT_THROW(DiskImage::open("-hda", dir_ + "/none.img", DiskImage::Kind::kHardDisk, false),
                 InputError);
    EXPECT_THROW(DiskImage::open("-hda", dir_, DiskImage::Kind::kHardDisk, false), InputError);
    try {
        DiskImage::open("-fda", small, DiskImage::Kind::kFloppy, false);
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("1474560"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    }
}

}  // namespace
}  // namespace prevt
