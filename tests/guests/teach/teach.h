/* The teaching guest (`prevt demo NAME`, core/cli/demos/): one Multiboot kernel with one
 * section per challenge of the course, chosen by its command line (sensitive, rings,
 * compression, paging, syscalls, interrupts, tpr). Each section prints two kinds of lines on COM1:
 *   RESULT|name|what the guest saw|what real hardware gives   (8-digit hex)
 *   BENCH|name|cycles per operation|iterations   (rdtsc in the guest, two decimals:
 *                                                 bench/guests/bench.h)
 * and exits with V = 0 (status 1). A section that an engine cannot finish stops where it
 * stopped: the lines printed so far are what the demo shows. */
#ifndef PREVT_TEACH_H
#define PREVT_TEACH_H

#include "../../../bench/guests/bench.h"
#include "lib/guest.h"

#define APIC_BASE 0xfee00000u
#define APIC_TPR 0x80u
#define APIC_EOI 0xb0u
#define APIC_SPIV 0xf0u
#define APIC_ICR 0x300u
#define APIC_SELF (1u << 18)

#define MEASURE(name, n, body)                  \
    do {                                        \
        uint64_t t0_ = rdtsc();                 \
        for (uint32_t i_ = 0; i_ < (n); ++i_) { \
            body;                               \
        }                                       \
        report(name, rdtsc() - t0_, (n));       \
    } while (0)

extern volatile uint32_t sink;

static inline void result_hex(const char* name, uint32_t saw, uint32_t hardware) {
    gprintf("RESULT|%s|%08x|%08x\n", name, saw, hardware);
}
static inline uint32_t apic_read(uint32_t reg) {
    return *(volatile uint32_t*)(APIC_BASE + reg);
}
static inline void apic_write(uint32_t reg, uint32_t v) {
    *(volatile uint32_t*)(APIC_BASE + reg) = v;
}

/* Runs `user` at CPL 3 (flat DPL 3 segments, IF = 0, IOPL 0: no port I/O, so it keeps its
 * figures in memory); `user` ends with `int $0x81`, whose hook `done` runs at CPL 0, prints
 * and calls guest_exit. Never returns. */
__attribute__((noreturn)) void enter_ring3(void (*user)(void), trap_hook done);
/* Cycles between two rdtsc reads at CPL 3, kept in memory for `done` to report. */
void keep_cycles(volatile uint32_t kept[2], uint64_t cycles);
uint64_t kept_cycles(const volatile uint32_t kept[2]);

void teach_sensitive(void);
void teach_rings(void);
void teach_compression(void);
void teach_paging(void);
void teach_syscalls(void);
void teach_interrupts(void);
void teach_tpr(void);

#endif
