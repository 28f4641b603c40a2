/* tf_movss -- single-stepping over mov %ax,%ss and pop %ss. SDM vol. 3A 6.8.3: a load of SS
 * holds debug exceptions (single-step included) until after the next instruction, so that a
 * kernel's `mov ss; mov esp` pair never takes a #DB between its halves (the POP SS/MOV SS
 * rule behind CVE-2018-8897). Expected #DB EIPs: after the first mov, after the nop that
 * follows each SS load, never right after the load. bt: mov/pop %ss are callouts and the
 * run loop raises the #DB right after every emulated instruction (core/run_loop.cpp,
 * RunLoop::emulate: `stepping && !interrupt`), SS loads included. Golden: QEMU's (the trap
 * engine agrees). */
#include "hostile.h"

void seq_start(void);
void seq_end(void);
volatile uint32_t eips[32], n;

__asm__(".text\n"
        ".globl seq_start, seq_end\n"
        "seq_start:\n"
        "  mov %ss, %ax\n"       /* +0 (3 bytes) */
        "  mov %ax, %ss\n"       /* +3 (2 bytes): no #DB at +5 */
        "  nop\n"                /* +5 */
        "  push %ss\n"           /* +6 */
        "  pop %ss\n"            /* +7: no #DB at +8 */
        "  nop\n"                /* +8 */
        "  mov %ax, %ss\n"       /* +9 */
        "  mov %esp, %ebx\n"     /* +11: no #DB at +11 */
        "seq_end:\n"             /* +13 */
        "  nop\n"
        "  ret\n");

static void on_debug(struct frame* f) {
    if (n < 32) eips[n] = f->eip;
    ++n;
    WRITE_DR(6, 0);
    if (f->eip == (uint32_t)seq_end || n > 40) f->eflags &= ~EFLAGS_TF;
}

int main(void) {
    print("single-stepping SS loads\n");
    trap_hooks[1] = on_debug;
    __asm__ volatile("pushf\n orl $0x100, (%%esp)\n popf\n call seq_start\n"
                     ::: "eax", "ebx", "memory", "cc");
    gprintf("%u traps\n", n);
    for (uint32_t i = 0; i < n && i < 32; ++i) {
        const uint32_t e = eips[i];
        if (e >= (uint32_t)seq_start && e <= (uint32_t)seq_end)
            gprintf("  +%u\n", e - (uint32_t)seq_start);
        else
            gprintf("  outside\n");
    }
    return 0;
}
