/* usermode: the guest kernel enters ring 3 with iret (CS 0x53, SS 0x4b) and the user code
 * makes system calls through int $0x80 (a DPL 3 gate: the CPU switches to the TSS's ring-0
 * stack), tries privileged instructions (#GP from CPL 3), reads its own selectors, and ends
 * a sysenter/sysexit round trip, and ends with int $0x81, whose handler stays in the kernel. */
#include "lib/guest.h"

#define SEL_USER_CODE (SEL_CODE_DPL3 | 3)
#define SEL_USER_DATA (SEL_DATA_DPL3 | 3)

static uint32_t user_stack[1024] __attribute__((aligned(16)));
volatile uint32_t user_cs, user_ss, syscalls, after_sysexit_cs, sysenter_cs;
void sysenter_entry(void);

/* The sysenter entry: CS/SS from SYSENTER_CS, ESP from SYSENTER_ESP; back with sysexit
 * (EIP = EDX, ESP = ECX, CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3). */
__asm__(".text\n"
        ".globl sysenter_entry\n"
        "sysenter_entry:\n"
        "    mov %cs, %eax\n"
        "    mov %eax, sysenter_cs\n"
        "    sysexit\n");
void user_entry(void);

__asm__(".text\n"
        ".globl user_entry\n"
        "user_entry:\n"
        "    mov $0x4b, %ax\n"
        "    mov %ax, %ds\n"
        "    mov %ax, %es\n"
        "    mov %cs, %eax\n"
        "    mov %eax, user_cs\n"
        "    mov %ss, %eax\n"
        "    mov %eax, user_ss\n"
        "    mov $20, %eax\n"
        "    int $0x80\n"              /* a system call */
        "    int $0x80\n"
        "    movl $1f, trap_resume\n"
        "    cli\n"                    /* #GP(0): IOPL 0 < CPL 3 */
        "1:  movl $2f, trap_resume\n"
        "    inb $0x80, %al\n"         /* #GP(0): no I/O permission */
        "2:  movl $3f, trap_resume\n"
        "    hlt\n"                    /* #GP(0) */
        "3:  mov %esp, %ecx\n"         /* sysenter: the kernel returns with sysexit */
        "    mov $5f, %edx\n"
        "    sysenter\n"
        "5:  mov %cs, %eax\n"
        "    mov %eax, after_sysexit_cs\n"
        "    int $0x81\n"              /* back to the kernel for good */
        "4:  jmp 4b\n");

static void on_syscall(struct frame* f) {
    const uint32_t* user = (const uint32_t*)(f + 1);  /* the CPU pushed ESP and SS too */
    gprintf("int 0x80 from cs %04x: eax %u, user ss %04x, user esp %s, handler cs %04x\n",
            f->cs & 0xffff, f->eax, user[1] & 0xffff,
            user[0] > (uint32_t)user_stack ? "in the user stack" : "WRONG", READ_SEG(cs));
    f->eax = 1000 + syscalls++;
}

static void on_exit_call(struct frame* f) {
    gprintf("int 0x81 from cs %04x: back in the kernel (cs %04x)\n", f->cs & 0xffff,
            READ_SEG(cs));
    gprintf("user saw cs %04x ss %04x; #GP count %u (last error %08x, from cs %04x)\n", user_cs,
            user_ss, last_trap.count, last_trap.error, last_trap.cs);
    gprintf("sysenter entered cs %04x, sysexit returned to cs %04x\n", sysenter_cs,
            after_sysexit_cs);
    guest_exit(0);
}

int main(void) {
    print("user mode\n");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee); /* interrupt gate, DPL 3 */
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[0x80] = on_syscall;
    trap_hooks[0x81] = on_exit_call;
    /* sysenter loads flat CS = SYSENTER_CS and SS = +8; sysexit flat CS = +16|3 and SS =
     * +24|3, whatever the GDT holds there (the CPU does not read the descriptors). */
    wrmsr(0x174, SEL_CODE);
    wrmsr(0x175, (uint32_t)(user_stack + 512));
    wrmsr(0x176, (uint32_t)sysenter_entry);
    __asm__ volatile("push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(SEL_USER_DATA),
                     "r"(user_stack + 1024), "i"(SEL_USER_CODE), "r"(user_entry));
    return 1;
}
