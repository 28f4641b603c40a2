/* pit_storm -- mechanism 4: host signals at every instruction of the world switch. The PIT
 * runs at ~10 kHz (divisor 119) through the 8259A (IRQ 0 at vector 0x20) while the guest
 * makes callouts back to back -- `in` from port 0x80, cpuid, out to the PIC -- until 30000
 * ticks (~3 s) have passed. FS holds a segment based on a page of 0x41 bytes, so a monitor
 * that runs C++ with the guest's FS base live (a timer signal between `wrfsbase` and the jump
 * into the monitor) reads 0x41414141 pointers for its TLS and dies. Every cpuid result is
 * checked against the first one. Oracle: prevt does not die (status >= 128 is a failure),
 * the run ends well before --timeout, "cpuid results: all equal"; golden: QEMU's. */
#include "hostile.h"

#define PIT_HZ 1193182
#define DIVISOR 119
#define TICKS 30000

static volatile uint32_t ticks;
static uint8_t fs_page[8192] __attribute__((aligned(4096)));

static void on_timer(struct frame* f) {
    (void)f;
    ++ticks;
    outb(0x20, 0x20);
}

int main(void) {
    print("10 kHz timer during back-to-back callouts\n");
    memset(fs_page, 0x41, sizeof fs_page);
    set_desc(SEL_A, (uint32_t)fs_page + 4096, 0xfff, ACC_DATA_RW, FL_DB);
    __asm__ volatile("mov %w0, %%fs" ::"r"(SEL_A));
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    trap_hooks[0x20] = on_timer;
    outb(0x43, 0x34), outb(0x40, DIVISOR & 0xff), outb(0x40, DIVISOR >> 8);
    uint32_t first[4], r[4], bad = 0, loops = 0;
    cpuid(0, first);
    sti();
    while (ticks < TICKS && loops < 50000000) {
        (void)inb(0x80);
        cpuid(0, r);
        if (r[0] != first[0] || r[1] != first[1] || r[2] != first[2] || r[3] != first[3]) ++bad;
        outb(0x21, 0xfe);
        ++loops;
    }
    cli();
    outb(0x21, 0xff);
    __asm__ volatile("mov %w0, %%fs" ::"r"(SEL_DATA));
    gprintf("%u ticks reached: %s\n", TICKS, ticks >= TICKS ? "yes" : "no (loop limit)");
    gprintf("cpuid results: %s\n", bad ? "SOME DIFFER" : "all equal");
    gprintf("fs page intact: %s\n", fs_page[4096] == 0x41 && fs_page[8191] == 0x41 ? "yes" : "no");
    return 0;
}
