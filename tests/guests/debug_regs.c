/* debug_regs: the guest's own instruction breakpoints. DR0 and DR1 hold the addresses of two
 * functions, DR7 enables them (L0, G1; kind execute, length 1): each call faults with #DB
 * before the function's first instruction, DR6's B0 or B1 says which, the handler sets RF in
 * the frame so that its iret lets the instruction run, and the function then runs. With DR7
 * cleared nothing fires. Under bt a block ends before each breakpoint address
 * (core/engines/bt_breakpoints.cpp); trap runs the code natively and sees none
 * (debug_regs.trap.expected). */
#include "lib/guest.h"

#define RF (1u << 16)
static volatile uint32_t hits, last_dr6, last_eip;

uint32_t bp_first(void);
uint32_t bp_second(void);
__asm__(".text\n"
        ".globl bp_first, bp_second\n"
        "bp_first:\n"
        "    mov $1, %eax\n"
        "    ret\n"
        "bp_second:\n"
        "    mov $2, %eax\n"
        "    ret\n");

static void on_debug(struct frame* f) {
    ++hits;
    __asm__ volatile("mov %%dr6, %0" : "=r"(last_dr6));
    last_eip = f->eip;
    f->eflags |= RF;
}

int main(void) {
    print("debug_regs: DR0-DR3 instruction breakpoints\n");
    trap_hooks[1] = on_debug;
    __asm__ volatile("mov %0, %%dr0" ::"r"((uint32_t)bp_first));
    __asm__ volatile("mov %0, %%dr1" ::"r"((uint32_t)bp_second));
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
    __asm__ volatile("mov %0, %%dr7" ::"r"(0x9u)); /* L0, G1: execute, length 1 */
    uint32_t sum = 0;
    for (int i = 0; i < 3; ++i) sum += bp_first();
    gprintf("bp_first x3: %u #DB, DR6 B0-B3 %x, at bp_first: %s, sum %u\n", hits, last_dr6 & 0xf,
            last_eip == (uint32_t)bp_first ? "yes" : "no", sum);
    sum = bp_second();
    gprintf("bp_second: %u #DB, DR6 B0-B3 %x, at bp_second: %s, returned %u\n", hits,
            last_dr6 & 0xf, last_eip == (uint32_t)bp_second ? "yes" : "no", sum);
    __asm__ volatile("mov %0, %%dr7" ::"r"(0u));
    sum = bp_first() + bp_second();
    gprintf("DR7 clear: %u #DB, sum %u\n", hits, sum);
    return 0;
}
