/* user_tls_wrap -- i386 glibc's TLS inside a guest with a 3G/1G split: the user's %gs has a
 * nonzero base (the thread pointer) and a 4 GiB limit, and TLS variables sit at negative
 * offsets from it (`mov %gs:-4, %eax`): the offset wraps around 4 GiB to just below the
 * base. bt truncates ring 3's segments at the user ceiling (the kernel's region stays mapped
 * across system calls), where such an access faults; after a few faults it translates the
 * instruction through an expand-down "wrap variant" of GS that holds only the wrapping
 * offsets. Hostile part: the same instructions, once made wrap sites, are given an offset
 * that does not wrap - one into the user's page above the thread pointer (must work), then
 * one that lands on the kernel's supervisor alias (must be #PF 5 on a read, 7 on a write):
 * the wrap variant must not let ring 3 reach the kernel's memory. Oracle: QEMU's golden. */
#include "../guests/lib/guest.h"

#define KERNEL_BASE 0xC0000000u
#define SYSENTER_SEL 0x98u
#define TLS_SEL (SYSENTER_SEL + 32)
#define TLS_BASE 0x00402000u /* inside the user's identity-mapped 8 MiB */
static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[2][1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));
static volatile uint32_t kernel_secret __attribute__((aligned(4096))) = 0x5ec7e7;
static volatile uint32_t faults, errors[4], results[4];
void user_entry(void);

/* EDI: the offset from the thread pointer, ESI: the round. 64 rounds at -4/-8 (wrapping),
 * then one at +0x100 (not wrapping, the user's page), then the kernel's alias. */
__asm__(
    ".text\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "    xor %ebx, %ebx\n"
    "    mov $64, %esi\n"
    "1:  mov $-4, %edi\n"
    "    call tls_read\n"
    "    add %eax, %ebx\n"
    "    mov $-8, %edi\n"
    "    mov %ebx, %eax\n"
    "    call tls_write\n"
    "    pushl %gs:-12\n" /* a push through a wrapping offset too */
    "    pop %ecx\n"
    "    add %ecx, %ebx\n"
    "    dec %esi\n"
    "    jnz 1b\n"
    "    mov %ebx, results\n"
    "    mov %gs:-8, %eax\n"
    "    mov %eax, results+4\n"
    "    mov $0x100, %edi\n" /* not wrapping: the user's page above the thread pointer */
    "    call tls_read\n"
    "    mov %eax, results+8\n"
    "    mov $0x77, %eax\n"
    "    call tls_write\n"
    "    movl $2f, trap_resume\n"
    "    mov $kernel_secret, %edi\n" /* the kernel's alias of its secret, as an offset */
    "    add $0xC0000000 - 0x00402000, %edi\n"
    "    call tls_read\n" /* #PF 5 */
    "    mov %eax, results+12\n"
    "2:  movl $3f, trap_resume\n"
    "    mov $0xbad, %eax\n"
    "    call tls_write\n" /* #PF 7 */
    "3:  int $0x81\n"
    "tls_read:\n"
    "    mov %gs:(%edi), %eax\n"
    "    ret\n"
    "tls_write:\n"
    "    mov %eax, %gs:(%edi)\n"
    "    ret\n");

static void on_page_fault(struct frame* f) {
    if (faults < 4) errors[faults] = f->error;
    ++faults;
    gprintf("#PF from cs %04x: error %x, cr2 = the kernel alias of its secret: %s\n",
            f->cs & 0xffff, f->error,
            READ_CR(2) == (uint32_t)&kernel_secret + KERNEL_BASE ? "yes" : "no");
    f->eip = trap_resume;
    trap_resume = 0;
}

static void on_exit_call(struct frame* f) {
    volatile uint32_t* tls = (volatile uint32_t*)TLS_BASE;
    gprintf("int 0x81 from cs %04x: sum %u, tls[-2] %u, tls[0x40] read %x now %x\n", f->cs & 0xffff,
            results[0], results[1], results[2], tls[0x40]);
    gprintf("the kernel's secret %x (read by ring 3: %s), %u faults\n", kernel_secret,
            results[3] == 0x5ec7e7 ? "yes" : "no", faults);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    guest_exit(0);
}

int main(void) {
    print("glibc-style TLS at negative %gs offsets, a 3G/1G split\n");
    for (uint32_t i = 0; i < 2048; ++i) low_tables[i / 1024][i % 1024] = (i << 12) | 7;
    dir[0] = (uint32_t)low_tables[0] | 7; /* user: 0-8 MiB */
    dir[1] = (uint32_t)low_tables[1] | 7;
    dir[768] = (uint32_t)low_tables[0] | 3; /* kernel: the same frames at 3 GiB, U = 0 */
    dir[769] = (uint32_t)low_tables[1] | 3;
    volatile uint32_t* tls = (volatile uint32_t*)TLS_BASE;
    tls[-1] = 3;
    tls[-2] = 0;
    tls[-3] = 5;
    tls[0x40] = 0x1234;
    set_sysenter_descriptors(SYSENTER_SEL);
    gdt[TLS_SEL / 8] = make_descriptor(TLS_BASE, 0xfffff, 0xf3, 0xc); /* DPL 3, 4 GiB */
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[14] = on_page_fault;
    trap_hooks[0x81] = on_exit_call;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"((SYSENTER_SEL + 24) | 3));
    __asm__ volatile("mov %0, %%gs" ::"r"(TLS_SEL | 3));
    __asm__ volatile("push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(
                         (SYSENTER_SEL + 24) | 3),
                     "r"(user_stack + 1024), "i"((SYSENTER_SEL + 16) | 3), "r"(user_entry));
    return 1;
}
