// The MC146818A RTC and CMOS RAM driven through ports 0x70/0x71 over fake time, as a BIOS or
// Linux reads and sets it: the time registers in every format, SET, the divider, UIP, the
// three interrupts and their flags on IRQ 8, next_deadline_ns(), and the RAM a BIOS reads.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "devices/bus.hpp"
#include "devices/mc146818.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr int64_t k2026Dec01_235958 = 1'796'169'598;  // a Tuesday
constexpr int64_t k1999Dec31_235959 = 946'684'799;    // a Friday

enum : uint8_t { kSec = 0, kSecAlarm = 1, kMin = 2, kMinAlarm = 3, kHour = 4, kHourAlarm = 5 };
enum : uint8_t { kWeekday = 6, kDay = 7, kMonth = 8, kYear = 9, kA = 0x0a, kB = 0x0b };
enum : uint8_t { kC = 0x0c, kD = 0x0d, kCentury = 0x32 };

FakeClock clock_at(uint64_t ns) {
    FakeClock c;
    c.ns = ns;
    return c;
}

class RtcTest : public ::testing::Test {
protected:
    static constexpr uint64_t kOrigin = 7 * kSecond + 123;  // time does not start at zero

    explicit RtcTest(int64_t start = k2026Dec01_235958) : rtc{clock, &irq8, start} {
        bus.attach(Mc146818::kIoBase, Mc146818::kPortCount, rtc);
    }
    uint8_t cmos(uint8_t index) {
        bus.write(0x70, 1, index);
        return static_cast<uint8_t>(bus.read(0x71, 1));
    }
    void set(uint8_t index, uint8_t value) {
        bus.write(0x70, 1, index);
        bus.write(0x71, 1, value);
    }
    // Moves the fake clock to `ns` after construction.
    void at(uint64_t ns) { clock.ns = kOrigin + ns; }
    std::optional<uint64_t> deadline() const {
        const auto d = rtc.next_deadline_ns();
        return d ? std::optional<uint64_t>(*d - kOrigin) : std::nullopt;
    }
    void expect_time(uint8_t h, uint8_t m, uint8_t s) {
        EXPECT_EQ(cmos(kHour), h);
        EXPECT_EQ(cmos(kMin), m);
        EXPECT_EQ(cmos(kSec), s);
    }
    void expect_date(uint8_t century, uint8_t year, uint8_t month, uint8_t day, uint8_t wd) {
        EXPECT_EQ(cmos(kCentury), century);
        EXPECT_EQ(cmos(kYear), year);
        EXPECT_EQ(cmos(kMonth), month);
        EXPECT_EQ(cmos(kDay), day);
        EXPECT_EQ(cmos(kWeekday), wd);
    }

    FakeClock clock = clock_at(kOrigin);
    RecordingIrqLine irq8;
    Mc146818 rtc;
    Bus bus{"port"};
};

class Rtc1999Test : public RtcTest {
protected:
    Rtc1999Test() : RtcTest(k1999Dec31_235959) {}
};

TEST_F(RtcTest, PowerOnRegistersAsABiosLeavesThem) {
    EXPECT_EQ(cmos(kA), 0x26);
    EXPECT_EQ(cmos(kB), 0x02);
    EXPECT_EQ(cmos(kC), 0x00);
    EXPECT_EQ(cmos(kD), 0x80);
    EXPECT_FALSE(irq8.level);
    EXPECT_EQ(rtc.next_deadline_ns(), std::nullopt) << "no interrupt is enabled";
}

TEST_F(RtcTest, BcdTimeRollsOverToTheNextDay) {
    expect_time(0x23, 0x59, 0x58);
    expect_date(0x20, 0x26, 0x12, 0x01, 3);
    at(kSecond - 1);
    EXPECT_EQ(cmos(kSec), 0x58);
    at(kSecond);
    EXPECT_EQ(cmos(kSec), 0x59);
    at(2 * kSecond);
    expect_time(0x00, 0x00, 0x00);
    expect_date(0x20, 0x26, 0x12, 0x02, 4);
    at(2 * kSecond + 61 * kSecond);
    expect_time(0x00, 0x01, 0x01);
}

TEST_F(RtcTest, BinaryMode) {
    set(kB, 0x06);
    expect_time(23, 59, 58);
    expect_date(20, 26, 12, 1, 3);
    at(2 * kSecond);
    expect_time(0, 0, 0);
    EXPECT_EQ(cmos(kDay), 2);
}

TEST_F(RtcTest, TwelveHourModeSetsBit7ForPm) {
    set(kB, 0x00);  // BCD, 12-hour
    EXPECT_EQ(cmos(kHour), 0x91) << "11 PM";
    at(2 * kSecond);
    EXPECT_EQ(cmos(kHour), 0x12) << "midnight is 12 AM";
    set(kB, 0x04);  // binary, 12-hour
    EXPECT_EQ(cmos(kHour), 12);
    set(kHour, 0x80 | 12);  // write 12 PM
    EXPECT_EQ(cmos(kHour), 0x8c);
    set(kB, 0x06);
    EXPECT_EQ(cmos(kHour), 12) << "noon in 24-hour binary";
    set(kB, 0x04);
    set(kHour, 0x80 | 1);
    set(kB, 0x02);
    EXPECT_EQ(cmos(kHour), 0x13) << "1 PM is 13:00";
}

TEST_F(Rtc1999Test, YearAndCenturyRollOver) {
    expect_time(0x23, 0x59, 0x59);
    expect_date(0x19, 0x99, 0x12, 0x31, 6);
    at(kSecond);
    expect_time(0x00, 0x00, 0x00);
    expect_date(0x20, 0x00, 0x01, 0x01, 7);
}

TEST_F(RtcTest, TimeWrittenUnderSetIsHeldThenRunsFromTheNextUpdate) {
    at(kSecond / 4);
    set(kB, 0x82 | 0x10);  // SET, and UIE which SET clears
    EXPECT_EQ(cmos(kB), 0x82);
    set(kCentury, 0x20);
    set(kYear, 0x24);
    set(kMonth, 0x02);
    set(kDay, 0x28);
    set(kHour, 0x23);
    set(kMin, 0x59);
    set(kSec, 0x59);
    at(3 * kSecond);
    expect_time(0x23, 0x59, 0x59);  // held: no update while SET
    EXPECT_EQ(cmos(kC), 0x40) << "PF only: no update ended";
    at(3 * kSecond + kSecond / 4);
    set(kB, 0x02);
    at(4 * kSecond - 1);
    EXPECT_EQ(cmos(kSec), 0x59);
    at(4 * kSecond);  // the divider's phase did not change
    expect_time(0x00, 0x00, 0x00);
    expect_date(0x20, 0x24, 0x02, 0x29, 5);
}

TEST_F(RtcTest, WritingATimeRegisterWithoutSetTakesEffectAtOnce) {
    set(kMin, 0x30);
    expect_time(0x23, 0x30, 0x58);
    set(kWeekday, 1);  // derived from the date: ignored
    EXPECT_EQ(cmos(kWeekday), 3);
}

TEST_F(RtcTest, DividerResetStopsTimeAndTheFirstUpdateComesHalfASecondAfterRelease) {
    // Linux's mc146818_set_time: SET, divider reset, the time, then B and A restored.
    set(kB, 0x82);
    set(kA, 0x76);
    set(kHour, 0x12);
    set(kMin, 0x00);
    set(kSec, 0x00);
    set(kB, 0x02);
    at(5 * kSecond);
    expect_time(0x12, 0x00, 0x00);  // the divider is held: time stands still
    EXPECT_EQ(cmos(kA) & 0x80, 0) << "no UIP while the divider is held";
    set(kA, 0x26);
    at(5 * kSecond + kSecond / 2 - 1);
    EXPECT_EQ(cmos(kSec), 0x00);
    at(5 * kSecond + kSecond / 2);
    EXPECT_EQ(cmos(kSec), 0x01);
    at(6 * kSecond + kSecond / 2);
    EXPECT_EQ(cmos(kSec), 0x02);
}

TEST_F(RtcTest, UipIsSetFor244MicrosecondsBeforeEachUpdate) {
    // The window is 8 cycles of 32.768 kHz: 244.140625 us.
    at(kSecond - 244'141);
    EXPECT_EQ(cmos(kA), 0x26);
    at(kSecond - 244'140);
    EXPECT_EQ(cmos(kA), 0xa6);
    EXPECT_EQ(cmos(kSec), 0x58) << "the update has not happened yet";
    at(kSecond - 1);
    EXPECT_EQ(cmos(kA), 0xa6);
    at(kSecond);
    EXPECT_EQ(cmos(kA), 0x26);
    EXPECT_EQ(cmos(kSec), 0x59);
    at(kSecond + kSecond / 2);
    EXPECT_EQ(cmos(kA), 0x26);
    at(2 * kSecond - 100'000);
    EXPECT_EQ(cmos(kA), 0xa6);
    set(kB, 0x82);
    EXPECT_EQ(cmos(kA), 0x26) << "SET clears UIP";
}

TEST_F(RtcTest, PeriodicInterruptAt1024HzForOneSecond) {
    set(kB, 0x42);  // PIE; A's rate is 6
    EXPECT_EQ(deadline(), 976'563u) << "976562.5 ns, rounded up";
    int ticks = 0;
    while (deadline() && *deadline() <= kSecond) {
        at(*deadline());
        rtc.advance();
        ASSERT_TRUE(irq8.level);
        ++ticks;
        ASSERT_EQ(cmos(kC) & 0xc0, 0xc0);  // IRQF, PF
        ASSERT_FALSE(irq8.level) << "reading C lowers IRQ 8";
    }
    EXPECT_EQ(ticks, 1024);
    EXPECT_EQ(irq8.rising_edges, 1024);
    EXPECT_EQ(clock.ns, kOrigin + kSecond);
}

TEST_F(RtcTest, PeriodicRates) {
    set(kB, 0x42);
    set(kA, 0x2f);  // RS 15: 2 Hz
    EXPECT_EQ(deadline(), kSecond / 2);
    set(kA, 0x23);  // RS 3: 8192 Hz
    EXPECT_EQ(deadline(), 122'071u);
    set(kA, 0x21);  // RS 1: 256 Hz, like RS 8
    EXPECT_EQ(deadline(), 3'906'250u);
    set(kA, 0x22);  // RS 2: 128 Hz, like RS 9
    EXPECT_EQ(deadline(), 7'812'500u);
    set(kA, 0x20);  // RS 0: none
    EXPECT_EQ(deadline(), std::nullopt);
    at(kSecond / 4);
    EXPECT_EQ(cmos(kC), 0x00);
}

TEST_F(RtcTest, FlagsAreSetWithTheirInterruptsDisabled) {
    at(kSecond / 2);
    EXPECT_EQ(cmos(kC), 0x40) << "PF without PIE, no IRQF";
    at(kSecond);
    EXPECT_EQ(cmos(kC), 0x50) << "PF and UF";
    EXPECT_EQ(cmos(kC), 0x00) << "reading C cleared them";
    EXPECT_EQ(irq8.calls, 0);
    EXPECT_EQ(rtc.next_deadline_ns(), std::nullopt);
    at(kSecond + kSecond / 2);
    EXPECT_EQ(cmos(kB), 0x02);  // PF is pending again, PIE is off
    EXPECT_FALSE(irq8.level);
    set(kB, 0x42);
    EXPECT_TRUE(irq8.level) << "enabling PIE with PF pending raises IRQ 8 at once";
    EXPECT_EQ(cmos(kC), 0xc0);
    EXPECT_FALSE(irq8.level);
}

TEST_F(RtcTest, WritesToCAndDAreIgnored) {
    at(kSecond);
    set(kC, 0x00);
    set(kD, 0x00);
    EXPECT_EQ(cmos(kC), 0x50);
    EXPECT_EQ(cmos(kD), 0x80);
}

TEST_F(RtcTest, UpdateEndedInterruptOncePerSecond) {
    set(kB, 0x12);
    EXPECT_EQ(deadline(), kSecond);
    at(kSecond - 1);
    rtc.advance();
    EXPECT_FALSE(irq8.level);
    at(kSecond);
    rtc.advance();
    EXPECT_TRUE(irq8.level);
    EXPECT_EQ(rtc.next_deadline_ns(), std::nullopt) << "IRQ 8 stays high until C is read";
    EXPECT_EQ(cmos(kC), 0xd0) << "IRQF, PF (its interrupt is off), UF";
    EXPECT_FALSE(irq8.level);
    EXPECT_EQ(deadline(), 2 * kSecond);
}

TEST_F(RtcTest, AlarmInterruptAtTheMatchingSecond) {
    set(kSecAlarm, 0x00);
    set(kMinAlarm, 0x00);
    set(kHourAlarm, 0x00);
    set(kB, 0x22);  // AIE
    EXPECT_EQ(deadline(), 2 * kSecond) << "00:00:00 is two updates away";
    at(kSecond);
    rtc.advance();
    EXPECT_FALSE(irq8.level);
    at(2 * kSecond);
    rtc.advance();
    EXPECT_TRUE(irq8.level);
    EXPECT_EQ(cmos(kC), 0xf0) << "IRQF, PF, AF, UF";
    EXPECT_EQ(deadline(), 2 * kSecond + 86'400 * kSecond) << "the same time tomorrow";
}

TEST_F(RtcTest, AlarmDontCareBytesMatchAnyValue) {
    set(kB, 0x22);
    set(kSecAlarm, 0x30);
    set(kMinAlarm, 0xff);
    set(kHourAlarm, 0xc0);
    EXPECT_EQ(deadline(), 32 * kSecond) << "the next xx:xx:30 is 00:00:30";
    set(kSecAlarm, 0xc0);
    EXPECT_EQ(deadline(), kSecond) << "every second";
    set(kSecAlarm, 0x00);
    set(kMinAlarm, 0x05);
    EXPECT_EQ(deadline(), (2 + 5 * 60) * kSecond) << "00:05:00";
    set(kSecAlarm, 0x60);  // no BCD second is 0x60
    EXPECT_EQ(deadline(), std::nullopt);
    set(kB, 0x20);  // 12-hour BCD: alarm bytes compare in the current format
    set(kSecAlarm, 0x00);
    set(kMinAlarm, 0x00);
    set(kHourAlarm, 0x81);  // 1 PM
    EXPECT_EQ(deadline(), (2 + 13 * 3600) * kSecond);
}

TEST_F(RtcTest, AlarmFlagPassedOverWithoutAie) {
    set(kSecAlarm, 0x30);
    set(kMinAlarm, 0xc0);
    set(kHourAlarm, 0xc0);
    at(20 * kSecond);
    EXPECT_EQ(cmos(kC), 0x50) << "not yet at 00:00:30";
    at(40 * kSecond);
    EXPECT_EQ(cmos(kC), 0x70) << "AF: 00:00:30 was passed";
    EXPECT_FALSE(irq8.level);
}

TEST_F(RtcTest, EarliestDeadlineOfSeveralSources) {
    set(kA, 0x2f);  // 2 Hz
    set(kB, 0x52);  // PIE, UIE
    EXPECT_EQ(deadline(), kSecond / 2);
    at(kSecond / 2);
    rtc.advance();
    EXPECT_TRUE(irq8.level);
    EXPECT_EQ(deadline(), kSecond) << "PF is pending: only the update is left";
    set(kB, 0xd2);  // SET (clearing UIE): no updates; PF is still pending
    EXPECT_EQ(rtc.next_deadline_ns(), std::nullopt);
}

TEST_F(RtcTest, CmosMemoryFor128MiB) {
    rtc.set_memory_size(128 << 20);
    rtc.set_floppy_types(Mc146818::FloppyType::k1440K, Mc146818::FloppyType::kNone);
    EXPECT_EQ(cmos(0x0f), 0x00);
    EXPECT_EQ(cmos(0x10), 0x40);
    EXPECT_EQ(cmos(0x14), 0x03) << "one floppy drive, x87";
    EXPECT_EQ(cmos(0x15), 0x80);
    EXPECT_EQ(cmos(0x16), 0x02) << "640 KiB";
    EXPECT_EQ(cmos(0x17), 0xff);
    EXPECT_EQ(cmos(0x18), 0xff) << "127 MiB = 130048 KiB, capped";
    EXPECT_EQ(cmos(0x30), 0xff);
    EXPECT_EQ(cmos(0x31), 0xff);
    EXPECT_EQ(cmos(0x34), 0x00);
    EXPECT_EQ(cmos(0x35), 0x07) << "112 MiB in 64 KiB units: 0x0700";
    EXPECT_EQ(cmos(0x5b), 0x00);
    EXPECT_EQ(cmos(0x5c), 0x00);
    EXPECT_EQ(cmos(0x5d), 0x00);
    // 0x10 + 0x14 + 0x15..0x18 = 0x40 + 0x03 + 0x80 + 0x02 + 0xff + 0xff = 0x2c3
    EXPECT_EQ(cmos(0x2e), 0x02);
    EXPECT_EQ(cmos(0x2f), 0xc3);
}

TEST_F(RtcTest, CmosMemoryForSmallAndLargeRam) {
    rtc.set_memory_size(16 << 20);
    EXPECT_EQ(rtc.byte(0x17) | rtc.byte(0x18) << 8, 0x3c00) << "15 MiB in KiB";
    EXPECT_EQ(rtc.byte(0x34) | rtc.byte(0x35) << 8, 0);
    EXPECT_EQ(rtc.byte(0x2e) << 8 | rtc.byte(0x2f), 0x02 + 0x80 + 0x02 + 0x00 + 0x3c);
    rtc.set_memory_size(512 << 10);
    EXPECT_EQ(rtc.byte(0x15) | rtc.byte(0x16) << 8, 512);
    EXPECT_EQ(rtc.byte(0x17) | rtc.byte(0x18) << 8, 0);
    rtc.set_memory_size(uint64_t{5} << 30);
    EXPECT_EQ(rtc.byte(0x34) | rtc.byte(0x35) << 8, 0xff00) << "16 MiB to 4 GiB";
    EXPECT_EQ(rtc.byte(0x5b) | rtc.byte(0x5c) << 8 | rtc.byte(0x5d) << 16, 0x4000) << "1 GiB";
    rtc.set_floppy_types(Mc146818::FloppyType::k1440K, Mc146818::FloppyType::k720K);
    EXPECT_EQ(rtc.byte(0x10), 0x43);
    EXPECT_EQ(rtc.byte(0x14), 0x43) << "two floppy drives";
}

TEST_F(RtcTest, SetByteKeepsTheChecksumAndRefusesTheClock) {
    const unsigned before = rtc.byte(0x2e) << 8 | rtc.byte(0x2f);
    rtc.set_byte(0x12, 0xf0);
    EXPECT_EQ(rtc.byte(0x2e) << 8 | rtc.byte(0x2f), before + 0xf0);
    rtc.set_byte(0x3d, 0x02);  // boot from the hard disk first
    EXPECT_EQ(cmos(0x3d), 0x02);
    EXPECT_EQ(rtc.byte(0x2e) << 8 | rtc.byte(0x2f), before + 0xf0);
    set(0x11, 0x01);  // a guest's write: the checksum is the guest's business
    EXPECT_EQ(rtc.byte(0x2e) << 8 | rtc.byte(0x2f), before + 0xf0);
    EXPECT_THROW(rtc.set_byte(0x00, 0), std::out_of_range);
    EXPECT_THROW(rtc.set_byte(0x0b, 0), std::out_of_range);
    EXPECT_THROW(rtc.set_byte(0x32, 0), std::out_of_range);
    EXPECT_THROW(rtc.set_byte(0x80, 0), std::out_of_range);
    EXPECT_NO_THROW(rtc.set_byte(0x0e, 0));
}

TEST_F(RtcTest, RamBytesReadBackAndTheIndexPortIsWriteOnly) {
    set(0x40, 0x5a);
    set(0x7f, 0xa5);
    EXPECT_EQ(cmos(0x40), 0x5a);
    EXPECT_EQ(cmos(0x7f), 0xa5);
    EXPECT_EQ(bus.read(0x70, 1), 0xffu);
    bus.write(0x70, 1, 0x40);
    EXPECT_EQ(bus.read(0x70, 2), 0x5affu) << "a 16-bit read splits into 0x70 and 0x71";
}

TEST_F(RtcTest, IndexBit7IsTheNmiMaskAndIsStripped) {
    EXPECT_FALSE(rtc.nmi_masked());
    bus.write(0x70, 1, 0x8d);
    EXPECT_TRUE(rtc.nmi_masked());
    EXPECT_EQ(bus.read(0x71, 1), 0x80u) << "index 0x8d selects register D";
    set(0x40, 0x11);
    bus.write(0x70, 1, 0xc0);  // 0x40 with NMI masked
    EXPECT_EQ(bus.read(0x71, 1), 0x11u);
    bus.write(0x70, 1, 0x0d);
    EXPECT_FALSE(rtc.nmi_masked());
}

TEST_F(RtcTest, EveryAccessTouches) {
    const uint64_t before = rtc.touches();
    cmos(kSec);
    EXPECT_EQ(rtc.touches(), before + 2);
}

TEST(RtcCalendar, ConvertsBothWays) {
    const rtc::DateTime epoch = rtc::date_time_from_unix(0);
    EXPECT_EQ(epoch.year, 1970);
    EXPECT_EQ(epoch.weekday, 5u) << "a Thursday";
    const rtc::DateTime before = rtc::date_time_from_unix(-1);
    EXPECT_EQ(before.year, 1969);
    EXPECT_EQ(before.month, 12u);
    EXPECT_EQ(before.day, 31u);
    EXPECT_EQ(before.second, 59u);
    for (int64_t s = -5'000'000'000; s < 300'000'000'000; s += 86'399 * 37 + 11) {
        ASSERT_EQ(rtc::unix_from_date_time(rtc::date_time_from_unix(s)), s);
    }
    rtc::DateTime feb31{.year = 2026, .month = 2, .day = 31};
    const rtc::DateTime mar3 = rtc::date_time_from_unix(rtc::unix_from_date_time(feb31));
    EXPECT_EQ(mar3.month, 3u);
    EXPECT_EQ(mar3.day, 3u);
    rtc::DateTime month13{.year = 2026, .month = 13, .day = 1};
    EXPECT_EQ(rtc::date_time_from_unix(rtc::unix_from_date_time(month13)).year, 2027);
}

}  // namespace
}  // namespace prevt::devices
