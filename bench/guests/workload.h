/* The CPU-bound workload of the nanobenchmarks: a sieve, a recursive function, a CRC and a
 * switch-driven interpreter, with no privileged instruction and no I/O. Compiled into the guest (nanobench.c) and into the
 * native reference (bench/native/nanobench_native.c) from this one source. */
#ifndef PREVT_BENCH_WORKLOAD_H
#define PREVT_BENCH_WORKLOAD_H

#include <stdint.h>

static uint8_t sieve_buf[1 << 16];

static uint32_t sieve(void) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < sizeof sieve_buf; ++i) sieve_buf[i] = 1;
    for (uint32_t i = 2; i < sizeof sieve_buf; ++i) {
        if (!sieve_buf[i]) continue;
        ++count;
        for (uint32_t j = i + i; j < sizeof sieve_buf; j += i) sieve_buf[j] = 0;
    }
    return count;
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t crc32(const uint8_t* p, uint32_t len) {
    uint32_t crc = 0xffffffff;
    for (uint32_t i = 0; i < len; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }
    return ~crc;
}

/* A switch-driven bytecode interpreter (the compiler makes the switch a jump table: an
 * indirect jump per bytecode, the translator's lookup at work). */
static uint32_t interpret(uint32_t steps) {
    static const uint8_t program[] = {0, 1, 2, 3, 4, 1, 2, 5, 6, 0, 3, 7};
    uint32_t acc = 1, x = 7, pc = 0;
    for (uint32_t i = 0; i < steps; ++i) {
        switch (program[pc]) {
            case 0: acc += x; break;
            case 1: acc ^= acc << 3; break;
            case 2: x = x * 5 + 1; break;
            case 3: acc -= x >> 2; break;
            case 4: acc = (acc >> 7) | (acc << 25); break;
            case 5: x ^= acc; break;
            case 6: acc += 0x9e3779b9; break;
            default: x += 3; break;
        }
        pc = pc + 1 == sizeof program ? 0 : pc + 1;
    }
    return acc ^ x;
}

/* One run of the workload; the checksum keeps the compiler honest. */
static uint32_t workload(void) {
    uint32_t r = 0;
    for (int k = 0; k < 20; ++k)
        r += sieve() + fib(20) + crc32(sieve_buf, 4096) + interpret(20000);
    return r;
}

#endif
