/* tpr_store: one TPR store executed again and again, as a kernel changes its interrupt
 * priority. Under bt such a store becomes one store to the TPR's slot (core/engines/bt_tpr.cpp);
 * while an interrupt waits, lowering the TPR must still deliver it at once. 1000 rounds: TPR
 * f0, a self-IPI of class 5 (held), TPR 0 (taken before the instruction after the jmp), the
 * handler's count read before and after. Then a store through %ds in a function called ten
 * times, read back through the APIC. The output does not depend on timing. */
#include "lib/guest.h"

#define APIC 0xfee00000u
static volatile uint32_t taken;
static void on_ipi(struct frame* f) {
    (void)f;
    ++taken;
    *(volatile uint32_t*)(APIC + 0xb0) = 0; /* EOI */
}

/* TPR := v through %ds:0xfee00080 (one absolute mov, the site bt learns). */
static void __attribute__((noinline)) tpr_store(uint32_t v) {
    __asm__ volatile("movl %0, %%ds:0xfee00080" ::"r"(v) : "memory");
}

int main(void) {
    print("tpr_store\n");
    *(volatile uint32_t*)(APIC + 0xf0) = 0x1ff; /* SPIV: enabled */
    idt_set(0x51, SEL_CODE, isr_stub(0x51), GATE_INT32);
    trap_hooks[0x51] = on_ipi;
    sti();
    unsigned held = 0, late = 0;
    for (unsigned i = 0; i < 1000; ++i) {
        uint32_t before, after;
        __asm__ volatile(
            "movl $0xf0, 0xfee00080\n"    /* TPR f0: class 5 is held */
            "movl $0x40051, 0xfee00300\n" /* ICR: a self-IPI, vector 0x51 */
            "movl taken, %0\n"
            "movl $0, 0xfee00080\n" /* TPR 0: the IPI is taken now */
            "jmp 1f\n"
            "1: movl taken, %1\n"
            : "=&r"(before), "=r"(after)
            :
            : "memory");
        if (before != i) ++held;
        if (after != i + 1) ++late;
    }
    gprintf("1000 rounds: %u taken, %u taken while the TPR held them, %u not taken at once\n",
            taken, held, late);
    for (int i = 0; i < 10; ++i) tpr_store(0x30);
    gprintf("TPR after stores through ds: %02x\n", *(volatile uint32_t*)(APIC + 0x80));
    return 0;
}
