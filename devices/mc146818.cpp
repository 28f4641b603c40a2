#include "devices/mc146818.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace prevt::devices {

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kCyclesPerSecond = Mc146818::kTimeBaseHz;
// Updates end at counts 16384 + k * 32768: (count + kUpdatePhase) / kCyclesPerSecond steps
// there. The update-in-progress window is the 8 cycles (244 us) before.
constexpr uint64_t kUpdatePhase = kCyclesPerSecond / 2;
constexpr uint64_t kUipCycles = 8;

// Register indexes.
enum : unsigned {
    kSeconds = 0x00,
    kSecondsAlarm = 0x01,
    kMinutes = 0x02,
    kMinutesAlarm = 0x03,
    kHours = 0x04,
    kHoursAlarm = 0x05,
    kWeekday = 0x06,
    kDay = 0x07,
    kMonth = 0x08,
    kYear = 0x09,
    kRegA = 0x0a,
    kRegB = 0x0b,
    kRegC = 0x0c,
    kRegD = 0x0d,
    kCentury = 0x32,
};
// The RAM map (see the header).
enum : unsigned {
    kFloppyTypes = 0x10,
    kEquipment = 0x14,
    kBaseMemory = 0x15,
    kExtendedMemory = 0x17,
    kChecksummedFirst = 0x10,
    kChecksummedLast = 0x2d,
    kChecksum = 0x2e,
    kExtendedMemory2 = 0x30,
    kMemoryAbove16M = 0x34,
    kMemoryAbove4G = 0x5b,
};

constexpr uint8_t kAUip = 0x80, kADivider = 0x70, kARate = 0x0f;
constexpr uint8_t kDividerRunning = 0x20;  // DV2-0 = 010: 32.768 kHz time base, running
constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBBinary = 0x04,
                  kB24Hour = 0x02;
constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
constexpr uint8_t kDVrt = 0x80;
constexpr uint8_t kEquipmentFpu = 0x02, kEquipmentFloppies = 0xc1;

constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

bool is_clock_register(unsigned index) {
    return index <= kRegD || index == kCentury;
}

void store16(std::array<uint8_t, Mc146818::kRamSize>& ram, unsigned index, uint64_t value) {
    ram[index] = static_cast<uint8_t>(value);
    ram[index + 1] = static_cast<uint8_t>(value >> 8);
}

}  // namespace

Mc146818::Mc146818(const Clock& clock, IrqLine* irq8, int64_t start_unix_seconds)
    : clock_(clock), irq_(irq8), reg_a_(kDividerRunning | 6), reg_b_(kB24Hour) {
    // An update has just ended: the next one is a second from now.
    origin_ns_ = clock_.now_ns();
    origin_count_ = count_ = kUpdatePhase;
    seconds_ = start_unix_seconds;
    ram_[kEquipment] = kEquipmentFpu;
    store16(ram_, kBaseMemory, 640);
    update_checksum();
}

uint32_t Mc146818::read(uint64_t offset, unsigned size) {
    touch();
    return read_split(offset, size, kPortCount, [this](unsigned port) -> uint8_t {
        if (port == 0) return 0xff;  // the index port is write-only
        return read_register(index_);
    });
}

void Mc146818::write(uint64_t offset, unsigned size, uint32_t value) {
    touch();
    write_split(offset, size, value, kPortCount, [this](unsigned port, uint8_t byte) {
        if (port == 0) {
            index_ = byte & 0x7f;
            nmi_masked_ = byte & 0x80;
        } else {
            write_register(index_, byte);
        }
    });
}

uint8_t Mc146818::read_register(unsigned index) {
    settle();
    switch (index) {
        case kRegA: {
            const bool uip =
                divider_running() && !(reg_b_ & kBSet) &&
                (count_ + kUpdatePhase) % kCyclesPerSecond >= kCyclesPerSecond - kUipCycles;
            return static_cast<uint8_t>(reg_a_ | (uip ? kAUip : 0));
        }
        case kRegB: return reg_b_;
        case kRegC: {
            const uint8_t value = flags_ | (irq_level_ ? kCIrqf : 0);
            flags_ = 0;
            update_irq();
            return value;
        }
        case kRegD: return kDVrt;
        case kSecondsAlarm:
        case kMinutesAlarm:
        case kHoursAlarm: return ram_[index];
        default: return is_clock_register(index) ? read_time(index) : ram_[index];
    }
}

void Mc146818::write_register(unsigned index, uint8_t value) {
    settle();
    switch (index) {
        case kRegA: write_a(value); break;
        case kRegB: write_b(value); break;
        case kRegC:
        case kRegD: break;  // read-only
        case kSecondsAlarm:
        case kMinutesAlarm:
        case kHoursAlarm: ram_[index] = value; break;
        default:
            if (is_clock_register(index)) {
                write_time(index, value);
            } else {
                ram_[index] = value;
            }
    }
    update_irq();
}

rtc::DateTime Mc146818::shown() const {
    return (reg_b_ & kBSet) ? held_ : rtc::date_time_from_unix(seconds_);
}

uint8_t Mc146818::read_time(unsigned index) const {
    const rtc::DateTime t = shown();
    const rtc::Format f = format();
    switch (index) {
        case kSeconds: return rtc::encode(t.second, f);
        case kMinutes: return rtc::encode(t.minute, f);
        case kHours: return rtc::encode_hours(t.hour, f);
        case kWeekday: return rtc::encode(t.weekday, f);
        case kDay: return rtc::encode(t.day, f);
        case kMonth: return rtc::encode(t.month, f);
        case kYear: return rtc::encode(static_cast<unsigned>(t.year % 100), f);
        case kCentury: return rtc::encode(static_cast<unsigned>(t.year / 100 % 100), f);
    }
    return 0xff;
}

void Mc146818::write_time(unsigned index, uint8_t value) {
    rtc::DateTime t = shown();
    const rtc::Format f = format();
    const unsigned v = rtc::decode(value, f);
    switch (index) {
        case kSeconds: t.second = v; break;
        case kMinutes: t.minute = v; break;
        case kHours: t.hour = rtc::decode_hours(value, f); break;
        case kWeekday: t.weekday = v; break;
        case kDay: t.day = v; break;
        case kMonth: t.month = v; break;
        case kYear: t.year = t.year - t.year % 100 + v; break;
        case kCentury: t.year = int64_t{v} * 100 + t.year % 100; break;
    }
    if (reg_b_ & kBSet) {
        held_ = t;
    } else {
        seconds_ = rtc::unix_from_date_time(t);
    }
}

void Mc146818::write_a(uint8_t value) {
    const bool was_running = divider_running();
    reg_a_ = value & (kADivider | kARate);
    if (!was_running && divider_running()) {
        // Released from reset: the divider starts at 0, the first update ends 500 ms later.
        origin_ns_ = clock_.now_ns();
        origin_count_ = count_ = 0;
    }
}

void Mc146818::write_b(uint8_t value) {
    const bool was_set = reg_b_ & kBSet;
    if (value & kBSet) value &= static_cast<uint8_t>(~kBUie);  // SET clears UIE (datasheet)
    if (!was_set && (value & kBSet)) held_ = rtc::date_time_from_unix(seconds_);
    // The time written while SET was held runs on from the next update; the divider went on.
    if (was_set && !(value & kBSet)) seconds_ = rtc::unix_from_date_time(held_);
    reg_b_ = value;
}

void Mc146818::settle() {
    if (!divider_running()) return;  // held in reset: no time passes
    const uint64_t now = count_at(clock_.now_ns());
    if (now <= count_) return;
    if (const uint64_t p = periodic_cycles(); p != 0 && now / p != count_ / p) flags_ |= kCPf;
    const uint64_t updates =
        (now + kUpdatePhase) / kCyclesPerSecond - (count_ + kUpdatePhase) / kCyclesPerSecond;
    if (updates != 0 && !(reg_b_ & kBSet)) {
        const int64_t n = static_cast<int64_t>(updates);
        const std::optional<int64_t> match = rtc::next_alarm_after(seconds_, alarm(), format());
        if (match && *match <= seconds_ + n) flags_ |= kCAf;
        seconds_ += n;
        flags_ |= kCUf;
    }
    count_ = now;
    update_irq();
}

void Mc146818::update_irq() {
    const bool irqf = ((flags_ & kCPf) && (reg_b_ & kBPie)) ||
                      ((flags_ & kCAf) && (reg_b_ & kBAie)) ||
                      ((flags_ & kCUf) && (reg_b_ & kBUie));
    if (irqf == irq_level_) return;
    irq_level_ = irqf;
    if (irq_) irq_->set_level(irqf);
}

std::optional<uint64_t> Mc146818::next_deadline_ns() const {
    if (!divider_running()) return std::nullopt;
    std::optional<uint64_t> best;
    const auto consider = [&best](uint64_t ns) {
        if (!best || ns < *best) best = ns;
    };
    if (const uint64_t p = periodic_cycles(); p != 0 && (reg_b_ & kBPie) && !(flags_ & kCPf))
        consider(ns_of_count((count_ / p + 1) * p));
    if (reg_b_ & kBSet) return best;  // no updates
    const uint64_t next_update =
        ((count_ + kUpdatePhase) / kCyclesPerSecond + 1) * kCyclesPerSecond - kUpdatePhase;
    if ((reg_b_ & kBUie) && !(flags_ & kCUf)) consider(ns_of_count(next_update));
    if ((reg_b_ & kBAie) && !(flags_ & kCAf)) {
        // The update that shows the matching second; the first one shows seconds_ + 1.
        if (const auto match = rtc::next_alarm_after(seconds_, alarm(), format()))
            consider(ns_of_count(next_update +
                                 static_cast<uint64_t>(*match - seconds_ - 1) * kCyclesPerSecond));
    }
    return best;
}

bool Mc146818::divider_running() const {
    return (reg_a_ & kADivider) == kDividerRunning;
}

uint64_t Mc146818::periodic_cycles() const {
    const unsigned rs = reg_a_ & kARate;
    if (rs == 0) return 0;
    if (rs <= 2) return uint64_t{64} << rs;  // RS 1, 2: 256 Hz, 128 Hz at 32.768 kHz
    return uint64_t{1} << (rs - 1);
}

uint64_t Mc146818::count_at(uint64_t ns) const {
    const unsigned __int128 elapsed = ns - origin_ns_;
    return origin_count_ + static_cast<uint64_t>(elapsed * kCyclesPerSecond / kNsPerSecond);
}

uint64_t Mc146818::ns_of_count(uint64_t count) const {
    // The first nanosecond at which count_at() reaches `count` (count >= origin_count_).
    const unsigned __int128 scaled =
        static_cast<unsigned __int128>(count - origin_count_) * kNsPerSecond;
    return origin_ns_ + static_cast<uint64_t>((scaled + kCyclesPerSecond - 1) / kCyclesPerSecond);
}

rtc::Format Mc146818::format() const {
    return {.binary = (reg_b_ & kBBinary) != 0, .hours24 = (reg_b_ & kB24Hour) != 0};
}

rtc::Alarm Mc146818::alarm() const {
    return {
        .second = ram_[kSecondsAlarm], .minute = ram_[kMinutesAlarm], .hour = ram_[kHoursAlarm]};
}

void Mc146818::set_memory_size(uint64_t bytes) {
    store16(ram_, kBaseMemory, std::min<uint64_t>(640, bytes / kKiB));
    const uint64_t extended = bytes > kMiB ? std::min<uint64_t>(0xffff, (bytes - kMiB) / kKiB) : 0;
    store16(ram_, kExtendedMemory, extended);
    store16(ram_, kExtendedMemory2, extended);
    const uint64_t below_4g = std::min(bytes, 4 * kGiB);
    const uint64_t above_16m =
        below_4g > 16 * kMiB ? std::min<uint64_t>(0xffff, (below_4g - 16 * kMiB) / (64 * kKiB)) : 0;
    store16(ram_, kMemoryAbove16M, above_16m);
    const uint64_t above_4g =
        bytes > 4 * kGiB ? std::min<uint64_t>(0xffffff, (bytes - 4 * kGiB) / (64 * kKiB)) : 0;
    store16(ram_, kMemoryAbove4G, above_4g);
    ram_[kMemoryAbove4G + 2] = static_cast<uint8_t>(above_4g >> 16);
    update_checksum();
}

void Mc146818::set_floppy_types(FloppyType a, FloppyType b) {
    ram_[kFloppyTypes] =
        static_cast<uint8_t>(static_cast<uint8_t>(a) << 4 | static_cast<uint8_t>(b));
    const unsigned drives = (a != FloppyType::kNone) + (b != FloppyType::kNone);
    uint8_t equipment = ram_[kEquipment] & static_cast<uint8_t>(~kEquipmentFloppies);
    if (drives != 0) equipment |= static_cast<uint8_t>(0x01 | (drives - 1) << 6);
    ram_[kEquipment] = equipment;
    update_checksum();
}

void Mc146818::check_ram_index(unsigned index) const {
    if (index >= kRamSize || is_clock_register(index))
        throw std::out_of_range("mc146818: byte " + std::to_string(index) + " is not CMOS RAM");
}

void Mc146818::set_byte(unsigned index, uint8_t value) {
    check_ram_index(index);
    ram_[index] = value;
    if (index >= kChecksummedFirst && index <= kChecksummedLast) update_checksum();
}

uint8_t Mc146818::byte(unsigned index) const {
    check_ram_index(index);
    return ram_[index];
}

void Mc146818::update_checksum() {
    unsigned sum = 0;
    for (unsigned i = kChecksummedFirst; i <= kChecksummedLast; ++i) sum += ram_[i];
    ram_[kChecksum] = static_cast<uint8_t>(sum >> 8);
    ram_[kChecksum + 1] = static_cast<uint8_t>(sum);
}

}  // namespace prevt::devices
