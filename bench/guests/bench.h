/* What the nanobenchmark guests share: rdtsc, a 64/32 division without libgcc, and the
 * BENCH|name|cycles per operation|iterations line. */
#ifndef PREVT_BENCH_H
#define PREVT_BENCH_H

#include "lib/guest.h"

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* 64-by-32-bit division without libgcc (freestanding): shift and subtract. */
static uint64_t divide(uint64_t a, uint32_t b) {
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; --i) {
        r = (r << 1) | ((a >> i) & 1);
        if (r >= b) {
            r -= b;
            q |= 1ull << i;
        }
    }
    return q;
}

/* Cycles per operation to two decimals (bt's cli+sti is under 2 cycles: an integer would
 * show it as 1 or 0); past 2^32 hundredths, whole cycles (in millions past 2^32 cycles). */
static void report(const char* name, uint64_t cycles, uint32_t n) {
    const uint64_t hundredths = divide(cycles * 100, n);
    const uint64_t per_op = divide(cycles, n);
    if (!(hundredths >> 32))
        gprintf("BENCH|%s|%u.%02u|%u\n", name, (uint32_t)hundredths / 100,
                (uint32_t)hundredths % 100, n);
    else if (per_op >> 32)
        gprintf("BENCH|%s|%u000000|%u\n", name, (uint32_t)divide(per_op, 1000000), n);
    else
        gprintf("BENCH|%s|%u|%u\n", name, (uint32_t)per_op, n);
}

#endif
