/* single_step: the guest single-steps itself (EFLAGS.TF): a #DB trap after every instruction,
 * whatever kind it is - plain arithmetic, stack operations, a call and a ret, a port read, pushf
 * and popf, a jump - with DR6.BS set and EIP at the next instruction. TF is set by an iret;
 * the handler clears it at the end label. */
#include "lib/guest.h"

void step_start(void);
void step_end(void);
static volatile uint32_t trap_eips[32];
static volatile uint32_t traps, bs_seen, tf_in_frame;

__asm__(
    ".text\n"
    ".globl step_start, step_end\n"
    "step_leaf:\n"
    "    inc %ebx\n"
    "    ret\n"
    "step_start:\n"
    "    mov $1, %eax\n"
    "    add $2, %eax\n"
    "    push %eax\n"
    "    pop %ebx\n"
    "    call step_leaf\n"
    "    inb $0x80, %al\n"
    "    pushf\n"
    "    popf\n"
    "    jmp 1f\n"
    "    ud2\n"
    "1:  lea 1(%ebx), %ecx\n"
    "step_end:\n"
    "    nop\n"
    "    ret\n");

static void on_debug(struct frame* f) {
    if (traps < 32) trap_eips[traps] = f->eip;
    ++traps;
    if (READ_DR(6) & 0x4000) ++bs_seen;
    tf_in_frame += (f->eflags >> 8) & 1;
    WRITE_DR(6, 0);
    if (f->eip == (uint32_t)step_end) f->eflags &= ~EFLAGS_TF;
}

int main(void) {
    print("single-stepping\n");
    trap_hooks[1] = on_debug;
    __asm__ volatile(
        "pushl $0x302\n" /* IF | TF */
        "pushl %0\n"
        "pushl $1f\n"
        "iret\n"
        "1: call step_start\n" ::"i"(SEL_CODE)
        : "eax", "ebx", "ecx", "memory", "cc");
    gprintf("%u traps, DR6.BS in %u, TF in %u frames\n", traps, bs_seen, tf_in_frame);
    for (uint32_t i = 0; i < traps && i < 32; ++i) {
        const uint32_t e = trap_eips[i];
        if (e >= (uint32_t)step_start && e <= (uint32_t)step_end)
            gprintf("  step_start+%u\n", e - (uint32_t)step_start);
        else
            gprintf("  %s\n", e < (uint32_t)step_start ? "in step_leaf" : "after the call");
    }
    return 0;
}
