#include "devices/mc146818_calendar.hpp"

#include <array>

namespace prevt::devices::rtc {

namespace {

constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kMinutesPerDay = 1'440;

int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
int64_t floor_mod(int64_t a, int64_t b) {
    return a - floor_div(a, b) * b;
}

// Days since 1970-01-01 of a date in the proleptic Gregorian calendar, and back (H. Hinnant's
// algorithms, "chrono-Compatible Low-Level Date Algorithms"). The day may lie outside 1-31:
// the count is linear in it.
int64_t days_from_civil(int64_t y, unsigned m, int64_t d) {
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;                                    // [0, 399]
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // from March 1st
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146'097 + doe - 719'468;
}

DateTime civil_from_days(int64_t days) {
    const int64_t z = days + 719'468;
    const int64_t era = floor_div(z, 146'097);
    const int64_t doe = z - era * 146'097;                                        // [0, 146096]
    const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
    const int64_t mp = (5 * doy + 2) / 153;                                       // [0, 11]
    DateTime t;
    t.day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    t.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    t.year = yoe + era * 400 + (t.month <= 2);
    return t;
}

}  // namespace

DateTime date_time_from_unix(int64_t seconds) {
    const int64_t days = floor_div(seconds, kSecondsPerDay);
    const int64_t tod = seconds - days * kSecondsPerDay;
    DateTime t = civil_from_days(days);
    t.hour = static_cast<unsigned>(tod / 3600);
    t.minute = static_cast<unsigned>(tod / 60 % 60);
    t.second = static_cast<unsigned>(tod % 60);
    t.weekday = static_cast<unsigned>(floor_mod(days + 4, 7)) + 1;
    return t;
}

int64_t unix_from_date_time(const DateTime& t) {
    // Months past 12 (or 0) carry into the year before the day count, which needs 1-12.
    const int64_t month0 = static_cast<int64_t>(t.month) - 1;
    const int64_t year = t.year + floor_div(month0, 12);
    const unsigned month = static_cast<unsigned>(floor_mod(month0, 12)) + 1;
    const int64_t days = days_from_civil(year, month, t.day);
    return days * kSecondsPerDay + int64_t{t.hour} * 3600 + int64_t{t.minute} * 60 + t.second;
}

uint8_t encode(unsigned value, Format format) {
    value %= 100;
    if (format.binary) return static_cast<uint8_t>(value);
    return static_cast<uint8_t>((value / 10) << 4 | value % 10);
}

unsigned decode(uint8_t byte, Format format) {
    if (format.binary) return byte;
    return (byte >> 4) * 10u + (byte & 0x0fu);
}

uint8_t encode_hours(unsigned hour, Format format) {
    if (format.hours24) return encode(hour, format);
    const unsigned h12 = hour % 12 == 0 ? 12 : hour % 12;
    return static_cast<uint8_t>(encode(h12, format) | (hour >= 12 ? 0x80 : 0));
}

unsigned decode_hours(uint8_t byte, Format format) {
    if (format.hours24) return decode(byte, format);
    return decode(byte & 0x7f, format) % 12 + ((byte & 0x80) ? 12 : 0);
}

std::optional<int64_t> next_alarm_after(int64_t seconds, Alarm alarm, Format format) {
    // Which values of each field the alarm bytes match, as the chip compares bytes.
    std::array<bool, 60> second_ok{}, minute_ok{};
    std::array<bool, 24> hour_ok{};
    bool any_second = false, any_minute = false, any_hour = false;
    for (unsigned v = 0; v < 60; ++v) {
        second_ok[v] = dont_care(alarm.second) || encode(v, format) == alarm.second;
        minute_ok[v] = dont_care(alarm.minute) || encode(v, format) == alarm.minute;
        any_second |= second_ok[v];
        any_minute |= minute_ok[v];
    }
    for (unsigned v = 0; v < 24; ++v) {
        hour_ok[v] = dont_care(alarm.hour) || encode_hours(v, format) == alarm.hour;
        any_hour |= hour_ok[v];
    }
    if (!any_second || !any_minute || !any_hour) return std::nullopt;
    // Walk the minutes from this one to the same one tomorrow.
    const int64_t this_minute = seconds - floor_mod(seconds, 60);
    for (int64_t i = 0; i <= kMinutesPerDay; ++i) {
        const int64_t start = this_minute + i * 60;
        const int64_t minute_of_day = floor_mod(start, kSecondsPerDay) / 60;
        if (!hour_ok[minute_of_day / 60] || !minute_ok[minute_of_day % 60]) continue;
        for (unsigned s = 0; s < 60; ++s)
            if (second_ok[s] && start + s > seconds) return start + s;
    }
    return std::nullopt;
}

}  // namespace prevt::devices::rtc
