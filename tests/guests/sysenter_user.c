/* sysenter_user: system calls from ring 3 with sysenter/sysexit under paging. The kernel maps
 * the first 8 MiB for user access except its sysenter stack (supervisor-only), puts flat
 * descriptors at GDT 0x98 (kernel code), 0xa0 (kernel data), 0xa8 (user code, DPL 3) and 0xb0
 * (user data, DPL 3) so that the selectors sysenter/sysexit load (SYSENTER_CS, +8, +16|3,
 * +24|3) match real descriptors, and sets SYSENTER_CS/ESP/EIP (MSRs 0x174-0x176). Checked:
 *  - at CPL 0 with SYSENTER_CS = 0: sysenter and sysexit raise #GP(0) (the SDM's operation
 *    sections), at the instruction;
 *  - ring 3 (entered with iret, IF = 1) calls the kernel 1000 times with sysenter, the call
 *    number in EAX and arguments in EBX/EDI (even calls add, odd calls multiply), ECX = ESP and
 *    EDX = the return EIP; the kernel runs at CPL 0 on SYSENTER_ESP with IF = 0 (sysenter
 *    clears it), returns with sti; sysexit (CS 0xab, SS 0xb3); the sum of the results, the call
 *    count and the user's ESP after the loop are printed;
 *  - int $0x80 from the same ring-3 code (after sysexit: iret back to CS 0xab, SS 0xb3);
 *  - sysexit at CPL 3: #GP(0); sysenter at CPL 3 with SYSENTER_CS = 0: #GP(0); then, the MSR
 *    restored, sysenter works again. */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define U 4u

#define SYSENTER_SEL 0x98u                   /* kernel code; kernel data is +8 */
#define USER_CS ((SYSENTER_SEL + 16) | 3)   /* 0xab */
#define USER_SS ((SYSENTER_SEL + 24) | 3)   /* 0xb3 */
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define NCALLS 1000

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t identity[2][1024] __attribute__((aligned(4096)));
static uint32_t sysenter_stack[1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));

volatile uint32_t calls, first_cs, first_ss, first_eflags, first_esp, last_user_esp;
volatile uint32_t user_cs, user_ss, user_sum, user_esp_before, user_esp_after, user_eflags;
volatile uint32_t int80_result, call_count_after;

void sysenter_entry(void);
void sysenter_unexpected(void);
void user_entry(void);
void ring0_sysenter(void);
void ring0_sysexit(void);
extern char ring0_sysenter_at[], ring0_sysexit_at[], user_sysexit_at[], user_sysenter_at[];

/* The kernel's sysenter entry: CS 0x98, SS 0xa0, ESP = SYSENTER_ESP, IF = 0; the user's
 * registers: EAX call number, EBX and EDI arguments, ECX its ESP, EDX its return EIP. */
__asm__(".text\n"
        ".globl sysenter_entry, sysenter_unexpected\n"
        "sysenter_entry:\n"
        "    push %ecx\n"
        "    push %edx\n"
        "    push %ecx\n"
        "    push %edi\n"
        "    push %ebx\n"
        "    push %eax\n"
        "    call sysenter_dispatch\n"
        "    add $16, %esp\n"
        "    pop %edx\n"
        "    pop %ecx\n"
        "    sti\n"
        "    sysexit\n"
        "sysenter_unexpected:\n"
        "    mov $sysenter_stack + 4096, %esp\n"
        "    mov $0x10, %eax\n"
        "    mov %eax, %ds\n"
        "    mov %eax, %es\n"
        "    call report_unexpected_sysenter\n");

/* Ring 0 with SYSENTER_CS = 0: both instructions must raise #GP(0). */
__asm__(".text\n"
        ".globl ring0_sysenter, ring0_sysexit, ring0_sysenter_at, ring0_sysexit_at\n"
        "ring0_sysenter:\n"
        "    movl $1f, trap_resume\n"
        "ring0_sysenter_at:\n"
        "    sysenter\n"
        "1:  ret\n"
        "ring0_sysexit:\n"
        "    push %ebx\n"
        "    movl $2f, trap_resume\n"
        "    mov %esp, %ecx\n"
        "    mov $2f, %edx\n"
        "ring0_sysexit_at:\n"
        "    sysexit\n"
        "2:  pop %ebx\n"
        "    ret\n");

/* Ring 3. */
__asm__(".text\n"
        ".globl user_entry, user_sysexit_at, user_sysenter_at\n"
        "user_entry:\n"
        "    mov %cs, %eax\n"
        "    mov %eax, user_cs\n"
        "    mov %ss, %eax\n"
        "    mov %eax, user_ss\n"
        "    mov %esp, user_esp_before\n"
        "    xor %ebp, %ebp\n"             /* i */
        "    xor %esi, %esi\n"             /* the sum of the results */
        "1:  mov %ebp, %ebx\n"
        "    mov $1, %eax\n"               /* even i: add(i, 1000) */
        "    mov $1000, %edi\n"
        "    test $1, %ebp\n"
        "    jz 2f\n"
        "    mov $2, %eax\n"               /* odd i: mul(i, 3) */
        "    mov $3, %edi\n"
        "2:  mov %esp, %ecx\n"
        "    mov $3f, %edx\n"
        "    sysenter\n"
        "3:  add %eax, %esi\n"
        "    inc %ebp\n"
        "    cmp $1000, %ebp\n"
        "    jne 1b\n"
        "    mov %esi, user_sum\n"
        "    mov %esp, user_esp_after\n"
        "    pushf\n"
        "    pop %eax\n"
        "    mov %eax, user_eflags\n"
        "    mov $3, %eax\n"               /* the kernel reports */
        "    mov %esp, %ecx\n"
        "    mov $4f, %edx\n"
        "    sysenter\n"
        "4:  mov $1, %eax\n"               /* int $0x80: add(40, 2) */
        "    mov $40, %ebx\n"
        "    mov $2, %edi\n"
        "    int $0x80\n"
        "    mov %eax, int80_result\n"
        "    movl $5f, trap_resume\n"
        "    mov %esp, %ecx\n"
        "    mov $5f, %edx\n"
        "user_sysexit_at:\n"
        "    sysexit\n"                    /* #GP(0): CPL 3 */
        "5:  mov $5, %eax\n"               /* int $0x80: SYSENTER_CS := 0 */
        "    int $0x80\n"
        "    movl $6f, trap_resume\n"
        "    mov $4, %eax\n"
        "    mov %esp, %ecx\n"
        "    mov $6f, %edx\n"
        "user_sysenter_at:\n"
        "    sysenter\n"                   /* #GP(0): SYSENTER_CS = 0 */
        "6:  mov $6, %eax\n"               /* int $0x80: SYSENTER_CS := 0x98 */
        "    int $0x80\n"
        "    mov $4, %eax\n"               /* the call count, through sysenter again */
        "    mov %esp, %ecx\n"
        "    mov $7f, %edx\n"
        "    sysenter\n"
        "7:  mov %eax, call_count_after\n"
        "    int $0x81\n"
        "8:  jmp 8b\n");

uint32_t sysenter_dispatch(uint32_t nr, uint32_t a, uint32_t b, uint32_t user_esp) {
    ++calls;
    last_user_esp = user_esp;
    if (calls == 1) {
        first_cs = READ_SEG(cs);
        first_ss = READ_SEG(ss);
        first_eflags = read_eflags();
        uint32_t esp;
        __asm__ volatile("mov %%esp, %0" : "=r"(esp));
        first_esp = esp;
    }
    switch (nr) {
        case 1: return a + b;
        case 2: return a * b;
        case 3:
            gprintf("sysenter call %u (report): kernel cs %04x ss %04x (CPL %u), IF %u, esp in the sysenter stack %u\n",
                    calls, READ_SEG(cs), READ_SEG(ss), READ_SEG(cs) & 3, !!(read_eflags() & EFLAGS_IF),
                    first_esp > (uint32_t)sysenter_stack && first_esp < (uint32_t)(sysenter_stack + 1024));
            gprintf("  first call: kernel cs %04x ss %04x IF %u; the user's esp (ecx) %s\n", first_cs,
                    first_ss, !!(first_eflags & EFLAGS_IF),
                    last_user_esp == user_esp_after ? "= its esp after the loop" : "WRONG");
            gprintf("  user: cs %04x ss %04x (CPL %u), %u calls, sum of the results %u, esp %s, IF %u after sysexit\n",
                    user_cs, user_ss, user_cs & 3, NCALLS, user_sum,
                    user_esp_after == user_esp_before ? "unchanged" : "CHANGED",
                    !!(user_eflags & EFLAGS_IF));
            return 0;
        case 4: return calls;
        default: gprintf("sysenter: unknown call %u\n", nr); return 0xffffffff;
    }
}

void report_unexpected_sysenter(void) {
    gprintf("sysenter did not fault with SYSENTER_CS = 0\n");
    guest_exit(0x7d);
}

static const char* where(uint32_t eip) {
    if (eip == (uint32_t)ring0_sysenter_at) return "the ring-0 sysenter";
    if (eip == (uint32_t)ring0_sysexit_at) return "the ring-0 sysexit";
    if (eip == (uint32_t)user_sysexit_at) return "the ring-3 sysexit";
    if (eip == (uint32_t)user_sysenter_at) return "the ring-3 sysenter";
    return "an unexpected address";
}

static void on_gp(struct frame* f) {
    if (!trap_resume) {
        gprintf("unexpected #GP: error %08x eip %08x cs %04x\n", f->error, f->eip, f->cs & 0xffff);
        guest_exit(0x7f);
    }
    gprintf("#GP error %x at %s, cs %04x\n", f->error, where(f->eip), f->cs & 0xffff);
    f->eip = trap_resume;
    trap_resume = 0;
}

static void on_int80(struct frame* f) {
    switch (f->eax) {
        case 1:
            gprintf("int 0x80 from cs %04x (CPL %u), handler cs %04x (CPL %u): add(%u, %u)\n",
                    f->cs & 0xffff, f->cs & 3, READ_SEG(cs), READ_SEG(cs) & 3, f->ebx, f->edi);
            f->eax = f->ebx + f->edi;
            break;
        case 5:
            wrmsr(MSR_SYSENTER_CS, 0);
            print("int 0x80: SYSENTER_CS := 0\n");
            break;
        case 6:
            wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL);
            print("int 0x80: SYSENTER_CS := 0x98\n");
            break;
        default: gprintf("int 0x80: unknown call %u\n", f->eax);
    }
}

static void on_exit_call(struct frame* f) {
    gprintf("int 0x81 from cs %04x: int 0x80 returned %u, sysenter call count %u\n",
            f->cs & 0xffff, int80_result, call_count_after);
    guest_exit(0);
}

int main(void) {
    print("sysenter_user: sysenter/sysexit system calls from ring 3 under paging\n");
    for (uint32_t i = 0; i < 2048; ++i) identity[i / 1024][i % 1024] = (i << 12) | P | W | U;
    identity[0][(uint32_t)sysenter_stack >> 12] &= ~U; /* the sysenter stack: supervisor-only */
    dir[0] = (uint32_t)identity[0] | P | W | U;
    dir[1] = (uint32_t)identity[1] | P | W | U;
    set_sysenter_descriptors(SYSENTER_SEL);
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[13] = on_gp;
    trap_hooks[0x80] = on_int80;
    trap_hooks[0x81] = on_exit_call;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    print("paging on\n");

    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_SYSENTER_ESP, (uint32_t)(sysenter_stack + 1024));
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_unexpected);
    print("SYSENTER_CS = 0, CPL 0:\n");
    ring0_sysenter();
    ring0_sysexit();

    wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
    gprintf("SYSENTER_CS %x ESP %s EIP %s\n", (uint32_t)rdmsr(MSR_SYSENTER_CS),
            rdmsr(MSR_SYSENTER_ESP) == (uint32_t)(sysenter_stack + 1024) ? "the sysenter stack" : "WRONG",
            rdmsr(MSR_SYSENTER_EIP) == (uint32_t)sysenter_entry ? "sysenter_entry" : "WRONG");
    print("entering ring 3 (cs 00ab ss 00b3, IF = 1)\n");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(USER_SS));
    __asm__ volatile("push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(USER_SS),
                     "r"(user_stack + 1024), "i"(USER_CS), "r"(user_entry));
    return 1;
}
