/* Probe: what a native `sysenter` in compatibility mode does to a 64-bit process that traps
 * every system call from below 4 GiB with seccomp (prevt's trap engine), on an Intel host
 * (on AMD `sysenter` there is #UD: SIGILL, and this probe says so).
 *
 * Each case runs in a child: a 32-bit LDT code segment at 0x100000 sets EBP, executes
 * `sysenter` (eax = 20, getpid), and, should it ever come back, far-jumps to 0x33.
 * Cases (argv[1] picks one, none runs all):
 *   kill   prevt's filter: ip >> 32 == 0 -> TRAP; arch != X86_64 -> KILL_PROCESS; else ALLOW
 *   trap   the same with TRAP instead of KILL for arch I386 (what the handler then sees)
 *   vdso   TRAP for arch I386 only when the ip is inside the [vdso] mapping, else KILL
 *   efault the `trap` filter, EBP pointing at an unmapped page
 * Seen on this project's Intel Xeon VM (Linux 6.18):
 *   kill   -> "killed by signal 31" (no handler): the kernel's SYSENTER path replaces the ip
 *             with the 32-bit vDSO landing pad relative to the *64-bit* vDSO (above 4 GiB), so
 *             the filter sees an i386 call from above 4 GiB: the monitor's branch, KILL.
 *   trap   -> SIGSYS, si_code 1 (SYS_SECCOMP), si_arch 0x40000003, si_call_addr = rip =
 *             the [vdso] base + a small offset, cs 0x23 ss 0x2b, eax/ebx/ecx/edx/esi/edi the
 *             guest's, rsp = the guest's EBP, rbp = the dword at [EBP]; the guest's ESP and
 *             EIP are not in the frame.
 *   vdso   -> the same as trap.
 *   efault -> no seccomp at all: get_user([EBP]) fails, eax = -EFAULT (the guest's EAX is
 *             lost, EBP 0), and the kernel irets to the landing pad in 32-bit mode, which
 *             truncates it to 32 bits: SIGSEGV there (rip = the landing pad's low half, cs 0x23).
 * Build: gcc -O1 sysenter_probe.c -o sysenter_probe && ./sysenter_probe */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static uint64_t vdso_lo, vdso_hi;

static void out(const char* s) { (void)!write(1, s, strlen(s)); }
static void hex(const char* name, uint64_t v) {
    char b[40]; int n = snprintf(b, sizeof b, " %s %llx", name, (unsigned long long)v);
    (void)!write(1, b, n);
}

static void handler(int sig, siginfo_t* si, void* ucv) {
    ucontext_t* uc = ucv; greg_t* g = uc->uc_mcontext.gregs;
    hex("signal", sig); hex("si_code", si->si_code);
    if (sig == SIGSYS) { hex("si_arch", si->si_arch); hex("si_syscall", si->si_syscall);
        hex("si_call_addr", (uint64_t)si->si_call_addr); }
    hex("rip", g[REG_RIP]); hex("rip-vdso", g[REG_RIP] - vdso_lo);
    hex("cs", g[REG_CSGSFS] & 0xffff); hex("ss", (uint64_t)g[REG_CSGSFS] >> 48);
    hex("rax", g[REG_RAX]); hex("rbx", g[REG_RBX]); hex("rcx", g[REG_RCX]); hex("rdx", g[REG_RDX]);
    hex("rsi", g[REG_RSI]); hex("rdi", g[REG_RDI]); hex("rsp", g[REG_RSP]); hex("rbp", g[REG_RBP]);
    hex("eflags", g[REG_EFL]); out("\n");
    _exit(0);
}

static void find_vdso(void) {
    vdso_lo = getauxval(AT_SYSINFO_EHDR);
    FILE* f = fopen("/proc/self/maps", "r"); char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[vdso]")) sscanf(line, "%lx-%lx", &vdso_lo, &vdso_hi);
    if (f) fclose(f);
}

static void filter(const char* mode) {
    const uint32_t i386_action = strcmp(mode, "kill") == 0 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_TRAP;
    const int vdso_only = strcmp(mode, "vdso") == 0;
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* i386 ABI from above 4 GiB: in the [vdso] (high word equal, low word in range)? */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(vdso_lo >> 32), 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)vdso_lo, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)vdso_hi, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, vdso_only ? SECCOMP_RET_KILL_PROCESS : i386_action),
    };
    struct sock_fprog p = {sizeof f / sizeof f[0], f};
    if (!vdso_only) f[6] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, i386_action);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p) < 0) { perror("seccomp"); _exit(1); }
}

uint64_t saved_rsp;
void back(void);
__asm__(".globl back\nback: mov saved_rsp(%rip),%rsp\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n ret\n");
void enter(uint64_t eip, uint64_t cs, uint64_t esp, uint64_t ss);
__asm__(".globl enter\nenter: push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n mov %rsp,saved_rsp(%rip)\n"
        " mov %ecx,%ds\n mov %ecx,%es\n push %rcx\n push %rdx\n pushq $0x202\n push %rsi\n push %rdi\n iretq\n");

static void run_case(const char* mode) {
    uint8_t* m = mmap((void*)0x100000, 0x10000, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    struct user_desc d = {.entry_number = 0, .base_addr = 0, .limit = 0xfffff, .seg_32bit = 1,
                          .contents = MODIFY_LDT_CONTENTS_CODE, .limit_in_pages = 1, .useable = 1};
    syscall(SYS_modify_ldt, 1, &d, sizeof d);
    d.entry_number = 1; d.contents = MODIFY_LDT_CONTENTS_DATA;
    syscall(SYS_modify_ldt, 1, &d, sizeof d);
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = handler; sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSYS, &sa, 0); sigaction(SIGSEGV, &sa, 0); sigaction(SIGILL, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    uint8_t stub[12] = {0x48, 0xb8}; uint64_t b = (uint64_t)back;
    memcpy(stub + 2, &b, 8); stub[10] = 0xff; stub[11] = 0xe0; memcpy(m + 0xf00, stub, 12);
    *(uint32_t*)(m + 0x800) = 0x5eb05eb0; /* what [EBP] holds */
    const uint32_t ebp = strcmp(mode, "efault") == 0 ? 0x00300000 : 0x00100800;
    /* mov $20,%eax; mov $0x11111111,%ebx; mov $0x22222222,%ecx (sysexit ESP by convention);
       mov $0x33333333,%edx (sysexit EIP); mov $0x44444444,%esi; mov $0x55555555,%edi;
       mov $ebp,%ebp; sysenter; ljmp $0x33,$0x100f00 */
    uint8_t code[] = {0xb8, 20, 0, 0, 0, 0xbb, 0x11, 0x11, 0x11, 0x11, 0xb9, 0x22, 0x22, 0x22, 0x22,
                      0xba, 0x33, 0x33, 0x33, 0x33, 0xbe, 0x44, 0x44, 0x44, 0x44,
                      0xbf, 0x55, 0x55, 0x55, 0x55, 0xbd, 0, 0, 0, 0, 0x0f, 0x34,
                      0xea, 0x00, 0x0f, 0x10, 0x00, 0x33, 0x00};
    memcpy(code + 31, &ebp, 4);
    memcpy(m, code, sizeof code);
    filter(mode);
    enter(0x100000, 4 | 3, 0x10f000, (1 << 3) | 4 | 3);
    out(" sysenter came back to the guest code (no signal)\n");
    _exit(0);
}

int main(int argc, char** argv) {
    find_vdso();
    printf("[vdso] %lx-%lx (AT_SYSINFO_EHDR %lx); guest code at 0x100000, sysenter at 0x100023\n",
           (unsigned long)vdso_lo, (unsigned long)vdso_hi, getauxval(AT_SYSINFO_EHDR));
    const char* modes[] = {"kill", "trap", "vdso", "efault"};
    for (int i = 0; i < 4; ++i) {
        if (argc > 1 && strcmp(argv[1], modes[i]) != 0) continue;
        printf("%-6s:", modes[i]); fflush(stdout);
        pid_t p = fork();
        if (p == 0) run_case(modes[i]);
        int st; waitpid(p, &st, 0);
        if (WIFSIGNALED(st)) printf(" killed by signal %d\n", WTERMSIG(st));
    }
    return 0;
}
