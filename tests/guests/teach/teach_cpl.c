/* teach_cpl: the sections about privilege levels.
 * sensitive: what the sensitive-instruction demo's cost lines measure: a privileged
 *   instruction (cli+sti), a port read, and sensitive ones that do not trap (sgdt, pushf, a CS
 *   read), beside a call/ret pair (ordinary code).
 * rings: what the guest at CPL 0 reads of its own privilege (CS's RPL, CS's DPL through lar,
 *   IF through pushf after cli) and what the instructions that depend on the CPL cost (a CS
 *   read, a segment load, lar, cli+sti, in); then the same CS read at CPL 3.
 * syscalls: from CPL 3, int $0x80 + iret against sysenter + sysexit (SYSENTER_* MSRs set at
 *   CPL 0); the handlers return at once, so the figures are the transitions alone. */
#include "teach/teach.h"

void teach_iret_handler(void);
void teach_sysenter_entry(void);
__asm__(
    ".text\n.globl teach_iret_handler\nteach_iret_handler:\n    iret\n"
    /* sysenter: back at once (EDX = return EIP, ECX = user ESP) */
    ".globl teach_sysenter_entry\nteach_sysenter_entry:\n    sysexit\n");

static volatile uint32_t cpl3_cs, cpl3_int80[2], cpl3_sysenter[2];
#define N_CALLS 2000u

/* CS's DPL as lar reads it; 0xff where lar refuses the selector (ZF = 0). */
static uint32_t dpl_of(uint16_t selector) {
    uint32_t ar = 0, flags;
    __asm__ volatile("lar %2, %0\n pushfl\n popl %1"
                     : "+r"(ar), "=r"(flags)
                     : "r"((uint32_t)selector)
                     : "cc");
    return (flags & EFLAGS_ZF) ? (ar >> 13) & 3 : 0xff;
}

static void rings_user(void) {
    cpl3_cs = READ_SEG(cs);
    __asm__ volatile("int $0x81");
}
static void rings_done(struct frame* f) {
    (void)f;
    result_hex("cpl3_cs_rpl", cpl3_cs & 3, 3);
    guest_exit(0);
}

void teach_leaf(void);
__asm__(".text\n.globl teach_leaf\nteach_leaf:\n    ret\n");

void teach_sensitive(void) {
    struct dtr d;
    MEASURE("cli_sti", 2000, { __asm__ volatile("cli; sti" ::: "memory"); });
    MEASURE("in_port", 2000, { sink = inb(0x80); });
    MEASURE("sgdt", 2000, { __asm__ volatile("sgdt %0" : "=m"(d)::"memory"); });
    MEASURE("pushf", 2000, { sink = read_eflags(); });
    MEASURE("read_cs", 2000, { sink = READ_SEG(cs); });
    MEASURE("call_ret", 2000, { teach_leaf(); });
}

void teach_rings(void) {
    result_hex("cpl0_cs_rpl", READ_SEG(cs) & 3, 0);
    result_hex("cpl0_cs_dpl", dpl_of(SEL_CODE), 0);
    cli();
    result_hex("cpl0_if_after_cli", (read_eflags() >> 9) & 1, 0);
    sti();
    MEASURE("read_cs", 2000, { sink = READ_SEG(cs); });
    MEASURE("load_ds", 2000, { __asm__ volatile("mov %0, %%ds" ::"r"(SEL_DATA) : "memory"); });
    MEASURE("lar", 2000, { sink = dpl_of(SEL_CODE); });
    MEASURE("cli_sti", 2000, { __asm__ volatile("cli; sti" ::: "memory"); });
    MEASURE("in_port", 2000, { sink = inb(0x80); });
    enter_ring3(rings_user, rings_done);
}

static void syscalls_user(void) {
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < N_CALLS; ++i) __asm__ volatile("int $0x80" ::: "memory");
    keep_cycles(cpl3_int80, rdtsc() - t0);
    __asm__ volatile("int $0x82"); /* reported now: the sysenter loop may not come back */
    /* EBP points at readable memory, as Linux's sysenter ABI wants: natively (trap) the host
     * kernel's entry reads (%ebp) before the call that seccomp stops. */
    t0 = rdtsc();
    for (uint32_t i = 0; i < N_CALLS; ++i)
        __asm__ volatile(
            "push %%ebp\n mov %%esp, %%ebp\n mov %%esp, %%ecx\n mov $1f, %%edx\n sysenter\n"
            "1: pop %%ebp" ::
                : "ecx", "edx", "memory");
    keep_cycles(cpl3_sysenter, rdtsc() - t0);
    __asm__ volatile("int $0x81");
}
static void int80_done(struct frame* f) {
    (void)f;
    report("int80_iret", kept_cycles(cpl3_int80), N_CALLS);
}
static void syscalls_done(struct frame* f) {
    (void)f;
    report("sysenter_sysexit", kept_cycles(cpl3_sysenter), N_CALLS);
    guest_exit(0);
}

#define SYSENTER_SEL 0x98u /* flat kernel code; +8 data, +16|3 user code, +24|3 user data */
static uint32_t sysenter_stack[1024] __attribute__((aligned(16)));

void teach_syscalls(void) {
    idt_set(0x80, SEL_CODE, (uint32_t)teach_iret_handler, 0xef); /* DPL 3 trap gate */
    set_sysenter_descriptors(SYSENTER_SEL);
    wrmsr(0x174, SYSENTER_SEL);
    wrmsr(0x175, (uint32_t)(sysenter_stack + 1024));
    wrmsr(0x176, (uint32_t)teach_sysenter_entry);
    idt_set(0x82, SEL_CODE, isr_stub(0x82), 0xee);
    trap_hooks[0x82] = int80_done;
    result_hex("sysenter_cs_msr", (uint32_t)rdmsr(0x174), SYSENTER_SEL);
    enter_ring3(syscalls_user, syscalls_done);
}
