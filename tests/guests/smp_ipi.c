/* smp_ipi: a second CPU started and talked to through the local APICs (run with -smp 2:
 * smp_ipi.args). The BSP reads the CPU count from fw_cfg, copies the AP's start-up code to
 * 0x7000 and sends INIT then a start-up IPI (vector 0x07) to APIC ID 1; the AP comes up in real
 * mode, enters protected mode on the kit's GDT, reads its own APIC ID, enables its APIC and
 * reports in, then waits in hlt with IF set. The BSP then sends it fixed IPIs by physical and
 * by logical destination, and an NMI by the all-excluding-self shorthand; the AP answers each
 * fixed one with an IPI back to APIC ID 0, which wakes the BSP out of hlt; then both spin
 * on a value in memory with pause, 2000 hand-offs, each keeping its own value in st(0) and storing
 * its own TPR. With one CPU (trap and kvm run one vCPU: fw_cfg says 1) there is no AP to start, and
 * the guest says so. Every wait is race-free (cli, test, sti; hlt) and bounded, so the output does
 * not depend on timing. */
#include "lib/guest.h"

#define APIC 0xfee00000u
#define TRAMPOLINE 0x7000u
#define ICR_INIT 0x00004500u    /* INIT, level assert, physical */
#define ICR_STARTUP 0x00004600u /* start-up, physical */
#define ICR_LOGICAL 0x00000800u
#define ICR_ALL_BUT_SELF 0x000c0000u
#define ICR_NMI 0x00000400u

extern char ap_trampoline[], ap_trampoline_end[];
uint8_t ap_stack[4096] __attribute__((aligned(16)));
__asm__(".globl ap_stack_top\n.set ap_stack_top, ap_stack + 4096");

static volatile uint32_t ap_online, ap_apic_id, ap_ipis, ap_last_vector, ap_nmis, bsp_answers;

static uint32_t apic_read(uint32_t reg) {
    return *(volatile uint32_t*)(APIC + reg);
}
static void apic_write(uint32_t reg, uint32_t v) {
    *(volatile uint32_t*)(APIC + reg) = v;
}
static void send_ipi(uint32_t destination, uint32_t low) {
    apic_write(0x310, destination << 24);
    apic_write(0x300, low);
}

/* The AP's fixed IPIs: counted, answered with vector 0x52 to the BSP. */
static void on_ap_ipi(struct frame* f) {
    ap_last_vector = f->vector;
    ++ap_ipis;
    apic_write(0xb0, 0); /* EOI */
    send_ipi(0, 0x52);
}
/* A ping-pong through memory, both CPUs spinning with pause: the AP (in its handler of
 * vector 0x54) answers each odd value of `ball` with the next even one. A CPU that waits in a
 * spin loop must let the other run (bt with -smp: pause ends its turn); 2000 rounds would
 * take 20 s or more at one 10 ms turn each. */
#define PING_PONG_ROUNDS 2000
static volatile uint32_t ball, ap_returned;
/* Each CPU keeps its own value in st(0) across the ping-pong (its x87 registers are its own). */
static int32_t x87_load_store(int32_t keep, void (*between)(void)) {
    int32_t out;
    __asm__ volatile("fninit\n\tfildl %0" ::"m"(keep));
    between();
    __asm__ volatile("fistpl %0" : "=m"(out));
    return out;
}
static int spin_until(volatile uint32_t* v, uint32_t value) {
    for (uint32_t i = 0; i < 100000000u; ++i) {
        if (*v == value) return 1;
        __asm__ volatile("pause");
    }
    return 0;
}
/* TPR := v through %ds:0xfee00080, one site both CPUs run (bt learns it as a store to the
 * running vCPU's TPR slot: each CPU must find its own value in its own APIC). */
static void __attribute__((noinline)) tpr_store(uint32_t v) {
    __asm__ volatile("movl %0, %%ds:0xfee00080" ::"r"(v) : "memory");
}
static volatile int32_t ap_x87;
static volatile uint32_t ap_tpr;
static void ap_ping_pong(void) {
    unsigned r = 0;
    while (r < PING_PONG_ROUNDS && spin_until(&ball, 2 * r + 1)) {
        tpr_store(0x20);
        ball = 2 * ++r;
    }
    ap_tpr = apic_read(0x80);
    tpr_store(0);
    ap_returned = r;
}
static void on_ping_pong(struct frame* f) {
    (void)f;
    ap_x87 = x87_load_store(1234, ap_ping_pong);
    apic_write(0xb0, 0);
}
static unsigned bsp_rounds;
static void bsp_ping_pong(void) {
    unsigned r = 0;
    for (; r < PING_PONG_ROUNDS; ++r) {
        tpr_store(0x10);
        ball = 2 * r + 1;
        if (!spin_until(&ball, 2 * r + 2)) break;
    }
    bsp_rounds = r;
    spin_until(&ap_returned, PING_PONG_ROUNDS);
}
static void on_nmi(struct frame* f) {
    (void)f;
    if ((apic_read(0x20) >> 24) == 1) ++ap_nmis;
}
static void on_bsp_answer(struct frame* f) {
    (void)f;
    ++bsp_answers;
    apic_write(0xb0, 0);
}

void ap_main(void) {
    load_idt();
    apic_write(0xf0, 0x1ff);       /* SPIV: enabled */
    apic_write(0xd0, 0x02u << 24); /* LDR: logical ID bit 1 (flat model) */
    ap_apic_id = apic_read(0x20) >> 24;
    ap_online = 1;
    for (;;) __asm__ volatile("sti; hlt");
}

/* Waits for *v to differ from `old`: in hlt while IF is clear between the test and the hlt
 * (sti's shadow), at most `rounds` wake-ups (the AP's answer, or a spin round). */
static int wait_change(volatile uint32_t* v, uint32_t old, unsigned rounds, int halt) {
    for (unsigned i = 0; i < rounds; ++i) {
        cli();
        if (*v != old) {
            sti();
            return 1;
        }
        if (halt)
            __asm__ volatile("sti; hlt");
        else
            __asm__ volatile("sti; pause");
    }
    return *v != old;
}

static unsigned fw_cfg_cpus(void) {
    outw(0x510, 0x05); /* FW_CFG_NB_CPUS */
    unsigned n = inb(0x511);
    return n | (unsigned)inb(0x511) << 8;
}

int main(void) {
    print("smp_ipi\n");
    const unsigned cpus = fw_cfg_cpus();
    gprintf("fw_cfg: %u CPUs\n", cpus);
    apic_write(0xf0, 0x1ff);
    gprintf("BSP: APIC ID %u, IA32_APIC_BASE BSP bit %u\n", apic_read(0x20) >> 24,
            (unsigned)(rdmsr(0x1b) >> 8) & 1);
    idt_set(0x51, SEL_CODE, isr_stub(0x51), GATE_INT32);
    idt_set(0x53, SEL_CODE, isr_stub(0x53), GATE_INT32);
    idt_set(0x52, SEL_CODE, isr_stub(0x52), GATE_INT32);
    idt_set(0x54, SEL_CODE, isr_stub(0x54), GATE_INT32);
    trap_hooks[0x54] = on_ping_pong;
    trap_hooks[0x51] = trap_hooks[0x53] = on_ap_ipi;
    trap_hooks[0x52] = on_bsp_answer;
    trap_hooks[2] = on_nmi;
    if (cpus < 2) {
        print("one CPU: no AP to start\n");
        return 0;
    }
    const uint32_t size = (uint32_t)(ap_trampoline_end - ap_trampoline);
    for (uint32_t i = 0; i < size; ++i) ((volatile char*)TRAMPOLINE)[i] = ap_trampoline[i];
    send_ipi(1, ICR_INIT);
    send_ipi(1, ICR_STARTUP | (TRAMPOLINE >> 12));
    if (!wait_change(&ap_online, 0, 10000000, 0)) {
        print("the AP did not come online\n");
        return 0;
    }
    gprintf("AP online: APIC ID %u\n", ap_apic_id);
    sti();
    unsigned answered = 0;
    for (unsigned i = 0; i < 10; ++i) { /* physical destination 1 */
        const uint32_t before = bsp_answers;
        send_ipi(1, 0x51);
        answered += wait_change(&bsp_answers, before, 1000000, 1);
    }
    gprintf("10 IPIs to APIC ID 1: %u taken by the AP, %u answered\n", ap_ipis, answered);
    const uint32_t before = bsp_answers;
    send_ipi(0x02, ICR_LOGICAL | 0x53); /* logical destination: the AP's LDR bit */
    wait_change(&bsp_answers, before, 1000000, 1);
    gprintf("logical destination 02: the AP took vector %x, answered %u\n", ap_last_vector,
            bsp_answers - before);
    send_ipi(1, 0x54);
    const int32_t bsp_x87 = x87_load_store(5678, bsp_ping_pong);
    gprintf("ping-pong through memory with pause: %u rounds, the AP answered %u\n", bsp_rounds,
            ap_returned);
    gprintf("st(0) kept across it: BSP %d, AP %d\n", bsp_x87, ap_x87);
    gprintf("TPR stored by one site on both: BSP %02x, AP %02x\n", apic_read(0x80), ap_tpr);
    tpr_store(0);
    send_ipi(0, ICR_ALL_BUT_SELF | ICR_NMI);
    wait_change(&ap_nmis, 0, 10000000, 0);
    gprintf("NMI to all but self: %u on the AP\n", ap_nmis);
    return 0;
}
