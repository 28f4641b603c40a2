// The MC146818A's clock-calendar as its time registers show it (datasheet: Motorola MC146818A,
// "Time, Calendar and Alarm Locations", "Address Map"), apart from the chip (mc146818.hpp):
// the conversion between a count of seconds since the Unix epoch (UTC, proleptic Gregorian
// calendar) and the broken-down date and time, the register encodings (BCD or binary, 12- or
// 24-hour) and the alarm comparison.
//
// The chip counts its registers on; this model keeps seconds and derives the registers, so
// the date is always valid: fields a guest writes out of range (a 31st of February, hour 25)
// are normalised (into the 3rd of March, 01:00 the next day) where the chip would count on
// from them. The day of the week is derived from the date (1 = Sunday, the PC's convention).
#pragma once

#include <cstdint>
#include <optional>

namespace prevt::devices::rtc {

struct DateTime {
    int64_t year = 1970;  // the full year: registers 0x32 (century) and 0x09 (year of century)
    unsigned month = 1;   // 1-12
    unsigned day = 1;     // 1-31
    unsigned hour = 0;    // 0-23, whatever the register format
    unsigned minute = 0;
    unsigned second = 0;
    unsigned weekday = 5;  // 1-7, 1 = Sunday (1970-01-01 was a Thursday)
};

DateTime date_time_from_unix(int64_t seconds);
// The weekday is ignored; out-of-range fields are normalised (see the header comment).
int64_t unix_from_date_time(const DateTime& t);

// Register B's data mode (DM) and 24/12 bits.
struct Format {
    bool binary = false;  // DM = 1: binary; DM = 0: BCD
    bool hours24 = true;
};

// One time byte in BCD or binary (values 0-99). Decoding does not check the digits: 0x5a in
// BCD decodes to 60.
uint8_t encode(unsigned value, Format format);
unsigned decode(uint8_t byte, Format format);
// The hours byte: in 12-hour mode 1-12 with bit 7 set for PM (12 AM is midnight).
uint8_t encode_hours(unsigned hour, Format format);
unsigned decode_hours(uint8_t byte, Format format);

// The alarm bytes (registers 0x01, 0x03, 0x05). A byte 0xc0-0xff is "don't care" and matches
// any value; another matches when it equals the time byte as the current format encodes it
// (as the chip compares bytes: an alarm byte in the wrong format never matches).
struct Alarm {
    uint8_t second = 0;
    uint8_t minute = 0;
    uint8_t hour = 0;
};
constexpr bool dont_care(uint8_t alarm_byte) {
    return (alarm_byte & 0xc0) == 0xc0;
}
// The first second after `seconds` whose time of day matches, or nullopt if none ever does
// (the alarm repeats daily, so any match lies within 24 hours).
std::optional<int64_t> next_alarm_after(int64_t seconds, Alarm alarm, Format format);

}  // namespace prevt::devices::rtc
