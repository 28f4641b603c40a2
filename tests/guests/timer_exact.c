/* timer_exact: interrupts land at exact points. A fast PIT (about 20 kHz) interrupts a loop
 * of straight-line `inc %eax` long enough to be cut into blocks by bt's instruction limit;
 * the guest counts its loop iterations and checks that EAX holds exactly 100 increments per
 * iteration. Each tick resumes where it interrupted: an increment run twice (bt once mapped
 * a signal at a block's final jump back to the instruction before it: busybox's md5sum in
 * the Linux guest came out wrong) or skipped shows as a wrong count. */
#include "lib/guest.h"

#define PIT_HZ 1193182u
#define TICKS 4000u
static volatile uint32_t ticks;

static void on_timer(struct frame* f) {
    (void)f;
    ++ticks;
    outb(0x20, 0x20); /* non-specific EOI */
}

int main(void) {
    print("timer_exact: interrupts in straight-line code\n");
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    trap_hooks[0x20] = on_timer;
    outb(0x43, 0x34), outb(0x40, 60), outb(0x40, 0); /* mode 2, 1193182 / 60: ~19.9 kHz */
    uint32_t count = 0, iterations = 0;
    sti();
    while (ticks < TICKS) {
        __asm__ volatile(".rept 100\n inc %0\n .endr" : "+r"(count));
        ++iterations;
    }
    cli();
    if (count == iterations * 100u)
        gprintf("%u ticks: every one of the increments counted (100 per iteration)\n", TICKS);
    else
        gprintf("%u ticks: %u increments counted for %u iterations: %d off\n", TICKS, count,
                iterations, (int)(count - iterations * 100u));
    guest_exit(0);
    return 1;
}
