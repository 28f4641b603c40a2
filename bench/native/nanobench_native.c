/* The native reference of the nanobenchmarks: the same call/ret loop and CPU-bound workload
 * (bench/guests/workload.h) compiled with gcc -m32 -O1 like the guest, run as an ordinary
 * 32-bit Linux process. Prints the same BENCH lines as the guest
 * (cycles per operation to two decimals, as bench/guests/bench.h). */
#include <stdio.h>
#include <x86intrin.h>

#include "../guests/workload.h"

__attribute__((noinline)) void leaf(void) {
    __asm__ volatile("");
}
volatile uint32_t sink;

int main(void) {
    uint64_t t0 = __rdtsc();
    for (int i = 0; i < 1000000; ++i) leaf();
    printf("BENCH|call_ret|%.2f|1000000\n", (double)(__rdtsc() - t0) / 1000000);
    t0 = __rdtsc();
    const uint32_t r = workload();
    sink = r;
    printf("BENCH|cpu_loop|%llu|1\n", (unsigned long long)(__rdtsc() - t0));
    printf("checksum %08x\n", r);
    return 0;
}
