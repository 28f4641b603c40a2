/* sysenter_native: `sysenter` executed natively. Under the trap engine on an Intel host it
 * enters the host kernel's 32-bit fast-syscall path (on AMD it is #UD): that path computes its
 * return address from the 64-bit vDSO (above 4 GiB), which the seccomp filter once took for
 * the monitor's own i386 system call and killed prevt with SIGSYS (status 159). The probe
 * tests/hostile/probes/sysenter_probe.c shows what the kernel leaves. Checked, at CPL 0:
 *  - 100 sysenters with EBP pointing at readable memory: the handler runs on SYSENTER_ESP and
 *    sees the caller's EAX, EBX, ECX, EDX, ESI, EDI, EBP, arithmetic flags and DF, DS/ES/FS/GS
 *    (trap: the virtual CPU runs the sysenter exactly; no EIP or ESP is needed);
 *  - a sysenter with EBP = 0 (unreadable on the host: the kernel overwrites EAX with -EFAULT;
 *    trap stops the guest here, status 3, and says why);
 *  - SYSENTER_CS = 0: #GP(0) at the sysenter (trap cannot know its address: it would stop). */
#include "hostile.h"

#define SYSENTER_SEL 0x98u
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define FLAGS_SET 0xcd5u /* CF PF AF ZF SF DF OF */

static uint32_t kstack[1024] __attribute__((aligned(4096)));
volatile uint32_t in_regs[8], seen_regs[8], seen_esp, seen_flags, in_sel[4], seen_sel[4];
volatile uint32_t readable = 0x5eb05eb0;

void sysenter_handler(void);
void sysenter_call(void);
extern char sysenter_at[];

/* The handler: record everything, back to the caller's stack (ECX) and EIP (EDX) at CS 0x08. */
__asm__(".text\n"
        "sysenter_handler:\n"
        "    pushf\n"
        "    popl seen_flags\n"
        "    cld\n"
        "    mov %eax, seen_regs+0\n"
        "    mov %ebx, seen_regs+4\n"
        "    mov %ecx, seen_regs+8\n"
        "    mov %edx, seen_regs+12\n"
        "    mov %esi, seen_regs+16\n"
        "    mov %edi, seen_regs+20\n"
        "    mov %ebp, seen_regs+24\n"
        "    mov %esp, seen_esp\n"
        "    mov %ds, seen_sel+0\n"
        "    mov %es, seen_sel+4\n"
        "    mov %fs, seen_sel+8\n"
        "    mov %gs, seen_sel+12\n"
        "    mov $0x10, %eax\n"
        "    mov %eax, %ss\n"
        "    mov %ecx, %esp\n"
        "    ljmp $0x08, $1f\n"
        "1:  jmp *%edx\n");

/* sysenter_call: in_regs[] into the registers (EBP, ECX = ESP, EDX = the return EIP
 * replaced), FLAGS_SET, FS = the DPL-3 data segment, GS = the flat data segment; sysenter. */
__asm__(".text\n"
        ".globl sysenter_call, sysenter_at\n"
        "sysenter_call:\n"
        "    push %ebp\n"
        "    push %ebx\n"
        "    push %esi\n"
        "    push %edi\n"
        "    push %fs\n"
        "    push %gs\n"
        "    mov $0x48, %eax\n"
        "    mov %eax, %fs\n"
        "    mov $0x10, %eax\n"
        "    mov %eax, %gs\n"
        "    mov %ds, in_sel+0\n"
        "    mov %es, in_sel+4\n"
        "    mov %fs, in_sel+8\n"
        "    mov %gs, in_sel+12\n"
        "    mov in_regs+24, %ebp\n"
        "    mov in_regs+20, %edi\n"
        "    mov in_regs+16, %esi\n"
        "    mov in_regs+4, %ebx\n"
        "    mov %esp, %ecx\n"
        "    mov %ecx, in_regs+8\n"
        "    mov $2f, %edx\n"
        "    mov %edx, in_regs+12\n"
        "    pushl $0xcd7\n"
        "    popf\n"
        "    mov in_regs+0, %eax\n"
        "sysenter_at:\n"
        "    sysenter\n"
        "2:  cld\n"
        "    pop %gs\n"
        "    pop %fs\n"
        "    pop %edi\n"
        "    pop %esi\n"
        "    pop %ebx\n"
        "    pop %ebp\n"
        "    ret\n");

static unsigned check(void) {
    unsigned bad = 0;
    for (int i = 0; i < 8; ++i)
        if (i != 4 && seen_regs[i] != in_regs[i]) ++bad;
    for (int i = 0; i < 4; ++i)
        if (seen_sel[i] != in_sel[i]) ++bad;
    if ((seen_flags & FLAGS_SET) != FLAGS_SET) ++bad;
    if (seen_esp != (uint32_t)(kstack + 1024)) ++bad;
    return bad;
}

int main(void) {
    print("sysenter executed natively, at CPL 0\n");
    set_sysenter_descriptors(SYSENTER_SEL);
    wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL);
    wrmsr(MSR_SYSENTER_ESP, (uint32_t)(kstack + 1024));
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_handler);
    unsigned bad = 0;
    for (uint32_t i = 0; i < 100; ++i) {
        in_regs[0] = 0x01010101u * i + 20; /* a host system call number, were it to run */
        in_regs[1] = 0x11111111u ^ i;
        in_regs[5] = 0x55555555u + i;
        in_regs[4] = 0x44444444u - i;
        in_regs[6] = (uint32_t)&readable; /* the host kernel reads [EBP] */
        sysenter_call();
        bad += check();
    }
    gprintf("100 sysenters, EBP readable: %u registers differ, last eax %08x\n", bad,
            seen_regs[0]);
    print("a sysenter with EBP = 0:\n");
    in_regs[0] = 20;
    in_regs[6] = 0;
    sysenter_call();
    gprintf("  %u registers differ (eax %08x, ebp %08x)\n", check(), seen_regs[0], seen_regs[6]);
    wrmsr(MSR_SYSENTER_CS, 0);
    trap_resume = (uint32_t)sysenter_at + 2;
    in_regs[6] = (uint32_t)&readable;
    sysenter_call();
    gprintf("SYSENTER_CS = 0: vector %u error %u at the sysenter: %s\n", last_trap.vector,
            last_trap.error, last_trap.eip == (uint32_t)sysenter_at ? "yes" : "no");
    return 0;
}
