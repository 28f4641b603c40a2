/* lapic: the local APIC at 0xfee00000 as a guest drives it, on every engine against QEMU TCG:
 * IA32_APIC_BASE and the version register; self-IPIs held by the TPR and taken by priority
 * class, the ISR and PPR seen inside a handler, EOI; a higher class nesting inside a handler
 * while its own class waits for the EOI; an NMI IPI; the timer one-shot and periodic through
 * hlt, its current count; and the 8259 pair (the PIT on IRQ 0) behind LINT0: through in
 * virtual-wire mode (ExtINT), held while LINT0 is masked and taken when it is unmasked,
 * straight through while the APIC is globally disabled. The output does not depend on timing. */
#include "lib/guest.h"

#define APIC 0xfee00000u
enum {
    VER = 0x30,
    TPR = 0x80,
    PPR = 0xa0,
    EOI = 0xb0,
    SPIV = 0xf0,
    ISR = 0x100,
    IRR = 0x200,
    ICR = 0x300,
    ICR2 = 0x310,
    LVT_TIMER = 0x320,
    LINT0 = 0x350,
    LINT1 = 0x360,
    TMICT = 0x380,
    TMCCT = 0x390,
    TDCR = 0x3e0,
};
#define MASKED (1u << 16)
#define PERIODIC (1u << 17)
#define SELF (1u << 18)
#define PIT_HZ 1193182u

static uint32_t apic_read(uint32_t reg) {
    return *(volatile uint32_t*)(APIC + reg);
}
static void apic_write(uint32_t reg, uint32_t v) {
    *(volatile uint32_t*)(APIC + reg) = v;
}
static int apic_bit(uint32_t base, unsigned v) {
    return (apic_read(base + (v >> 5) * 0x10) >> (v & 31)) & 1;
}
static void self_ipi(uint8_t vector) {
    apic_write(ICR, SELF | vector);
}
static void pause_a_little(void) {
    for (volatile int i = 0; i < 200; ++i) {
    }
}

static volatile uint32_t order[16], n_order, isr_in_handler, ppr_in_handler;
static volatile uint32_t nmis, timer_ticks, pic_ticks;

static void record(uint32_t what) {
    if (n_order < 16) order[n_order++] = what;
}
static void print_order(const char* what) {
    gprintf("%s:", what);
    for (uint32_t i = 0; i < n_order; ++i) gprintf(" %02x", order[i]);
    gprintf("\n");
    n_order = 0;
}

static void on_ipi(struct frame* f) {
    record(f->vector);
    if (f->vector == 0x62) {
        isr_in_handler = apic_bit(ISR, 0x62);
        ppr_in_handler = apic_read(PPR);
    }
    apic_write(EOI, 0);
}
/* 0x45: a same-class 0x46 waits for this EOI; a higher-class 0x85 nests at once. */
static void on_nesting(struct frame* f) {
    record(f->vector);
    self_ipi(0x46);
    self_ipi(0x85);
    sti();
    pause_a_little();
    cli();
    record(0xee); /* the end of 0x45's handler */
    apic_write(EOI, 0);
}
static void on_nmi(struct frame* f) {
    (void)f;
    ++nmis;
}
static void on_timer(struct frame* f) {
    (void)f;
    ++timer_ticks;
    apic_write(EOI, 0);
}
static void on_pic(struct frame* f) {
    (void)f;
    ++pic_ticks;
    outb(0x20, 0x20);
}
static uint8_t pic_irr(void) {
    outb(0x20, 0x0a);
    return inb(0x20);
}

int main(void) {
    print("local APIC\n");
    const uint64_t base = rdmsr(0x1b);
    gprintf("IA32_APIC_BASE %08x: base %08x, BSP %u, enabled %u\n", (uint32_t)base,
            (uint32_t)base & 0xfffff000, (uint32_t)(base >> 8) & 1, (uint32_t)(base >> 11) & 1);
    gprintf("version %08x\n", apic_read(VER));
    apic_write(SPIV, 0x1ff);
    apic_write(LINT0, 0x700); /* ExtINT: virtual wire */
    apic_write(LINT1, MASKED | 0x400);
    for (unsigned v = 0x21; v < 0x90; ++v) {
        idt_set(v, SEL_CODE, isr_stub(v), GATE_INT32);
        trap_hooks[v] = on_ipi;
    }
    trap_hooks[0x45] = on_nesting;
    trap_hooks[2] = on_nmi;

    /* The TPR holds classes at or below its own; the highest class is taken first. */
    sti();
    apic_write(TPR, 0xf0);
    self_ipi(0x22);
    self_ipi(0x62);
    pause_a_little();
    gprintf("TPR f0: PPR %02x, IRR 22 %u 62 %u, %u taken\n", apic_read(PPR), apic_bit(IRR, 0x22),
            apic_bit(IRR, 0x62), n_order);
    apic_write(TPR, 0x20);
    pause_a_little();
    print_order("TPR 20: taken");
    gprintf("in 62's handler: ISR bit %u, PPR %02x\n", isr_in_handler, ppr_in_handler);
    apic_write(TPR, 0);
    pause_a_little();
    print_order("TPR 00: taken");
    cli();
    self_ipi(0x70);
    self_ipi(0x71);
    self_ipi(0x33);
    pause_a_little();
    sti();
    pause_a_little();
    print_order("three while IF = 0, then sti");

    self_ipi(0x45);
    pause_a_little();
    print_order("nesting (ee: 45's EOI)");
    gprintf("ISR empty %u, PPR %02x\n", !apic_bit(ISR, 0x45) && !apic_bit(ISR, 0x85),
            apic_read(PPR));

    apic_write(ICR2, 0);
    apic_write(ICR, 0x400); /* NMI to physical APIC ID 0: this CPU */
    pause_a_little();
    gprintf("NMI IPI: %u NMI taken\n", nmis);

    /* The timer: vector 0x90, divide by 1, 1 ms one-shot; then 0.5 ms periodic. */
    idt_set(0x90, SEL_CODE, isr_stub(0x90), GATE_INT32);
    trap_hooks[0x90] = on_timer;
    apic_write(TDCR, 0xb);
    apic_write(LVT_TIMER, 0x90);
    apic_write(TMICT, 1000000);
    const uint32_t c1 = apic_read(TMCCT), c2 = apic_read(TMCCT);
    gprintf("one-shot: counts down %u\n", c1 <= 1000000 && c2 <= c1);
    while (timer_ticks == 0) __asm__ volatile("hlt");
    gprintf("one-shot: fired %u, current count %u\n", timer_ticks, apic_read(TMCCT));
    timer_ticks = 0;
    apic_write(LVT_TIMER, PERIODIC | 0x90);
    apic_write(TMICT, 500000);
    while (timer_ticks < 5) __asm__ volatile("hlt");
    apic_write(LVT_TIMER, MASKED | 0x90);
    apic_write(TMICT, 0);
    gprintf("periodic: %s ticks through hlt, then stopped: count %u\n",
            timer_ticks == 5 || timer_ticks == 6 ? "5 (or 6)" : "an unexpected number of",
            apic_read(TMCCT));

    /* The 8259 pair behind LINT0: the PIT at 1 kHz on IRQ 0, vector 0x20. */
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    trap_hooks[0x20] = on_pic;
    outb(0x43, 0x34), outb(0x40, (PIT_HZ / 1000) & 0xff), outb(0x40, (PIT_HZ / 1000) >> 8);
    while (pic_ticks < 3) __asm__ volatile("hlt");
    gprintf("LINT0 ExtINT: the PIT's ticks arrive\n");
    apic_write(LINT0, MASKED | 0x700);
    while (!(pic_irr() & 1)) {
    }
    const uint32_t held = pic_ticks;
    pause_a_little();
    gprintf("LINT0 masked: IRQ 0 in the 8259's IRR, %u taken\n", pic_ticks - held);
    apic_write(LINT0, 0x700);
    pause_a_little();
    gprintf("LINT0 unmasked: %s\n", pic_ticks > held ? "taken" : "still held");
    wrmsr(0x1b, base & ~0x800ull); /* globally disabled: the 8259's INT goes to the CPU */
    while (pic_ticks < held + 4) __asm__ volatile("hlt");
    gprintf("APIC globally disabled (base %08x): the PIT's ticks arrive\n", (uint32_t)rdmsr(0x1b));
    cli();
    return 0;
}
