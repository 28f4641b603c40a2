/* profile_ud: the guest's CPU profile (-cpu) decides which instructions exist: every
 * instruction no profile offers raises #UD (popcnt, lzcnt, movbe, rdrand, rdseed, xgetbv,
 * rdtscp, rdpid, vmcall, vmmcall, clflush, vzeroupper, AVX, clzero, monitorx, monitor,
 * syscall, 3DNow!; SSE with CR4.OSFXSR clear), the SSE2/SSE3/SSSE3 ones raise it where the
 * profile lacks them (profile_ud.expected: n270, the default, has them all;
 * profile_ud.pentium3.expected: SSE only), and every offered one runs with the i686's
 * semantics: `rep bsr` is bsr (not the host's lzcnt), `rep bsf` bsf, hint nops and endbr32
 * are nops, and a gs: string load (a hidden memory operand) reads the guest's GS. QEMU's
 * qemu32 CPU agrees on every line but pshufb and palignr (qemu32 has no SSSE3:
 * profile_ud.qemu.expected); QEMU's pentium3 agrees with prevt's but runs paddq xmm and
 * fisttp, which a Pentium III does not have (QEMU 7.2 TCG does not check SSE2 or SSE3 for
 * them: profile_ud.pentium3.qemu.expected). The trap engine runs the host's instruction set
 * (skipped there). */
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
    TRY("haddps without OSFXSR", ".byte 0xf2, 0x0f, 0x7c, 0xc1");
    TRY("pshufb without OSFXSR", ".byte 0x66, 0x0f, 0x38, 0x00, 0xc1");
    TRY("monitor", "mov %%esi, %%eax\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n monitor");
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
    TRY("sfence", "sfence");
    TRY("prefetch", "prefetchnta (%%esi)");
    TRY("pause", "pause");
    TRY("nop r/m", ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00");
    TRY("endbr32", ".byte 0xf3, 0x0f, 0x1e, 0xfb");
    TRY("fxsave", "fxsave fx\n fxrstor fx");
    TRY("rdtsc", "rdtsc");

    print("by profile: SSE2, SSE3, SSSE3\n");
    TRY("paddq xmm", "paddq %%xmm1, %%xmm0");
    TRY("lfence/mfence", "lfence\n mfence");
    TRY("haddps", "haddps %%xmm1, %%xmm0");
    TRY("movshdup", "movshdup %%xmm1, %%xmm0");
    TRY("lddqu", "lddqu (%%esi), %%xmm0");
    TRY("fisttp", "fld1\n fisttpl (%%edi)");
    TRY("pshufb xmm", "pshufb %%xmm1, %%xmm0");
    TRY("palignr mm", "palignr $3, %%mm1, %%mm0\n emms");

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
