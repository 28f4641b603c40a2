/* fpu: the guest's x87 and SSE state survives the monitor. XMM0-7, MXCSR (round toward zero,
 * a masked exception flag), the x87 control word (single precision) and three values on the
 * x87 stack are set, then the guest does what makes a monitor run: port reads, cpuid, int
 * $0x80 with iret, a divide error caught by its handler; then everything is read back. */
#include "lib/guest.h"

static uint32_t xmm_in[8][4] __attribute__((aligned(16)));
static uint32_t xmm_out[8][4] __attribute__((aligned(16)));
void de_handler(void);
void int80_handler(void);
__asm__(
    ".text\n"
    "de_handler:\n"
    "    addl $2, (%esp)\n" /* skip the 2-byte div */
    "    iret\n"
    "int80_handler:\n"
    "    iret\n");

static void load_xmm(void) {
    __asm__ volatile(
        "movaps 0(%0), %%xmm0\n movaps 16(%0), %%xmm1\n movaps 32(%0), %%xmm2\n"
        "movaps 48(%0), %%xmm3\n movaps 64(%0), %%xmm4\n movaps 80(%0), %%xmm5\n"
        "movaps 96(%0), %%xmm6\n movaps 112(%0), %%xmm7\n" ::"r"(xmm_in)
        : "memory");
}

static void store_xmm(void) {
    __asm__ volatile(
        "movaps %%xmm0, 0(%0)\n movaps %%xmm1, 16(%0)\n movaps %%xmm2, 32(%0)\n"
        "movaps %%xmm3, 48(%0)\n movaps %%xmm4, 64(%0)\n movaps %%xmm5, 80(%0)\n"
        "movaps %%xmm6, 96(%0)\n movaps %%xmm7, 112(%0)\n" ::"r"(xmm_out)
        : "memory");
}

int main(void) {
    print("x87 and SSE state across exits\n");
    WRITE_CR(0, (READ_CR(0) & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    WRITE_CR(4, READ_CR(4) | (1u << 9) | (1u << 10)); /* OSFXSR, OSXMMEXCPT */
    idt_set(0, SEL_CODE, (uint32_t)de_handler, GATE_INT32);
    idt_set(0x80, SEL_CODE, (uint32_t)int80_handler, GATE_TRAP32);
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) xmm_in[i][j] = 0x01020304u * (i + 1) + 0x11111111u * j;
    const uint32_t mxcsr_in = 0x7f80 | 0x20; /* round toward zero, PE flag set */
    uint16_t fcw_in = 0x007f;                /* single precision, all masked */
    uint32_t mxcsr_out = 0;
    uint16_t fcw_out = 0;
    uint32_t st[3] = {0, 0, 0};
    __asm__ volatile("fninit\n fldcw %0\n fld1\n fldpi\n fldl2t" ::"m"(fcw_in));
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr_in));
    load_xmm();
    uint32_t sink = inb(0x80);
    uint32_t regs[4];
    cpuid(0, regs);
    __asm__ volatile("int $0x80");
    __asm__ volatile("xor %%edx, %%edx\n xor %%ecx, %%ecx\n mov $1, %%eax\n div %%ecx" ::
                         : "eax", "ecx", "edx");
    sink += inb(0x80);
    store_xmm();
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_out));
    __asm__ volatile("fnstcw %0\n fstps %1\n fstps %2\n fstps %3"
                     : "=m"(fcw_out), "=m"(st[0]), "=m"(st[1]), "=m"(st[2]));
    int same = 1;
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) same &= xmm_out[i][j] == xmm_in[i][j];
    gprintf("xmm0-7 kept: %s (xmm7 %08x %08x %08x %08x)\n", same ? "yes" : "no", xmm_out[7][0],
            xmm_out[7][1], xmm_out[7][2], xmm_out[7][3]);
    gprintf("mxcsr %08x, x87 control word %04x\n", mxcsr_out, fcw_out);
    gprintf("x87 stack: %08x %08x %08x\n", st[0], st[1], st[2]);
    (void)sink;
    return 0;
}
