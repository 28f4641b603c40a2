/* ud_profile -- mechanism 3: instructions the profiled i686 CPU does not have (prevt's
 * CPUID profile; QEMU's default qemu32 model lacks them too). Each runs once with a #UD
 * catcher; the line says "#UD" (as the profiled CPU does) or "no #UD" and, where the result
 * is deterministic, EAX. `rep bsr`/`rep bsf` (the lzcnt/tzcnt encodings) are BSR/BSF on a
 * CPU without LZCNT/BMI1: not #UD, but BSR's answer (16 for 0x10000, where lzcnt gives 15).
 * Under bt today every one of them is copied and runs on the host CPU: host XCR0, host CPU
 * number (rdtscp/rdpid), the host hypervisor's vmcall/vmmcall. Oracle: the golden, QEMU's
 * (qemu32). Nothing here can harm prevt: clzero and monitorx use a guest buffer via DS. */
#include "hostile.h"

static uint8_t buf[256] __attribute__((aligned(64)));

#define UD(fname, preset, bytes)                                                         \
    static uint32_t fname(int* ud) {                                                     \
        uint32_t a = (preset), b = (uint32_t)buf, c = 0, d = 0, before = last_trap.count; \
        __asm__ volatile("movl $1f, trap_resume\n" bytes "\n1: movl $0, trap_resume\n"    \
                         : "+a"(a), "+b"(b), "+c"(c), "+d"(d)                             \
                         :                                                                \
                         : "memory", "cc");                                               \
        *ud = last_trap.count != before && last_trap.vector == 6;                         \
        return a;                                                                        \
    }

UD(t_lzcnt, 0x10000, ".byte 0xf3, 0x0f, 0xbd, 0xc0")     /* lzcnt %eax,%eax = rep bsr */
UD(t_tzcnt, 0x10000, ".byte 0xf3, 0x0f, 0xbc, 0xc0")     /* tzcnt %eax,%eax = rep bsf */
UD(t_popcnt, 0xf0f0, ".byte 0xf3, 0x0f, 0xb8, 0xc0")     /* popcnt %eax,%eax */
UD(t_movbe, 0, "movl $0x11223344, (%%ebx)\n .byte 0x0f, 0x38, 0xf0, 0x03") /* movbe (%ebx),%eax */
UD(t_crc32, 0, ".byte 0xf2, 0x0f, 0x38, 0xf1, 0xc3")     /* crc32 %ebx,%eax */
UD(t_andn, 0, ".byte 0xc4, 0xe2, 0x78, 0xf2, 0xc3")      /* andn %ebx,%eax,%eax (VEX) */
UD(t_adcx, 0, ".byte 0x66, 0x0f, 0x38, 0xf6, 0xc3")      /* adcx %ebx,%eax */
UD(t_vzeroupper, 0x1234, ".byte 0xc5, 0xf8, 0x77")       /* vzeroupper (VEX) */
UD(t_rdrand, 0, ".byte 0x0f, 0xc7, 0xf0")                /* rdrand %eax */
UD(t_rdseed, 0, ".byte 0x0f, 0xc7, 0xf8")                /* rdseed %eax */
UD(t_xgetbv, 0, ".byte 0x0f, 0x01, 0xd0")                /* xgetbv (ECX = 0) */
UD(t_rdtscp, 0, ".byte 0x0f, 0x01, 0xf9")                /* rdtscp */
UD(t_rdpid, 0, ".byte 0xf3, 0x0f, 0xc7, 0xf8")           /* rdpid %eax */
UD(t_vmcall, 0, ".byte 0x0f, 0x01, 0xc1")                /* vmcall */
UD(t_vmmcall, 0, ".byte 0x0f, 0x01, 0xd9")               /* vmmcall */
UD(t_clflush, 0, ".byte 0x0f, 0xae, 0x3b")               /* clflush (%ebx) */
UD(t_clzero, (uint32_t)buf, ".byte 0x0f, 0x01, 0xfc")    /* clzero (%eax) */
UD(t_monitorx, (uint32_t)buf, ".byte 0x0f, 0x01, 0xfa")  /* monitorx %eax,%ecx,%edx */
UD(t_xsave, 0, ".byte 0x0f, 0xae, 0x23")                 /* xsave (%ebx) */

struct ud_case {
    const char* name;
    uint32_t (*fn)(int*);
    int show; /* print EAX when there was no #UD */
};
static const struct ud_case cases[] = {
    {"lzcnt (rep bsr) of 00010000", t_lzcnt, 1},
    {"tzcnt (rep bsf) of 00010000", t_tzcnt, 1},
    {"popcnt", t_popcnt, 1},
    {"movbe", t_movbe, 1},
    {"crc32", t_crc32, 1},
    {"andn (VEX)", t_andn, 1},
    {"adcx", t_adcx, 1},
    {"vzeroupper (VEX)", t_vzeroupper, 1},
    {"rdrand", t_rdrand, 0},
    {"rdseed", t_rdseed, 0},
    {"xgetbv", t_xgetbv, 1},
    {"rdtscp", t_rdtscp, 0},
    {"rdpid", t_rdpid, 0},
    {"vmcall", t_vmcall, 1},
    {"vmmcall", t_vmmcall, 1},
    {"clflush", t_clflush, 1},
    {"clzero", t_clzero, 0},
    {"monitorx", t_monitorx, 0},
    {"xsave", t_xsave, 0},
};

int main(void) {
    print("instructions the i686 profile does not offer\n");
    unsigned ran = 0;
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        int ud = 0;
        const uint32_t a = cases[i].fn(&ud);
        if (ud) {
            gprintf("%s: #UD\n", cases[i].name);
        } else {
            ++ran;
            if (cases[i].show)
                gprintf("%s: no #UD, eax %08x\n", cases[i].name, a);
            else
                gprintf("%s: no #UD\n", cases[i].name);
        }
    }
    gprintf("%u ran\n", ran);
    return 0;
}
