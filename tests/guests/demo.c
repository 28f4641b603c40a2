/* demo: the guest of `prevt demo` (embedded in the prevt binary). At guest CPL 0 it executes
 * each sensitive instruction of Robin & Irvine and the common privileged ones, and prints one
 * line per instruction:
 *     RESULT|<name>|<what the guest saw>|<what real ring-0 hardware returns>
 * The second value is computed by the guest from what it knows: its own GDT/IDT addresses,
 * the selectors it loaded, the IF it set, the CR0 it wrote... Values are 8-digit hex, or
 * IF=0/IF=1, ZF=0/ZF=1. Under real hardware (and QEMU) both columns agree on every line.
 * IF after cli, sti and iret is observed through the EFLAGS an int $0x43 pushes (pushf is
 * itself sensitive). Exits with V = 0. */
#include "lib/guest.h"

#define NEW_GDT 0x00200000
#define SEL_NEW 0xb8 /* a data segment only the new GDT has, based at MAGIC_AT */
#define MAGIC_AT 0x00210000
#define MAGIC 0x1badcafe

uint32_t demo_lcall(void);
uint32_t demo_lret(void);
void demo_iret(void);
extern char demo_lret_seen[];

static uint32_t pushed_eflags;
static void on_int43(struct frame* f) { pushed_eflags = f->eflags; }
static uint32_t int42_cs;
static void on_int42(struct frame* f) { int42_cs = f->cs & 0xffff; }

static void hex(const char* name, uint32_t saw, uint32_t hw) {
    gprintf("RESULT|%s|%08x|%08x\n", name, saw, hw);
}
static void flag(const char* name, const char* f, uint32_t saw, uint32_t hw) {
    gprintf("RESULT|%s|%s=%u|%s=%u\n", name, f, saw != 0, f, hw != 0);
}

/* IF as an interrupt gate's frame shows it. */
static uint32_t int_if(void) {
    __asm__ volatile("int $0x43" ::: "memory");
    return pushed_eflags & EFLAGS_IF;
}

static uint32_t zf_after_verr(uint16_t sel) {
    uint32_t fl;
    __asm__ volatile("verr %w1; pushf; popl %0" : "=r"(fl) : "r"(sel));
    return fl & EFLAGS_ZF;
}
static uint32_t zf_after_verw(uint16_t sel) {
    uint32_t fl;
    __asm__ volatile("verw %w1; pushf; popl %0" : "=r"(fl) : "r"(sel));
    return fl & EFLAGS_ZF;
}

int main(void) {
    print("prevt demo guest: sensitive and privileged instructions at CPL 0\n");
    trap_hooks[0x42] = on_int42;
    trap_hooks[0x43] = on_int43;
    uint32_t v;

    hex("sgdt", sgdt().base, GDT_BASE);
    hex("sidt", sidt().base, IDT_BASE);
    v = 0;
    __asm__ volatile("lldt %w1; sldt %w0" : "+r"(v) : "r"(SEL_LDT));
    hex("sldt", v, SEL_LDT);
    v = 0;
    __asm__ volatile("ltr %w1; str %w0" : "+r"(v) : "r"(SEL_TSS));
    hex("str", v, SEL_TSS);
    v = 0;
    __asm__ volatile("smsw %w0" : "+r"(v));
    hex("smsw", v, CR0_INITIAL & 0xffff);

    cli();
    flag("pushf", "IF", read_eflags() & EFLAGS_IF, 0);
    sti();
    __asm__ volatile("pushf; andl $~0x200, (%%esp); popf" ::: "memory", "cc");
    flag("popf", "IF", read_eflags() & EFLAGS_IF, 0);
    cli();

    uint32_t hi = (uint32_t)(gdt[SEL_CODE >> 3] >> 32);
    v = 0;
    __asm__ volatile("lar %w1, %0" : "+r"(v) : "r"(SEL_CODE));
    hex("lar", v & 0xfff0ffff, hi & 0x00f0ff00); /* bits 19:16 are undefined */
    hi = (uint32_t)(gdt[SEL_DATA >> 3] >> 32);
    uint32_t limit = (hi & 0xf0000) | ((uint32_t)gdt[SEL_DATA >> 3] & 0xffff);
    if (hi & (1u << 23)) limit = (limit << 12) | 0xfff;
    v = 0;
    __asm__ volatile("lsl %w1, %0" : "+r"(v) : "r"(SEL_DATA));
    hex("lsl", v, limit);
    flag("verr", "ZF", zf_after_verr(SEL_CODE), 1);
    flag("verw", "ZF", zf_after_verw(SEL_DATA), 1);

    __asm__ volatile("pushl $0; popl %0; push %%cs; popl %0" : "=&r"(v)::"memory");
    hex("push_cs", v, SEL_CODE);
    __asm__ volatile("push %%ds; popl %%ds; mov %%ds, %0" : "=r"(v)::"memory");
    hex("pop_ds", v & 0xffff, SEL_DATA);
    hex("mov_from_cs", READ_SEG(cs), SEL_CODE);
    __asm__ volatile("mov %w1, %%ds; mov %%ds, %0" : "=r"(v) : "r"(SEL_DATA) : "memory");
    hex("mov_to_ds", v & 0xffff, SEL_DATA);
    hex("lcall", demo_lcall(), SEL_CODE);
    hex("lret", demo_lret(), (uint32_t)demo_lret_seen - CODE_BASED_BASE);
    __asm__ volatile("int $0x42" ::: "memory");
    hex("int", int42_cs, SEL_CODE);

    cli();
    flag("cli", "IF", int_if(), 0);
    sti();
    flag("sti", "IF", int_if(), 1);
    cli();

    outb(COM1 + 7, 0x5a);
    hex("in", inb(COM1 + 7), 0x5a);
    outb(COM1 + 7, 0xa5);
    hex("out", inb(COM1 + 7), 0xa5);

    /* lgdt: a copy of the GDT plus a segment only it has; read memory through it. */
    memset((void*)NEW_GDT, 0, (SEL_NEW | 7) + 1);
    memcpy((void*)NEW_GDT, gdt, sizeof gdt);
    ((uint64_t*)NEW_GDT)[SEL_NEW >> 3] = make_descriptor(MAGIC_AT, 0xfffff, 0x93, 0xc);
    *(volatile uint32_t*)MAGIC_AT = MAGIC;
    struct dtr ng = {SEL_NEW | 7, NEW_GDT};
    lgdt(&ng);
    __asm__ volatile("mov %w1, %%fs; movl %%fs:0, %0; mov %w2, %%fs"
                     : "=&r"(v)
                     : "r"(SEL_NEW), "r"(SEL_DATA)
                     : "memory");
    load_gdt();
    hex("lgdt", v, MAGIC);

    WRITE_CR(0, CR0_INITIAL | CR0_TS);
    v = READ_CR(0);
    WRITE_CR(0, CR0_INITIAL);
    hex("mov_cr0", v, CR0_INITIAL | CR0_TS);
    WRITE_CR(3, 0x12345000);
    v = READ_CR(3);
    WRITE_CR(3, 0);
    hex("mov_cr3", v, 0x12345000);
    wrmsr(0x174, SEL_CODE);
    hex("rdmsr", (uint32_t)rdmsr(0x174), SEL_CODE);
    wrmsr(0x175, 0x00abc000);
    hex("wrmsr", (uint32_t)rdmsr(0x175), 0x00abc000);
    static volatile uint32_t word = 0x600dcafe;
    __asm__ volatile("invlpg (%0)" ::"r"(&word) : "memory");
    hex("invlpg", word, 0x600dcafe);
    demo_iret();
    flag("iret", "IF", int_if(), 1);
    cli();

    print("prevt demo guest: done\n");
    return 0;
}
