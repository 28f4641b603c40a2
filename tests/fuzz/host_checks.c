/* host_checks: the host CPU's own answer for the cases known_deviations.md cites where bt does
 * not run the instruction natively (an encoding the decoder rejects is #UD from the virtual
 * CPU) or where the answer is worth seeing outside a guest (a #PF error code). Not built by
 * CMake and not a test: a 64-bit Linux program to run by hand on the fuzzing host,
 *
 *   gcc -O1 -o /tmp/host_checks tests/fuzz/host_checks.c && /tmp/host_checks
 *
 * Each encoding runs from an executable page with RBX pointing at a writable buffer (the
 * 64-bit forms of these opcodes decode as the 32-bit ones do); SIGILL is #UD. The page-fault
 * lines print the error code the kernel reports (bit 1: W) for an access to a PROT_NONE page.
 * The x87 lines print the pointer fields of fnstenv/fxsave images (without REX.W both use the
 * 32-bit format's offsets) after `fldl m` with every exception masked and after an
 * unmasked #Z left pending by `fdivl m` and after an fldenv of chosen pointers, next to CPUID.(EAX=7,ECX=0):EBX bits 6
 * (FDP_EXCPTN_ONLY) and 13 (FCS/FDS deprecated): known_deviations.md CPU-1 and CPU-2. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <stdint.h>
#include <ucontext.h>

static sigjmp_buf jump;
static volatile int signo;
static volatile long error_code;

static void handler(int s, siginfo_t* si, void* uc) {
    (void)si;
    signo = s;
    error_code = ((ucontext_t*)uc)->uc_mcontext.gregs[REG_ERR];
    siglongjmp(jump, 1);
}

static const struct {
    const char* name;
    unsigned char bytes[8];
    unsigned length;
} kEncodings[] = {
    {"lock mov %eax,(%rbx)", {0xf0, 0x89, 0x03}, 3},
    {"lock lea (%rbx),%eax", {0xf0, 0x8d, 0x03}, 3},
    {"lock bt %eax,(%rbx)", {0xf0, 0x0f, 0xa3, 0x03}, 4},
    {"lock bsf (%rbx),%eax", {0xf0, 0x0f, 0xbc, 0x03}, 4},
    {"lock test %eax,(%rbx)", {0xf0, 0x85, 0x03}, 3},
    {"lock cmp %eax,(%rbx)", {0xf0, 0x39, 0x03}, 3},
    {"lock bswap %eax", {0xf0, 0x0f, 0xc8}, 3},
    {"lock lahf", {0xf0, 0x9f}, 2},
    {"c6 c8 00 (c6 /1)", {0xc6, 0xc8, 0x00}, 3},
    {"c7 c8 imm32 (c7 /1)", {0xc7, 0xc8, 0, 0, 0, 0}, 6},
    {"lock add %eax,(%rbx) (allowed)", {0xf0, 0x01, 0x03}, 3},
};

static void print_env(const char* what, const uint8_t* e) {
    uint32_t d[7];
    memcpy(d, e, sizeof d);
    printf("%-32s fnstenv: FCW/FSW/FTW dwords %08x %08x %08x FIP %08x FCS|FOP %08x FDP %08x "
           "FDS dword %08x\n",
           what, d[0], d[1], d[2], d[3], d[4], d[5], d[6]);
}

static void print_fx(const char* what, const uint8_t* x) {
    uint16_t fop;
    uint32_t d[4];
    memcpy(&fop, x + 6, 2);
    memcpy(d, x + 8, sizeof d);
    printf("%-32s fxsave: FOP %04x FIP %08x FCS dword %08x FDP %08x FDS dword %08x\n", what,
           fop, d[0], d[1], d[2], d[3]);
}

static void x87_images(void) {
    static const double one = 1.0, zero = 0.0;
    static uint8_t env[28];
    static uint8_t fx[512] __attribute__((aligned(16)));
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    printf("CPUID.(EAX=7,ECX=0):EBX %08x: bit 6 (FDP_EXCPTN_ONLY) %u, bit 13 (FCS/FDS "
           "deprecated) %u\n",
           b, (b >> 6) & 1, (b >> 13) & 1);
    printf("(the operands: &one %p, &zero %p)\n", (void*)&one, (void*)&zero);
    memset(env, 0xaa, sizeof env), memset(fx, 0xaa, sizeof fx);
    __asm__ volatile("fninit; fldl %2; fnstenv %0; fldenv %0; fxsave %1; fninit"
                     : "=m"(env), "=m"(fx)
                     : "m"(one));
    print_env("fldl m (masked)", env);
    print_fx("fldl m (masked)", fx);
    static const uint16_t cw_z = 0x37b; /* ZM clear */
    memset(env, 0xaa, sizeof env), memset(fx, 0xaa, sizeof fx);
    __asm__ volatile("fninit; fldcw %2; fld1; fdivl %3; fnstenv %0; fldenv %0; fxsave %1; fninit"
                     : "=m"(env), "=m"(fx)
                     : "m"(cw_z), "m"(zero));
    print_env("fdivl m (unmasked #Z pending)", env);
    print_fx("fdivl m (unmasked #Z pending)", fx);
    /* fldenv of chosen pointers (random words, as a fuzzed frstor image has): what
     * the CPU keeps of a loaded FIP, FCS, FOP, FDP and FDS. */
    static const uint32_t loaded[7] = {0x037f, 0, 0xffff, 0x65562c66, 0xbb8d3d6b, 0x982a3c1b,
                                       0x2a8f4a2f};
    memset(env, 0xaa, sizeof env), memset(fx, 0xaa, sizeof fx);
    __asm__ volatile("fninit; fldenv %2; fnstenv %0; fldenv %0; fxsave %1; fninit"
                     : "=m"(env), "=m"(fx)
                     : "m"(loaded));
    print_env("fldenv (FIP 65562c66 FCS 3d6b)", env);
    print_fx("fldenv (FIP 65562c66 FCS 3d6b)", fx);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    unsigned char* code =
        mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char* none = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static long buffer[4];
    if (code == MAP_FAILED || none == MAP_FAILED) return perror("mmap"), 1;
    for (unsigned i = 0; i < sizeof kEncodings / sizeof kEncodings[0]; ++i) {
        memcpy(code, kEncodings[i].bytes, kEncodings[i].length);
        code[kEncodings[i].length] = 0xc3; /* ret */
        signo = 0;
        if (!sigsetjmp(jump, 1))
            __asm__ volatile("mov %0, %%rbx\n call *%1" ::"r"(buffer), "r"(code)
                             : "rax", "rbx", "memory", "cc");
        printf("%-32s %s\n", kEncodings[i].name,
               signo == SIGILL ? "#UD"
               : signo         ? "another fault"
                               : "runs");
    }
    if (!sigsetjmp(jump, 1)) __asm__ volatile("addl %%eax, (%0)" ::"r"(none) : "memory", "cc");
    printf("%-32s #PF error code %lx\n", "add %eax,(not present)", error_code);
    if (!sigsetjmp(jump, 1)) __asm__ volatile("rcll $3, (%0)" ::"r"(none) : "memory", "cc");
    printf("%-32s #PF error code %lx\n", "rcl $3,(not present)", error_code);
    if (!sigsetjmp(jump, 1)) __asm__ volatile("movl (%0), %%eax" ::"r"(none) : "eax", "memory");
    printf("%-32s #PF error code %lx\n", "mov (not present),%eax", error_code);
    x87_images();
    return 0;
}
