/* data_breakpoints_stack: a read/write breakpoint on a local variable, as a kernel debugger
 * sets one: every instruction that touches the stack's page then runs on the virtual CPU
 * under bt and trap (the page admits no native access), the formatting code of gprintf and
 * the #DB handler included; only the accesses to the variable's four bytes fire. Oracle:
 * QEMU TCG. */
#include "lib/guest.h"

static volatile uint32_t hits, last_eip;
static void on_debug(struct frame* f) {
    ++hits;
    last_eip = f->eip;
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
}

static uint32_t __attribute__((noinline)) work(volatile uint32_t* local, uint32_t n) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) {
        sum += i * 3 + (sum >> 3);
        if (i % 4 == 0) *local += i; /* (a load and a store here: two #DB) */
    }
    return sum;
}

int main(void) {
    print("data_breakpoints_stack: a read/write breakpoint on a local variable\n");
    trap_hooks[1] = on_debug;
    volatile uint32_t local = 7;
    __asm__ volatile("mov %0, %%dr0" ::"r"(&local));
    __asm__ volatile("mov %0, %%dr7" ::"r"(0xf0002u)); /* G0, read/write, LEN 4 */
    const uint32_t sum = work(&local, 40);
    const uint32_t h = hits;
    hits = 0;
    gprintf("work: sum %u, local %u, %u #DB\n", sum, local, h); /* (its read of local: 1) */
    gprintf("gprintf's read: %u #DB\n", hits);
    hits = 0;
    for (int i = 0; i < 3; ++i) gprintf("  a line of %s %u %x\n", "text", i * 1000u, i);
    gprintf("three lines: %u #DB\n", hits);
    __asm__ volatile("mov %0, %%dr7" ::"r"(0u));
    local = 1;
    gprintf("DR7 clear: %u #DB\n", hits);
    return 0;
}
