/* data_breakpoint_cost: what a data breakpoint costs the code around it (docs/debugging.md).
 * A loop of stores and loads to one word of a page, run three ways: no data breakpoint; a
 * write breakpoint on another word of the same page (every store there becomes a fault and a
 * run of the instruction by the virtual CPU, none of them a #DB); one on a word of another
 * page (the loop's page runs natively again). One BENCH line each, cycles per iteration. */
#include "bench.h"

static volatile uint32_t hot[1024] __attribute__((aligned(4096)));
static volatile uint32_t other[1024] __attribute__((aligned(4096)));

static void loop(const char* name, uint32_t n) {
    const uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) hot[0] = hot[0] + i;
    report(name, rdtsc() - t0, n);
}

static void watch(volatile uint32_t* word) {
    __asm__ volatile("mov %0, %%dr0" ::"r"(word));
    __asm__ volatile("mov %0, %%dr7" ::"r"(0xd0002u)); /* G0, write, LEN 4 */
}

int main(void) {
    print("data_breakpoint_cost\n");
    loop("no data breakpoint", 1000000);
    watch(&hot[512]);
    loop("write breakpoint on the loop's page", 200000);
    watch(&other[0]);
    loop("write breakpoint on another page", 1000000);
    __asm__ volatile("mov %0, %%dr7" ::"r"(0u));
    gprintf("sum %u\n", hot[0]);
    return 0;
}
