// What the loaders' unit tests share: guest memory, kernel images written to temporary files
// (removed when the test ends), the one-line refusal check, and reads of what a loader left.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/guest_memory.hpp"

namespace prevt {

class LoaderFixture : public ::testing::Test {
protected:
    explicit LoaderFixture(uint64_t ram_bytes) : mem(ram_bytes) {}
    ~LoaderFixture() override {
        for (const auto& p : files_) unlink(p.c_str());
    }
    std::string write(const std::vector<uint8_t>& bytes) {
        char name[] = "/tmp/prevt-loader-XXXXXX";
        const int fd = mkstemp(name);
        EXPECT_GE(fd, 0);
        EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        close(fd);
        files_.push_back(name);
        return name;
    }
    // The message of the InputError `load()` throws, checked to be one line that starts with
    // `blamed`; "(loaded)" if it loads.
    template <class Load>
    std::string refusal_by(const std::string& blamed, Load load) {
        try {
            load();
        } catch (const InputError& e) {
            const std::string m = e.what();
            EXPECT_EQ(m.rfind(blamed + ": ", 0), 0u) << m;
            EXPECT_EQ(m.find('\n'), std::string::npos) << m;
            return m;
        }
        return "(loaded)";
    }
    uint64_t read64(uint64_t phys) {
        uint64_t v = 0;
        mem.read_bytes(phys, &v, 8);
        return v;
    }
    std::string read_string(uint32_t phys) {
        std::string s;
        for (char c; (c = static_cast<char>(mem.read(phys++, 1))) != 0 && s.size() < 8192;) s += c;
        return s;
    }

    GuestMemory mem;
    std::vector<std::string> files_;  // removed at the end
};

}  // namespace prevt
