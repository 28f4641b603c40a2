/* fpu_control: CR0.TS, CR0.EM, CR0.MP and CR4.OSFXSR/OSXMMEXCPT decide what the x87, MMX and
 * SSE instructions do (SDM vol. 3A 2.5 and 13.1): with TS they raise #NM (fwait only with MP
 * too), with EM x87 raises #NM and MMX/SSE #UD, without OSFXSR SSE raises #UD (fxsave, MMX and
 * movnti still run), and an unmasked SIMD exception is #XM with OSXMMEXCPT, #UD without. The
 * same code runs under each setting (a translator must not reuse the other setting's code). */
#include "lib/guest.h"

static const char* const kNames[20] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
                                       "#NM", "#DF", "09",  "#TS", "#NP", "#SS", "#GP",
                                       "#PF", "15",  "#MF", "#AC", "#MC", "#XM"};
uint8_t fx[512] __attribute__((aligned(16)));
float one[4] __attribute__((aligned(16))) = {1, 1, 1, 1};
float zero[4] __attribute__((aligned(16)));
uint32_t word;

#define PROBE(fn, insn)                                                                  \
    static uint32_t fn(void) {                                                           \
        uint32_t before = last_trap.count;                                               \
        __asm__ volatile("movl $1f, trap_resume\n" insn "\n1: movl $0, trap_resume\n" :: \
                             : "memory", "eax", "cc");                                   \
        return last_trap.count == before ? 0xff : last_trap.vector;                      \
    }
PROBE(p_fld1, "fld1\n fstp %%st(0)")
PROBE(p_fwait, "fwait")
PROBE(p_movq, "movq %%mm0, %%mm1")
PROBE(p_emms, "emms")
PROBE(p_addps, "addps %%xmm1, %%xmm0")
PROBE(p_pxor, "pxor %%xmm1, %%xmm1")
PROBE(p_ldmxcsr, "stmxcsr word")
PROBE(p_fxsave, "fxsave fx")
PROBE(p_movnti, "movnti %%eax, word")
PROBE(p_divps, "movaps one, %%xmm0\n divps zero, %%xmm0")

static const char* name_of(uint32_t v) {
    return v == 0xff ? "no fault" : v < 20 ? kNames[v] : "?";
}

static void row(const char* setting) {
    struct {
        const char* name;
        uint32_t (*fn)(void);
    } const probes[] = {{"fld1", p_fld1},       {"fwait", p_fwait},   {"movq", p_movq},
                        {"emms", p_emms},       {"addps", p_addps},   {"pxor", p_pxor},
                        {"stmxcsr", p_ldmxcsr}, {"fxsave", p_fxsave}, {"movnti", p_movnti}};
    gprintf("%s:", setting);
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; ++i) {
        const uint32_t v = probes[i].fn();
        gprintf(" %s %s", probes[i].name, v == 0xff ? "ok" : name_of(v));
    }
    print("\n");
}

int main(void) {
    const uint32_t cr0 = (READ_CR(0) & ~(CR0_EM | CR0_TS | CR0_MP)) | CR0_NE;
    const uint32_t cr4 = READ_CR(4) | (1u << 9) | (1u << 10); /* OSFXSR OSXMMEXCPT */
    WRITE_CR(4, cr4);
    WRITE_CR(0, cr0);
    row("plain");
    WRITE_CR(0, cr0 | CR0_TS);
    row("TS");
    WRITE_CR(0, cr0 | CR0_TS | CR0_MP);
    row("TS MP");
    __asm__ volatile("clts");
    row("clts");
    WRITE_CR(0, cr0 | CR0_EM);
    row("EM");
    WRITE_CR(0, cr0);
    WRITE_CR(4, cr4 & ~(1u << 9));
    row("no OSFXSR");
    WRITE_CR(4, cr4);
    row("plain again");
    /* Divide by zero unmasked (MXCSR.ZM clear): #XM, or #UD without OSXMMEXCPT. */
    uint32_t mxcsr = 0x1f80 & ~(1u << 9);
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
    gprintf("divps by zero, OSXMMEXCPT: %s\n", name_of(p_divps()));
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
    WRITE_CR(4, cr4 & ~(1u << 10));
    gprintf("divps by zero, no OSXMMEXCPT: %s\n", name_of(p_divps()));
    return 0;
}
