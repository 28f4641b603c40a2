#include "core/cli/option_values.hpp"

#include <cstdlib>

#include "bt/vcpu_area.hpp"
#include "core/errors.hpp"

namespace prevt::cli {

[[noreturn]] void refuse(const std::string& option, const std::string& problem) {
    throw InputError(option + ": " + problem + " (see prevt --help)");
}

namespace {

// The decimal digits at the start of `v` as a number no larger than `max`, or false: no sign,
// no spaces, no hexadecimal, and no wrap (strtoull would take "-1" as 2^64 - 1 and saturate
// on overflow). `*rest` gets what follows the digits.
bool parse_decimal(const std::string& v, uint64_t max, uint64_t* out, std::string* rest) {
    size_t i = 0;
    uint64_t n = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
        const uint64_t digit = static_cast<uint64_t>(v[i] - '0');
        if (n > (max - digit) / 10) return false;  // n * 10 + digit > max
        n = n * 10 + digit;
    }
    if (i == 0) return false;
    *out = n;
    *rest = v.substr(i);
    return true;
}

}  // namespace

uint64_t parse_mib(std::string v) {
    if (v.rfind("size=", 0) == 0) v = v.substr(5);  // QEMU's -m size=128M
    constexpr uint64_t kMin = 2, kMax = 3072;
    const std::string range = "expected a size of 2 MiB .. 3 GiB (suffix M or G), got '" + v + "'";
    uint64_t n = 0;
    std::string suffix;
    // kMax * 1024 bounds the digits: any larger number is out of range whatever the suffix.
    if (!parse_decimal(v, kMax * 1024, &n, &suffix)) refuse("-m/--mem", range);
    uint64_t mib = n;
    if (suffix == "G" || suffix == "g")
        mib = n * 1024;  // n <= kMax * 1024: no overflow
    else if (!(suffix.empty() || suffix == "M" || suffix == "m"))
        refuse("-m/--mem", "unknown size suffix in '" + v + "' (use M or G)");
    if (mib < kMin || mib > kMax) refuse("-m/--mem", range);
    return mib;
}

double parse_seconds(const std::string& v) {
    // Digits with at most one decimal point: no sign, exponent, hexadecimal, inf or nan.
    const bool shape = !v.empty() && v.find_first_not_of("0123456789.") == std::string::npos &&
                       v.find('.') == v.rfind('.') && v != ".";
    char* end = nullptr;
    const double d = shape ? strtod(v.c_str(), &end) : 0;
    if (!shape || *end || !(d > 0) || d > 1e7)
        refuse("--timeout", "expected a number of seconds > 0 and <= 10000000, got '" + v + "'");
    return d;
}

uint32_t parse_kib(const std::string& v) {
    // The cache lives in the monitor area: bt::kCacheEnd - bt::kCacheBase at most.
    constexpr uint64_t kMin = 16, kMax = (bt::kCacheEnd - bt::kCacheBase) >> 10;
    const std::string range = "expected a size in KiB of " + std::to_string(kMin) + " .. " +
                              std::to_string(kMax) + ", got '" + v + "'";
    uint64_t n = 0;
    std::string rest;
    if (!parse_decimal(v, kMax, &n, &rest) || !rest.empty() || n < kMin) refuse("--tc-size", range);
    return static_cast<uint32_t>(n);
}

// -boot: QEMU's drive letters (a floppy, c hard disk, d CD-ROM, n network), each at most once,
// up to three (what CMOS 0x3d/0x38 hold); "order=" may precede them, as QEMU writes it.
std::string parse_boot(std::string v) {
    if (v.rfind("order=", 0) == 0) v = v.substr(6);
    const bool letters =
        !v.empty() && v.size() <= 3 && v.find_first_not_of("acdn") == std::string::npos;
    bool repeated = false;
    for (size_t i = 0; i < v.size(); ++i) repeated |= v.find(v[i], i + 1) != std::string::npos;
    if (!letters || repeated)
        refuse("-boot", "expected up to three of a (floppy), c (disk), d, n, got '" + v + "'");
    return v;
}

std::string parse_display(const std::string& v) {
    if (v == "none" || v == "text") return v;
    if (v == "curses") return "text";  // QEMU's name for a text screen in the terminal
    refuse("--display", "expected none, text or curses, got '" + v + "'");
}

}  // namespace prevt::cli
