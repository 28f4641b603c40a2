/* teach_interrupts: the virtual IF. With IF = 0 (cli), pushf reads IF; a self-IPI (the LAPIC's
 * ICR) leaves an interrupt pending; a popf that sets IF must let it in at once (it does on
 * hardware); then sti. The costs: cli+sti, pushf+popf, and a self-IPI taken and returned from
 * (ICR write, delivery through the IDT, EOI, iret). */
#include "teach/teach.h"

#define VECTOR 0x40

static volatile uint32_t taken;
static void on_ipi(struct frame* f) {
    (void)f;
    ++taken;
    apic_write(APIC_EOI, 0);
}

static void a_few_instructions(void) {
    for (volatile int i = 0; i < 100; ++i) {
    }
}

void teach_interrupts(void) {
    trap_hooks[VECTOR] = on_ipi;
    apic_write(APIC_SPIV, 0x1ff); /* software-enabled, spurious vector 0xff */
    apic_write(APIC_TPR, 0);
    cli();
    result_hex("if_after_cli", (read_eflags() & EFLAGS_IF) != 0, 0);
    apic_write(APIC_ICR, APIC_SELF | VECTOR);
    a_few_instructions();
    result_hex("taken_while_if_0", taken, 0);
    const uint32_t with_if = read_eflags() | EFLAGS_IF;
    __asm__ volatile("pushl %0; popfl" ::"r"(with_if) : "memory", "cc");
    a_few_instructions();
    result_hex("taken_after_popf", taken, 1);
    sti();
    a_few_instructions();
    result_hex("taken_after_sti", taken, 1);
    MEASURE("cli_sti", 2000, { __asm__ volatile("cli; sti" ::: "memory"); });
    MEASURE("pushf_popf", 2000, { __asm__ volatile("pushfl; popfl" ::: "memory", "cc"); });
    taken = 0;
    MEASURE("self_ipi_taken", 2000, { apic_write(APIC_ICR, APIC_SELF | VECTOR); });
    result_hex("self_ipis_taken", taken, 2000);
}
