/* sensitive: the sensitive but unprivileged instructions of Robin & Irvine (USENIX Security
 * 2000) at guest CPL 0, one line each with the raw value the guest saw: sgdt, sidt, sldt,
 * str, smsw, pushf, popf, lar, lsl, verr, verw, push/pop of segment registers, mov from/to
 * segment registers, far call/return/jump, int n. On real hardware at ring 0 they all show
 * the guest's own state (its GDT at 0x101000, selectors 0x08/0x10, IF as it set it...); a
 * trap-and-emulate monitor running the guest at ring 3 shows the host's instead. */
#include "lib/guest.h"

void sens_lcall(uint32_t out[2]);
uint32_t sens_ljmp(void);

static uint32_t int42_cs;
static void on_int42(struct frame* f) { int42_cs = f->cs & 0xffff; }

static int if_bit(uint32_t eflags) { return (eflags & EFLAGS_IF) != 0; }

/* The value of a push of a segment register, with the stack slot zeroed first (a 32-bit push
 * of a segment register may write only 16 bits). */
#define PUSHED(seg)                                                                       \
    ({                                                                                    \
        uint32_t v_;                                                                      \
        __asm__ volatile("pushl $0; popl %0; push %%" #seg "; popl %0" : "=&r"(v_)::"memory"); \
        v_;                                                                               \
    })

/* lar: bits 19:16 of the result are undefined (Intel SDM; QEMU clears them, Intel CPUs
 * return the limit's bits 19:16), so they are masked. */
static void lar_line(uint16_t sel) {
    uint32_t v = 0, fl;
    __asm__ volatile("lar %2, %0; pushf; popl %1" : "+r"(v), "=r"(fl) : "r"((uint32_t)sel));
    gprintf("lar %04x: %08x ZF=%u\n", sel, v & 0xfff0ffff, (fl & EFLAGS_ZF) != 0);
}

static void lsl_line(uint16_t sel) {
    uint32_t v = 0, fl;
    __asm__ volatile("lsl %2, %0; pushf; popl %1" : "+r"(v), "=r"(fl) : "r"((uint32_t)sel));
    gprintf("lsl %04x: %08x ZF=%u\n", sel, v, (fl & EFLAGS_ZF) != 0);
}

static void ver_line(int write, uint16_t sel) {
    uint32_t fl;
    if (write)
        __asm__ volatile("verw %w1; pushf; popl %0" : "=r"(fl) : "r"(sel));
    else
        __asm__ volatile("verr %w1; pushf; popl %0" : "=r"(fl) : "r"(sel));
    gprintf("%s %04x: ZF=%u\n", write ? "verw" : "verr", sel, (fl & EFLAGS_ZF) != 0);
}

int main(void) {
    print("sensitive instructions at CPL 0\n");
    struct dtr g = sgdt(), i = sidt();
    gprintf("sgdt: base %08x limit %04x\n", g.base, g.limit);
    gprintf("sidt: base %08x limit %04x\n", i.base, i.limit);

    uint32_t v = 0;
    __asm__ volatile("lldt %w0" ::"r"(SEL_LDT));
    __asm__ volatile("sldt %w0" : "+r"(v));
    gprintf("sldt after lldt 0038: %08x\n", v);
    v = 0;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    __asm__ volatile("str %w0" : "+r"(v));
    gprintf("str after ltr 0040: %08x\n", v);
    v = 0;
    __asm__ volatile("smsw %w0" : "+r"(v));
    gprintf("smsw (cr0 = %08x): %08x\n", CR0_INITIAL, v);

    cli();
    gprintf("pushf after cli: IF=%u\n", if_bit(read_eflags()));
    sti();
    gprintf("pushf after sti: IF=%u\n", if_bit(read_eflags()));
    __asm__ volatile("pushf; andl $~0x200, (%%esp); popf" ::: "memory", "cc");
    gprintf("popf clearing IF after sti, then pushf: IF=%u\n", if_bit(read_eflags()));
    cli();

    lar_line(SEL_CODE);
    lar_line(SEL_DATA);
    lar_line(SEL_DATA16);
    lar_line(SEL_DATA_NP);
    lar_line(SEL_LDT);
    lar_line(SEL_TSS);
    lar_line(LSEL_CODE);
    lar_line(0xc3);
    lsl_line(SEL_CODE);
    lsl_line(SEL_DATA);
    lsl_line(SEL_DATA16);
    lsl_line(SEL_TSS);
    ver_line(0, SEL_CODE);
    ver_line(1, SEL_CODE);
    ver_line(0, SEL_DATA);
    ver_line(1, SEL_DATA);
    ver_line(0, SEL_DATA_DPL3);
    ver_line(1, SEL_DATA_DPL3);

    gprintf("push %%cs: %08x\n", PUSHED(cs));
    gprintf("push %%ss: %08x\n", PUSHED(ss));
    gprintf("push %%ds: %08x\n", PUSHED(ds));
    __asm__ volatile("pushl %1; popl %%ds; mov %%ds, %0; push %%ss; popl %%ds"
                     : "=r"(v)
                     : "i"(SEL_DATA16)
                     : "memory");
    gprintf("push %04x; pop %%ds; mov %%ds: %08x\n", SEL_DATA16, v);
    gprintf("mov %%cs: %08x\n", READ_SEG(cs));
    gprintf("mov %%ss: %08x\n", READ_SEG(ss));
    gprintf("mov %%ds: %08x\n", READ_SEG(ds));
    __asm__ volatile("mov %w1, %%ds; mov %%ds, %0; push %%ss; popl %%ds"
                     : "=r"(v)
                     : "r"(LSEL_DATA)
                     : "memory");
    gprintf("mov 0004 (LDT) to %%ds, read back: %08x\n", v);

    uint32_t cs[2] = {0, 0};
    sens_lcall(cs);
    gprintf("lcall $0008: cs in target %08x; after lret %08x\n", cs[0] & 0xffff,
            cs[1] & 0xffff);
    gprintf("ljmp $0008: cs after %08x\n", sens_ljmp() & 0xffff);
    trap_hooks[0x42] = on_int42;
    __asm__ volatile("int $0x42" ::: "memory");
    gprintf("int $0x42: pushed cs %08x\n", int42_cs);
    return 0;
}
