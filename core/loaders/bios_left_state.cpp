#include "core/loaders/bios_left_state.hpp"

#include <array>
#include <cstring>
#include <vector>

namespace prevt::loaders {

namespace {

constexpr uint32_t linear(uint16_t segment, uint16_t offset) {
    return (uint32_t{segment} << 4) + offset;
}

// The handlers, real-mode code in the F000 segment. IRQ 0's, at F000:FEA5 (as handle_08 in
// SeaBIOS's clock.c: the count, the midnight rollover, int 0x1c, the master's EOI):
constexpr uint8_t kTimerCode[] = {
    0x1e,                                                  // push %ds
    0x50,                                                  // push %ax
    0x31, 0xc0,                                            // xor %ax,%ax
    0x8e, 0xd8,                                            // mov %ax,%ds
    0x66, 0xff, 0x06, 0x6c, 0x04,                          // incl 0x46c
    0x66, 0x81, 0x3e, 0x6c, 0x04, 0xb0, 0x00, 0x18, 0x00,  // cmpl $0x1800b0,0x46c
    0x72, 0x0d,                                            // jb 1f
    0x66, 0xc7, 0x06, 0x6c, 0x04, 0x00, 0x00, 0x00, 0x00,  // movl $0,0x46c
    0xfe, 0x06, 0x70, 0x04,                                // incb 0x470
    0xcd, 0x1c,                                            // 1: int $0x1c
    0xb0, 0x20,                                            // mov $0x20,%al
    0xe6, 0x20,                                            // out %al,$0x20 (EOI)
    0x58,                                                  // pop %ax
    0x1f,                                                  // pop %ds
    0xcf,                                                  // iret
};
// The master's other lines (SeaBIOS's handle_hwpic1) and the slave's (handle_hwpic2: the
// slave's EOI, then the master's, whose IR2 the slave's request came through).
constexpr uint16_t kMasterIrqHandler = 0xff00, kSlaveIrqHandler = 0xff10;
constexpr uint8_t kMasterIrqCode[] = {0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf};
constexpr uint8_t kSlaveIrqCode[] = {0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf};
constexpr uint8_t kIretCode[] = {0xcf};
static_assert(kTimerHandler + sizeof kTimerCode <= kMasterIrqHandler);
static_assert(kMasterIrqHandler + sizeof kMasterIrqCode <= kSlaveIrqHandler);
static_assert(kSlaveIrqHandler + sizeof kSlaveIrqCode <= kIretHandler);

void write_code(GuestMemory& mem, uint16_t offset, const uint8_t* code, size_t size) {
    mem.write_bytes(linear(kBiosSegment, offset), code, size);
}

// ivt_init: everything at the iret, the hardware vectors at their handlers, 0x60-0x66 (for
// user programs) and 0x79 at 0000:0000.
void write_ivt(GuestMemory& mem) {
    std::array<uint32_t, 256> ivt;
    const auto far = [](uint16_t offset) { return uint32_t{kBiosSegment} << 16 | offset; };
    ivt.fill(far(kIretHandler));
    for (unsigned line = 0; line < 8; ++line) {
        ivt[kMasterVectorBase + line] = far(kMasterIrqHandler);
        ivt[kSlaveVectorBase + line] = far(kSlaveIrqHandler);
    }
    ivt[kMasterVectorBase] = far(kTimerHandler);
    for (unsigned v = 0x60; v <= 0x66; ++v) ivt[v] = 0;
    ivt[0x79] = 0;
    mem.write_bytes(0, ivt.data(), sizeof ivt);
}

// bda_init and the drivers' BDA fields, as QEMU's PC shows them to a Multiboot kernel.
void write_bda(GuestMemory& mem, uint32_t ticks) {
    std::array<uint8_t, 0x100> bda{};
    const auto put16 = [&bda](unsigned at, uint16_t v) { memcpy(&bda[at], &v, 2); };
    put16(0x00, 0x3f8);                       // COM1's port (serial_setup)
    put16(0x0e, kEbdaSegment);                // the EBDA
    put16(0x10, 0x0206);                      // equipment: x87, PS/2 mouse, one serial port
    put16(0x13, kEbdaSegment / (1024 / 16));  // base memory in KiB: 639
    put16(0x1a, 0x1e), put16(0x1c, 0x1e);     // the keyboard buffer's head and tail
    put16(0x80, 0x1e), put16(0x82, 0x3e);     // ... its start and end
    bda[0x76] = 0xc0;                         // the disk control byte
    bda[0x7c] = 0x0a;                         // COM1's timeout
    bda[0x96] = 0x10;                         // keyboard flags: a 101/102-key keyboard
    memcpy(&bda[kBdaTicks - 0x400], &ticks, 4);
    mem.write_bytes(0x400, bda.data(), bda.size());
    const std::vector<uint8_t> ebda(1024, 0);
    mem.write_bytes(linear(kEbdaSegment, 0), ebda.data(), ebda.size());
    const uint8_t ebda_kib = 1;  // the EBDA's size byte
    mem.write_bytes(linear(kEbdaSegment, 0), &ebda_kib, 1);
}

// pic_reset, then the masks the drivers leave.
void program_pics(devices::Bus& ports) {
    for (auto [base, icw2, icw3] : {std::array<uint8_t, 3>{0x20, kMasterVectorBase, 0x04},
                                    std::array<uint8_t, 3>{0xa0, kSlaveVectorBase, 0x02}}) {
        ports.write(base, 1, 0x11);      // ICW1: edge triggered, cascade, ICW4 follows
        ports.write(base + 1, 1, icw2);  // the vector base
        ports.write(base + 1, 1, icw3);  // the cascade: on IR2 / with ID 2
        ports.write(base + 1, 1, 0x01);  // ICW4: 8086 mode
    }
    ports.write(0x21, 1, kMasterMask);
    ports.write(0xa1, 1, kSlaveMask);
}

// pit_setup: channel 0, lobyte/hibyte, mode 2, binary, count 0 (65536).
void program_pit(devices::Bus& ports) {
    ports.write(0x43, 1, 0x34);
    ports.write(0x40, 1, 0x00);
    ports.write(0x40, 1, 0x00);
}

// clock_setup: the RTC's time of day (BCD, as SeaBIOS leaves register B) as BDA ticks.
uint32_t rtc_ticks(devices::Bus& ports) {
    const auto cmos = [&ports](uint8_t index) {
        ports.write(0x70, 1, index);
        const uint8_t bcd = static_cast<uint8_t>(ports.read(0x71, 1));
        return static_cast<unsigned>((bcd & 0xf) + (bcd >> 4) * 10);
    };
    return ticks_since_midnight(cmos(0x04), cmos(0x02), cmos(0x00)) % kTicksPerDay;
}

}  // namespace

uint32_t ticks_since_midnight(unsigned hours, unsigned minutes, unsigned seconds) {
    // SeaBIOS's ticks_from_ms: the PM timer's 3579545 Hz is 3 PIT clocks (1193182 Hz); a tick
    // is 65536 PIT clocks.
    const uint64_t ms = ((uint64_t{hours} * 60 + minutes) * 60 + seconds) * 1000;
    const uint64_t t = (ms * 3579545 + 65535) / 65536;
    return static_cast<uint32_t>((t + 2999) / 3000);
}

void leave_bios_state(devices::Bus& ports, GuestMemory& mem) {
    program_pics(ports);
    program_pit(ports);
    write_ivt(mem);
    write_bda(mem, rtc_ticks(ports));
    write_code(mem, kTimerHandler, kTimerCode, sizeof kTimerCode);
    write_code(mem, kMasterIrqHandler, kMasterIrqCode, sizeof kMasterIrqCode);
    write_code(mem, kSlaveIrqHandler, kSlaveIrqCode, sizeof kSlaveIrqCode);
    write_code(mem, kIretHandler, kIretCode, sizeof kIretCode);
}

}  // namespace prevt::loaders
