/* pit_max -- mechanism 4 at the PIT's fastest rate: the PIT at its fastest (mode 2, divisor 2: ~597
 * kHz) with IRQ 0 unmasked while the guest runs the inline rewrites back to back: pushf/popf,
 * cli/sti, an inline iret to the same CS, indirect call/ret lookups, push %cs, rep movsb, and
 * callouts (in, cpuid). A checksum over what the loop computes must not depend on where the
 * interrupts land; the flags checks (IF clear after cli inside pushf/popf, CS after the inline
 * iret, IF set at the end of each round) count failures in `bad`. Golden: QEMU's. Trap skipped
 * (ring aliasing). */
#include "hostile.h"

static volatile uint32_t ticks;
static void on_timer(struct frame* f) {
    (void)f;
    ++ticks;
    outb(0x20, 0x20);
}
static uint32_t __attribute__((noinline)) f1(uint32_t x) {
    return x * 3 + 1;
}
static uint32_t __attribute__((noinline)) f2(uint32_t x) {
    return x ^ 0x5a5a;
}
static uint32_t (*volatile fp[2])(uint32_t) = {f1, f2};
static uint8_t src[64], dst[64];

int main(void) {
    print("PIT divisor 2 during inline sequences\n");
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    trap_hooks[0x20] = on_timer;
    for (int i = 0; i < 64; ++i) src[i] = (uint8_t)(i * 7);
    outb(0x43, 0x34), outb(0x40, 2), outb(0x40, 0);
    sti();
    uint32_t sum = 0, bad = 0;
    for (uint32_t i = 0; i < 300000; ++i) {
        uint32_t fl, cs;
        __asm__ volatile("pushf\n cli\n pushf\n popl %0\n popf\n" : "=r"(fl)::"memory");
        if (fl & EFLAGS_IF) ++bad;
        __asm__ volatile("pushf\n push %%cs\n push $1f\n iret\n 1: mov %%cs, %0\n"
                         : "=r"(cs)::"memory");
        if (cs != SEL_CODE) ++bad;
        __asm__ volatile("push %%cs\n pop %0\n" : "=r"(cs)::"memory");
        if ((cs & 0xffff) != SEL_CODE) ++bad;
        sum = fp[i & 1](sum + i);
        const uint8_t* si = src;
        uint8_t* di = dst;
        uint32_t cx = 64;
        __asm__ volatile("cld\n rep movsb" : "+S"(si), "+D"(di), "+c"(cx)::"memory");
        sum += dst[i & 63];
        if ((i & 1023) == 0) {
            uint32_t r[4];
            cpuid(0, r);
            (void)r;
            (void)inb(0x80);
        }
        if (!(read_eflags() & EFLAGS_IF)) ++bad;
    }
    cli();
    outb(0x21, 0xff);
    gprintf("checksum %08x, bad %u\n", sum, bad); /* (how many ticks: QEMU's clock differs) */
    return 0;
}
