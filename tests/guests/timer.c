/* timer: hardware interrupts, the 8254 PIT through the 8259A PICs (vector 0x20), on the
 * injection path a monitor must get right: hlt waiting for the next tick, an interrupt held
 * while IF = 0 and taken one instruction after sti (the interrupt shadow), taken at once
 * after popf sets IF, held in IRR while masked in the IMR and taken when unmasked, and timer
 * ticks interrupting ring-3 code under paging (the TSS stack switch, CPL 3 in the frame). */
#include "lib/guest.h"

#define PIT_HZ 1193182u
static volatile uint32_t ticks;
static volatile uint32_t tick_eip, tick_cs, tick_if, tick_isr, user_ticks, user_ss;
void user_entry(void);
extern char after_sti[], after_sti_next[], after_popf[];

static void on_timer(struct frame* f) {
    ++ticks;
    tick_eip = f->eip;
    tick_cs = f->cs & 0xffff;
    tick_if = (read_eflags() >> 9) & 1;
    outb(0x20, 0x0b); /* OCW3: read the ISR */
    tick_isr = inb(0x20);
    if ((f->cs & 3) == 3) {
        ++user_ticks;
        user_ss = ((uint32_t*)(f + 1))[1] & 0xffff; /* the user SS the CPU pushed */
    }
    outb(0x20, 0x20); /* non-specific EOI */
}

static void on_user_done(struct frame* f) {
    /* 5, or 6 when a tick lands between the user loop's last test and its int $0x81 (a
     * loaded host makes that likely enough to see): the count itself is not the point. */
    gprintf("ring 3 interrupted by %s ticks: frame CS %04x SS %04x, the handler at CPL %u\n",
            user_ticks == 5 || user_ticks == 6 ? "5 (or 6)" : "an unexpected number of",
            f->cs & 0xffff, user_ss, READ_SEG(cs) & 3);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    guest_exit(0);
}

static uint8_t irr(void) {
    outb(0x20, 0x0a); /* OCW3: read the IRR */
    return inb(0x20);
}

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));

__asm__(
    ".text\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "1:  cmpl $5, user_ticks\n" /* spin at CPL 3 until five ticks interrupted it */
    "    jb 1b\n"
    "    int $0x81\n");

int main(void) {
    print("timer interrupts\n");
    /* The PICs as a PC BIOS leaves them, but with IRQ 0 at vector 0x20, only IRQ 0 open. */
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    trap_hooks[0x20] = on_timer;
    /* PIT channel 0, mode 2 (rate generator), 1 kHz. */
    outb(0x43, 0x34), outb(0x40, (PIT_HZ / 1000) & 0xff), outb(0x40, (PIT_HZ / 1000) >> 8);

    sti();
    while (ticks < 10) __asm__ volatile("hlt");
    cli();
    gprintf("hlt: %u ticks; in the handler IF %u, ISR %02x\n", ticks, tick_if, tick_isr);

    while (!(irr() & 1)) {
    }
    const uint32_t before = ticks;
    __asm__ volatile("sti\n after_sti: nop\n after_sti_next: nop\n nop\n cli" ::: "memory");
    gprintf("held while IF = 0; after sti, %u taken, at %s\n", ticks - before,
            tick_eip == (uint32_t)after_sti_next ? "the one after the next (the shadow)"
            : tick_eip == (uint32_t)after_sti    ? "the next instruction (no shadow!)"
                                                 : "some later instruction");
    while (!(irr() & 1)) {
    }
    __asm__ volatile("pushl $0x202\n popfl\n after_popf: nop\n cli" ::: "memory");
    gprintf("after popf set IF: taken at %s\n",
            tick_eip == (uint32_t)after_popf ? "the next instruction" : "another instruction");

    outb(0x21, 0xff); /* IRQ 0 masked: requests wait in the IRR */
    const uint32_t masked_before = ticks;
    sti();
    while (!(irr() & 1)) {
    }
    for (volatile int i = 0; i < 1000; ++i) {
    }
    const uint32_t masked_taken = ticks - masked_before;
    outb(0x21, 0xfe);
    for (volatile int i = 0; i < 1000 && ticks == masked_before; ++i) {
    }
    cli();
    gprintf("masked: IRR set, %u taken; unmasked: taken %s\n", masked_taken,
            ticks > masked_before ? "yes" : "no");

    /* Ring 3 under paging: everything user-accessible, the kernel's stack from the TSS. */
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | 7;
    dir[0] = (uint32_t)tables[0] | 7;
    dir[1] = (uint32_t)tables[1] | 7;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[0x81] = on_user_done;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    user_ticks = 0;
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile(
        "push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(SEL_DATA_DPL3 | 3),
        "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_entry));
    return 1;
}
