/* tf_iret -- single-stepping (EFLAGS.TF) an iret to the same CS whose popped EFLAGS keep TF set
 * (what pushf captures while stepping). SDM vol. 3A 17.3.1.4: one #DB after the iret, with EIP
 * at the iret's target. bt: the inline iret refuses a popped TF and jumps to its callout
 * path, whose first instruction bt/translator.cpp (IRETD: map.emplace_back(slow, eip_)) records
 * as an exact point of the iret's EIP: the host's TF trap lands there and the #DB is delivered
 * *before* the iret, every time -- a livelock (the handler gives up after 40 traps here;
 * without that the guest spins until --timeout). Golden: QEMU's (the trap engine agrees). */
#include "hostile.h"

void seq_start(void);
void seq_end(void);
volatile uint32_t eips[16], n;

__asm__(".text\n"
        ".globl seq_start, seq_end\n"
        "seq_start:\n"
        "  pushf\n"              /* +0 */
        "  push %cs\n"           /* +1 */
        "  push $1f\n"           /* +2 */
        "  iret\n"               /* +7 */
        "1: nop\n"               /* +8 */
        "seq_end:\n"             /* +9 */
        "  nop\n"
        "  ret\n");

static void on_debug(struct frame* f) {
    if (n < 16) eips[n] = f->eip;
    ++n;
    WRITE_DR(6, 0);
    if (f->eip == (uint32_t)seq_end || n > 40) f->eflags &= ~EFLAGS_TF;
}

int main(void) {
    print("single-stepping an iret that pops TF\n");
    trap_hooks[1] = on_debug;
    __asm__ volatile("pushf\n orl $0x100, (%%esp)\n popf\n call seq_start\n" ::: "memory", "cc");
    gprintf("%u traps\n", n);
    for (uint32_t i = 0; i < n && i < 16; ++i) {
        const uint32_t e = eips[i];
        if (e >= (uint32_t)seq_start && e <= (uint32_t)seq_end)
            gprintf("  +%u\n", e - (uint32_t)seq_start);
        else
            gprintf("  outside\n");
    }
    return 0;
}
