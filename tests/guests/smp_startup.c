/* smp_startup: eight CPUs (smp_startup.args: -smp 8) started again and again. The BSP copies a
 * real-mode stub to 0x9000 that counts each AP in and stops it in cli; hlt, then 100 rounds of
 * the MP specification's sequence to all but itself: INIT, start-up IPI, start-up IPI. Each
 * round every AP counts itself in exactly once: the INIT reaches it in hlt with IF clear, and
 * only the first SIPI after an INIT starts a CPU. Then one SIPI with no INIT before it starts
 * no one. The BSP waits for each round's count with pause (bounded; an extra start-up shows
 * as a count past the round's), so the output does not depend on timing. With one CPU (trap, kvm)
 * there is no AP, and the guest says so. */
#include "lib/guest.h"

#define APIC 0xfee00000u
#define STUB 0x9000u
#define ALL_BUT_SELF 0x000c0000u
#define INIT_ASSERT 0x00004500u
#define STARTUP 0x00004600u
#define ROUNDS 100

extern char startup_code[], startup_code_end[];
extern const uint32_t startup_count_offset;

static void icr(uint32_t low) {
    *(volatile uint32_t*)(APIC + 0x310) = 0;
    *(volatile uint32_t*)(APIC + 0x300) = low;
}

static unsigned fw_cfg_cpus(void) {
    outw(0x510, 0x05); /* FW_CFG_NB_CPUS */
    unsigned n = inb(0x511);
    return n | (unsigned)inb(0x511) << 8;
}

/* Waits (with pause, at most `bound` times) until the AP count reaches `want`; returns it. */
static unsigned wait_count(volatile uint16_t* count, unsigned want, uint32_t bound) {
    for (uint32_t i = 0; i < bound && *count < want; ++i) __asm__ volatile("pause");
    return *count;
}

int main(void) {
    print("smp_startup\n");
    const unsigned cpus = fw_cfg_cpus();
    gprintf("fw_cfg: %u CPUs\n", cpus);
    if (cpus < 2) {
        print("one CPU: no AP to start\n");
        return 0;
    }
    *(volatile uint32_t*)(APIC + 0xf0) = 0x1ff;
    const uint32_t size = (uint32_t)(startup_code_end - startup_code);
    for (uint32_t i = 0; i < size; ++i) ((volatile char*)STUB)[i] = startup_code[i];
    volatile uint16_t* count = (volatile uint16_t*)(STUB + startup_count_offset);
    const unsigned aps = cpus - 1;
    unsigned exact = 0, last = 0;
    for (unsigned r = 1; r <= ROUNDS; ++r) {
        icr(ALL_BUT_SELF | INIT_ASSERT);
        icr(ALL_BUT_SELF | STARTUP | (STUB >> 12));
        icr(ALL_BUT_SELF | STARTUP | (STUB >> 12)); /* ignored: no INIT since */
        last = wait_count(count, r * aps, 100000000u);
        if (last == r * aps) ++exact;
    }
    gprintf("%u rounds of INIT, SIPI, SIPI to %u APs: %u rounds exact, %u start-ups\n", ROUNDS, aps,
            exact, last);
    icr(ALL_BUT_SELF | STARTUP | (STUB >> 12)); /* no INIT before it */
    /* (a start-up would count within microseconds: a million pauses are ample) */
    gprintf("a SIPI without INIT: %u start-ups\n", wait_count(count, last + 1, 1000000u));
    return 0;
}
