/* gs_prefix -- mechanism 3: %gs overrides on implicit memory operands. Under bt the hardware
 * %gs is the per-vCPU area; the translator checks only explicit operands for %gs, so these
 * are copied and touch the monitor's data instead of the guest's GS segment. The guest loads
 * GS with its flat data segment (base 0) and puts known values at linear 0x9100..; each case
 * reads or writes through gs: and checks the guest's own memory. The offsets chosen land in
 * the vCPU area's user lookup table (%gs:0x9000-0x10fff), which this ring-0 guest never uses,
 * so today's escape does not crash prevt: the lines just say WRONG. (gs_clzero is the
 * destructive twin.) Oracle: every line "ok"; golden: QEMU's (qemu32: clzero and monitorx
 * are #UD -- AMD-only instructions the i686 profile does not have). */
#include "hostile.h"

#define G(a) ((volatile uint32_t*)(a))
static uint32_t dst[4];

static uint32_t traps;
/* A case that raised an exception (trap_resume) prints its name; otherwise ok or WRONG. */
static void line(const char* what, int ok) {
    if (last_trap.count != traps)
        gprintf("%s: %s\n", what, trap_name(last_trap.vector));
    else
        gprintf("%s: %s\n", what, ok ? "ok" : "WRONG");
    traps = last_trap.count;
}

int main(void) {
    print("gs: overrides on implicit operands (GS = flat data)\n");
    __asm__ volatile("mov %w0, %%gs" ::"r"(SEL_DATA));
    for (uint32_t i = 0; i < 64; ++i) G(0x9100)[i] = 0xc0de0000u + i;
    uint32_t v, s, d, c;

    __asm__ volatile("movl $1f, trap_resume\n" "gs lodsl" "\n1: movl $0, trap_resume" : "=a"(v), "=S"(s) : "S"(0x9100) : "memory");
    line("gs lodsl", v == 0xc0de0000u);

    dst[0] = 0;
    __asm__ volatile("movl $1f, trap_resume\n" "gs movsl" "\n1: movl $0, trap_resume" : "=S"(s), "=D"(d) : "S"(0x9104), "D"(dst) : "memory");
    line("gs movsl", dst[0] == 0xc0de0001u);

    dst[1] = 0xc0de0002u;
    uint32_t flags;
    __asm__ volatile("movl $1f, trap_resume\n" "gs cmpsl\n pushfl\n popl %0" "\n1: movl $0, trap_resume" : "=r"(flags), "=S"(s), "=D"(d)
                     : "S"(0x9108), "D"(dst + 1) : "memory", "cc");
    line("gs cmpsl", flags & EFLAGS_ZF);

    __asm__ volatile("movl $1f, trap_resume\n" "gs xlat" "\n1: movl $0, trap_resume" : "=a"(v) : "a"(0x0c), "b"(0x9100) : "memory");
    line("gs xlat", (v & 0xff) == 0x03);

    __asm__ volatile("movl $1f, trap_resume\n" "movb $0, 0xa500\n gs stosb" "\n1: movl $0, trap_resume" : "=D"(d) : "a"(0x77), "D"(0xa500) : "memory");
    line("gs stosb (ES, the override is ignored)", *(volatile uint8_t*)0xa500 == 0x77);

    c = 4;
    for (uint32_t i = 0; i < 4; ++i) G(0x9200)[i] = 0;
    __asm__ volatile("movl $1f, trap_resume\n" "gs rep movsb" "\n1: movl $0, trap_resume" : "+c"(c), "=S"(s), "=D"(d) : "S"(0x9100), "D"(0x9200)
                     : "memory");
    line("gs rep movsb", G(0x9200)[0] == 0xc0de0000u);

    G(0xa000)[0] = 0;
    __asm__ volatile("movl $1f, trap_resume\n" "fninit\n gs fxsave 0xa000" "\n1: movl $0, trap_resume" ::: "memory");
    line("gs fxsave (FCW 037f at gs:0xa000)", (G(0xa000)[0] & 0xffff) == 0x037f);

    for (uint32_t i = 0; i < 128; ++i) G(0xa200)[i] = 0;
    G(0xa200)[0] = 0x027f;      /* FCW */
    G(0xa200)[6] = 0x1f80;      /* MXCSR */
    uint16_t cw = 0;
    __asm__ volatile("movl $1f, trap_resume\n" "gs fxrstor 0xa200\n fnstcw %0\n fninit" "\n1: movl $0, trap_resume" : "=m"(cw) : : "memory");
    line("gs fxrstor (FCW 027f)", cw == 0x027f);

    G(0xa400)[0] = 0;
    G(0xa400)[1] = 0;
    __asm__ volatile("movl $1f, trap_resume\n" "movq %0, %%mm0\n movq %1, %%mm1\n gs maskmovq %%mm1, %%mm0\n emms" "\n1: movl $0, trap_resume"
                     ::"m"(G(0x9100)[0]), "m"(*(const uint64_t*)"\x80\x00\x80\x00\x00\x00\x00\x80"),
                     "D"(0xa400) : "memory");
    line("gs maskmovq", G(0xa400)[0] == 0x00de0000u && G(0xa400)[1] == 0xc0000000u);

    const uint32_t before = last_trap.count;
    G(0xa600)[0] = 0x12345678;
    __asm__ volatile("movl $1f, trap_resume\n gs; .byte 0x0f, 0x01, 0xfc\n"
                     "1: movl $0, trap_resume" ::"a"(0xa600) : "memory");
    gprintf("gs clzero: %s\n", last_trap.count != before ? trap_name(last_trap.vector)
                                : G(0xa600)[0] == 0 ? "no #UD, the guest's line zeroed"
                                                    : "no #UD, WRONG (the guest's line intact)");
    const uint32_t before2 = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n gs; .byte 0x0f, 0x01, 0xfa\n"
                     "1: movl $0, trap_resume" ::"a"(0xa600), "c"(0), "d"(0) : "memory");
    gprintf("gs monitorx: %s\n", last_trap.count != before2 ? trap_name(last_trap.vector) : "no #UD");
    return 0;
}
