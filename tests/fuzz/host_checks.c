/* host_checks: the host CPU's own answer for the cases known_deviations.md cites where bt does
 * not run the instruction natively (an encoding the decoder rejects is #UD from the virtual
 * CPU) or where the answer is worth seeing outside a guest (a #PF error code). Not built by
 * CMake and not a test: a 64-bit Linux program to run by hand on the fuzzing host,
 *
 *   gcc -O1 -o /tmp/host_checks tests/fuzz/host_checks.c && /tmp/host_checks
 *
 * Each encoding runs from an executable page with RBX pointing at a writable buffer (the
 * 64-bit forms of these opcodes decode as the 32-bit ones do); SIGILL is #UD. The page-fault
 * lines print the error code the kernel reports (bit 1: W) for an access to a PROT_NONE page. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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
    return 0;
}
