/* tf_callouts -- single-stepping (EFLAGS.TF, set by an inline popf) through callouts and
 * rewritten sequences single_step does not cover: rep movsb (a #DB after every iteration,
 * SDM vol. 3A 17.3.1.4), int $n (TF cleared in the handler; the next #DB after the
 * instruction that follows the handler's iret), cpuid, in, lgdt, mov from/to %cr0, push %cs,
 * and an inline iret whose popped EFLAGS have TF clear. Each #DB's EIP, relative to the start,
 * and whether the frame's EFLAGS still had TF. SDM: the #DB after that iret (TF was set when it
 * began) saves the EFLAGS the iret loaded, TF clear. bt: the #DB frame has TF set -- save_context
 * (core/engines/bt_engine.cpp: `if (guest_tf_ && ctx_.event.signal == 0) s.eflags |= TF`) puts
 * the entry's TF back after the lookup exit the iret ended in -- so the handler's iret steps on:
 * one #DB too many (+55). Golden: QEMU's (the trap engine agrees). */
#include "hostile.h"

void seq_start(void);
void seq_end(void);
void int_handler(void);
volatile uint32_t eips[64], tfs[64], n, ints;
uint8_t s1[8], d1[8];
struct dtr g;

__asm__(".text\n"
        "int_handler:\n"
        "  incl ints\n"
        "  iret\n"
        ".globl seq_start, seq_end\n"
        "seq_start:\n"
        "  mov $3, %ecx\n"       /* +0 */
        "  mov $s1, %esi\n"      /* +5 */
        "  mov $d1, %edi\n"      /* +10 */
        "  cld\n"                /* +15 */
        "  rep movsb\n"          /* +16 */
        "  int $0x40\n"          /* +18 */
        "  xor %eax, %eax\n"     /* +20 */
        "  cpuid\n"              /* +22 */
        "  inb $0x80, %al\n"     /* +24 */
        "  lgdt g\n"             /* +26 */
        "  mov %cr0, %eax\n"     /* +33 */
        "  mov %eax, %cr0\n"     /* +36 */
        "  pushf\n"              /* +39 */
        "  andl $~0x100, (%esp)\n" /* +40 */
        "  push %cs\n"           /* +47 */
        "  push $1f\n"           /* +48 */
        "  iret\n"               /* +53: TF clear after it */
        "1: nop\n"               /* +54 */
        "seq_end:\n"
        "  nop\n"
        "  ret\n");

static void on_debug(struct frame* f) {
    if (n < 64) eips[n] = f->eip, tfs[n] = (f->eflags >> 8) & 1;
    ++n;
    WRITE_DR(6, 0);
    if (f->eip == (uint32_t)seq_end || n > 60) f->eflags &= ~EFLAGS_TF;
}

int main(void) {
    print("single-stepping callouts\n");
    trap_hooks[1] = on_debug;
    idt_set(0x40, SEL_CODE, (uint32_t)int_handler, GATE_INT32);
    g.limit = GDT_LIMIT, g.base = GDT_BASE; /* (not sgdt: native under trap) */
    __asm__ volatile("pushf\n orl $0x100, (%%esp)\n popf\n call seq_start\n"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    gprintf("%u traps, %u ints, copied %u\n", n, ints, d1[2] == s1[2]);
    for (uint32_t i = 0; i < n && i < 64; ++i) {
        const uint32_t e = eips[i];
        if (e >= (uint32_t)seq_start && e <= (uint32_t)seq_end)
            gprintf("  +%u%s\n", e - (uint32_t)seq_start, tfs[i] ? "" : " (TF clear in the frame)");
        else
            gprintf("  outside\n");
    }
    return 0;
}
