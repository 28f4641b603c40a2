/* privileged: the privileged instructions a ring-0 guest uses, each with its result: mov
 * to/from CR0 (masked to the defined bits), clts, lmsw (which cannot clear PE), CR2, CR3 (paging
 * off), CR4, DR0-3 and DR7 (bit 10 reads as 1), lgdt/lidt of new tables at 2 MiB then
 * sgdt/sidt (and an int through the new IDT), lldt/ltr then sldt/str, invlpg, wbinvd, invd,
 * rdmsr/wrmsr of SYSENTER_CS/ESP/EIP, and rdmsr/wrmsr of an MSR that does not exist (#GP(0)). */
#include "lib/guest.h"

#define CR0_DEFINED 0xe005003f /* PE MP EM TS ET NE WP AM NW CD PG */
#define NEW_GDT 0x00200000
#define NEW_GDT_LIMIT 0xff
#define NEW_IDT 0x00201000

void priv_rdmsr_unknown(void);
void priv_wrmsr_unknown(void);
extern char priv_rdmsr_unknown_at[], priv_wrmsr_unknown_at[];
void priv_reload_segments(void);

static uint32_t cr0(void) { return READ_CR(0) & CR0_DEFINED; }

static uint32_t int_vector_seen;
static void on_int(struct frame* f) { int_vector_seen = f->vector; }

static void msr_round_trip(const char* name, uint32_t msr, uint32_t value) {
    wrmsr(msr, value);
    uint64_t v = rdmsr(msr);
    gprintf("wrmsr/rdmsr %s (%x): wrote %08x read %08x%08x\n", name, msr, value,
            (uint32_t)(v >> 32), (uint32_t)v);
}

static void expect_gp(const char* what, void (*fn)(void), const char* at) {
    uint32_t before = last_trap.count;
    fn();
    if (last_trap.count == before)
        gprintf("%s: no exception\n", what);
    else
        gprintf("%s: vector %u error %08x eip at+%u\n", what, last_trap.vector, last_trap.error,
                last_trap.eip - (uint32_t)at);
}

int main(void) {
    print("privileged instructions at CPL 0\n");
    gprintf("mov %%cr0: %08x\n", cr0());
    WRITE_CR(0, READ_CR(0) | CR0_TS);
    gprintf("mov to %%cr0 (set TS), read back: %08x\n", cr0());
    __asm__ volatile("clts");
    gprintf("clts, read back: %08x\n", cr0());
    __asm__ volatile("lmsw %w0" ::"r"(0x000e));
    gprintf("lmsw 000e (PE clear): %08x\n", cr0());
    __asm__ volatile("lmsw %w0" ::"r"(0x0001));
    gprintf("lmsw 0001: %08x\n", cr0());

    WRITE_CR(2, 0xdeadbeef);
    gprintf("mov to/from %%cr2: %08x\n", READ_CR(2));
    WRITE_CR(3, 0x12345000);
    gprintf("mov to/from %%cr3: %08x\n", READ_CR(3));
    WRITE_CR(3, 0);
    WRITE_CR(4, 0x00000004); /* TSD */
    gprintf("mov to/from %%cr4 (TSD): %08x\n", READ_CR(4));
    WRITE_CR(4, 0);
    gprintf("mov to/from %%cr4 (0): %08x\n", READ_CR(4));

    WRITE_DR(0, 0x11111110);
    WRITE_DR(1, 0x22222220);
    WRITE_DR(2, 0x33333330);
    WRITE_DR(3, 0x44444440);
    gprintf("dr0-3: %08x %08x %08x %08x\n", READ_DR(0), READ_DR(1), READ_DR(2), READ_DR(3));
    WRITE_DR(7, 0);
    gprintf("dr7 after writing 00000000: %08x\n", READ_DR(7));
    WRITE_DR(7, 0x00000300); /* LE, GE; no breakpoint enabled */
    gprintf("dr7 after writing 00000300: %08x\n", READ_DR(7));
    WRITE_DR(7, 0);

    /* New tables: a copy of the GDT (with a larger limit) and of the IDT, in which vector
     * 0x60 goes to the stub of vector 0x61. */
    memset((void*)NEW_GDT, 0, NEW_GDT_LIMIT + 1);
    memcpy((void*)NEW_GDT, gdt, sizeof gdt);
    memcpy((void*)NEW_IDT, idt, sizeof idt);
    ((uint64_t*)NEW_IDT)[0x60] = make_gate(SEL_CODE, isr_stub(0x61), GATE_INT32);
    trap_hooks[0x60] = trap_hooks[0x61] = on_int;
    struct dtr ng = {NEW_GDT_LIMIT, NEW_GDT}, ni = {IDT_LIMIT, NEW_IDT};
    lgdt(&ng);
    lidt(&ni);
    priv_reload_segments();
    struct dtr g = sgdt(), i = sidt();
    gprintf("lgdt/lidt, then sgdt: base %08x limit %04x; sidt: base %08x limit %04x\n", g.base,
            g.limit, i.base, i.limit);
    __asm__ volatile("int $0x60" ::: "memory");
    gprintf("int 0x60 through the new IDT reaches the stub of vector %02x\n", int_vector_seen);

    uint32_t ldtr = 0, tr = 0;
    __asm__ volatile("lldt %w0" ::"r"(SEL_LDT));
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    __asm__ volatile("sldt %w0; str %w1" : "+r"(ldtr), "+r"(tr));
    gprintf("lldt 0038, ltr 0040, then sldt %08x str %08x\n", ldtr, tr);
    gprintf("the new GDT's TSS descriptor is now busy: type %x\n",
            (uint32_t)(((uint64_t*)NEW_GDT)[SEL_TSS >> 3] >> 40) & 0xf);
    ldtr = 0xffff;
    __asm__ volatile("lldt %w1; sldt %w0" : "+r"(ldtr) : "r"(0));
    gprintf("lldt 0000, then sldt %08x\n", ldtr);
    load_gdt();
    load_idt();
    priv_reload_segments();
    g = sgdt(), i = sidt();
    gprintf("back to the runtime's tables: gdt %08x/%04x idt %08x/%04x\n", g.base, g.limit,
            i.base, i.limit);

    static volatile uint32_t word = 0x5a5a5a5a;
    __asm__ volatile("invlpg (%0)" ::"r"(&word) : "memory");
    gprintf("invlpg: memory still reads %08x\n", word);
    __asm__ volatile("wbinvd" ::: "memory");
    print("wbinvd: done\n");
    __asm__ volatile("wbinvd; invd" ::: "memory");
    gprintf("wbinvd; invd: memory still reads %08x\n", word);

    msr_round_trip("SYSENTER_CS", 0x174, SEL_CODE);
    msr_round_trip("SYSENTER_ESP", 0x175, 0x00ffeff0);
    msr_round_trip("SYSENTER_EIP", 0x176, 0x00102000);
    expect_gp("rdmsr 12345678 (no such MSR)", priv_rdmsr_unknown, priv_rdmsr_unknown_at);
    expect_gp("wrmsr 12345678 (no such MSR)", priv_wrmsr_unknown, priv_wrmsr_unknown_at);
    return 0;
}
