/* profile_ud: prevt's CPU profile (family 6 model 3 with CMOV, MMX, FXSR, SSE, SSE2; CPUID.1
 * EDX 0x0780a939, ECX only the hypervisor bit) decides which instructions exist: every
 * instruction the profile does not offer raises #UD (popcnt, lzcnt, movbe, rdrand, rdseed,
 * xgetbv, rdtscp, rdpid, vmcall, vmmcall, clflush, vzeroupper, AVX, clzero, monitorx, SSE3,
 * SSSE3, syscall, 3DNow!) and every offered one runs with the i686's semantics: `rep bsr` is
 * bsr (not the host's lzcnt), `rep bsf` bsf, hint nops and endbr32 are nops, and a gs:
 * string load (a hidden memory operand) reads the guest's GS. QEMU's qemu32 CPU agrees on
 * every line; the trap engine runs the host's instruction set (skipped there). */
#include "lib/guest.h"

static uint32_t buf[4] = {0x11223344, 0x55667788, 0, 0};
uint8_t fx[512] __attribute__((aligned(16)));

/* Runs `insn` (bytes or an instruction); prints "#UD" if it faulted with #UD, else "runs". */
#define TRY(name, insn)                                                               \
    do {                                                                              \
        uint32_t before_ = last_trap.count;                                           \
        __asm__ volatile("movl $1f, trap_resume\n" insn "\n1: movl $0, trap_resume\n" \
                         :                                                            \
                         : "S"(buf), "D"(buf + 2), "b"(buf)                           \
                         : "memory", "eax", "ecx", "edx", "cc");                      \
        report(name, before_);                                                        \
    } while (0)

static void report(const char* name, uint32_t before) {
    if (last_trap.count == before)
        gprintf("%s: runs\n", name);
    else
        gprintf("%s: vector %u\n", name, last_trap.vector);
}

int main(void) {
    print("not offered by the profile\n");
    TRY("popcnt", ".byte 0xf3, 0x0f, 0xb8, 0xc1");
    TRY("movbe", ".byte 0x0f, 0x38, 0xf0, 0x06");
    TRY("rdrand", ".byte 0x0f, 0xc7, 0xf0");
    TRY("rdseed", ".byte 0x0f, 0xc7, 0xf8");
    TRY("xgetbv", "xor %%ecx, %%ecx\n .byte 0x0f, 0x01, 0xd0");
    TRY("rdtscp", ".byte 0x0f, 0x01, 0xf9");
    TRY("rdpid", ".byte 0xf3, 0x0f, 0xc7, 0xf8");
    TRY("vmcall", ".byte 0x0f, 0x01, 0xc1");
    TRY("vmmcall", ".byte 0x0f, 0x01, 0xd9");
    TRY("clflush", ".byte 0x0f, 0xae, 0x3e");
    TRY("vzeroupper", ".byte 0xc5, 0xf8, 0x77");
    TRY("vaddps", ".byte 0xc5, 0xfc, 0x58, 0xc1");
    TRY("clzero", "mov %%esi, %%eax\n .byte 0x0f, 0x01, 0xfc");
    TRY("monitorx",
        "mov %%esi, %%eax\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n .byte 0x0f, 0x01, 0xfa");
    TRY("haddps", ".byte 0xf2, 0x0f, 0x7c, 0xc1");
    TRY("pshufb", ".byte 0x66, 0x0f, 0x38, 0x00, 0xc1");
    TRY("syscall", ".byte 0x0f, 0x05");
    TRY("femms", ".byte 0x0f, 0x0e");

    print("offered\n");
    WRITE_CR(4, READ_CR(4) | (1u << 9)); /* OSFXSR */
    TRY("cmov", "cmove %%ecx, %%eax");
    TRY("cmpxchg8b", "cmpxchg8b (%%esi)");
    TRY("bswap", "bswap %%eax");
    TRY("xadd", "xadd %%eax, (%%esi)");
    TRY("fld1/fstp", "fld1\n fstp %%st(0)");
    TRY("fcomi", "fldz\n fldz\n fcomi %%st(1), %%st\n fstp %%st(0)\n fstp %%st(0)");
    TRY("movq mm", "movq (%%esi), %%mm0\n emms");
    TRY("pavgb mm", ".byte 0x0f, 0xe0, 0xc0\n emms");
    TRY("addps", "addps %%xmm1, %%xmm0");
    TRY("paddq xmm", "paddq %%xmm1, %%xmm0");
    TRY("fences", "sfence\n lfence\n mfence");
    TRY("prefetch", "prefetchnta (%%esi)");
    TRY("pause", "pause");
    TRY("nop r/m", ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00");
    TRY("endbr32", ".byte 0xf3, 0x0f, 0x1e, 0xfb");
    TRY("fxsave", "fxsave fx\n fxrstor fx");
    TRY("rdtsc", "rdtsc");

    print("i686 semantics\n");
    uint32_t r1, r2;
    __asm__ volatile(".byte 0xf3, 0x0f, 0xbd, 0xc1" : "=a"(r1) : "c"(0x00f0u), "a"(0));
    __asm__ volatile(".byte 0xf3, 0x0f, 0xbc, 0xc1" : "=a"(r2) : "c"(0x00f0u), "a"(0));
    gprintf("rep bsr 0xf0 = %u, rep bsf 0xf0 = %u\n", r1, r2);
    uint32_t got;
    __asm__ volatile(
        "mov %%gs, %%dx\n mov %2, %%ax\n mov %%ax, %%gs\n"
        "gs lodsl\n mov %%dx, %%gs"
        : "=a"(got)
        : "S"(buf + 1), "r"((uint16_t)SEL_DATA)
        : "edx", "memory");
    gprintf("gs lodsl = %08x\n", got);
    return 0;
}
