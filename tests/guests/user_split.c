/* user_split: a Linux-like 3G/1G split. The kernel's own view of memory is a supervisor alias
 * at 0xC0000000 (page-directory entries 768 up, U = 0); user code runs below. User code makes
 * system calls (int $0x80 and sysenter) whose handlers work on kernel data through the high
 * alias and on user data through the low addresses; user code that touches the kernel's
 * alias gets #PF with the U bit (read: 5, write: 7). A monitor that keeps the kernel's
 * mappings across system calls must still keep user mode out of them. */
#include "lib/guest.h"

/* Variants: tests/hostile/user_gs_split.c defines these and includes this file.
 * USER_ALIAS_SEG is the segment prefix of ring 3's accesses to the kernel's alias,
 * SYSENTER_PROLOGUE what the sysenter handler runs first, USER_GS whether ring 3's GS is the
 * flat DPL-3 data segment, TITLE the first line printed. */
#ifndef USER_ALIAS_SEG
#define USER_ALIAS_SEG ""
#define SYSENTER_PROLOGUE ""
#define USER_GS 0
#define TITLE "a 3G/1G split: the kernel's alias at 0xC0000000\n"
#endif

#define KERNEL_BASE 0xC0000000u
#define SYSENTER_SEL 0x98u
static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[2][1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));
static uint32_t sysenter_stack[1024] __attribute__((aligned(4096)));
static volatile uint32_t kernel_counter __attribute__((aligned(4096)));
static volatile uint32_t user_buffer[4];
static volatile uint32_t faults, last_error, last_cr2;
void user_entry(void);
void sysenter_entry(void);

#define HIGH(p) ((volatile uint32_t*)((uint32_t)(p) + KERNEL_BASE))

/* sysenter: the kernel bumps its counter through the high alias and returns it in EAX. */
__asm__(
    ".text\n"
    "sysenter_entry:\n" SYSENTER_PROLOGUE
    "    mov $0xC0000000, %eax\n"
    "    add $kernel_counter, %eax\n"
    "    incl (%eax)\n"
    "    mov (%eax), %eax\n"
    "    sysexit\n");

__asm__(
    ".text\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "    mov $100, %esi\n"
    "1:  int $0x80\n" /* 100 system calls through the IDT */
    "    dec %esi\n"
    "    jnz 1b\n"
    "    mov $100, %esi\n"
    "2:  mov %esp, %ecx\n" /* 100 through sysenter */
    "    mov $3f, %edx\n"
    "    sysenter\n"
    "3:  mov %eax, user_buffer+4\n"
    "    dec %esi\n"
    "    jnz 2b\n"
    "    movl $4f, trap_resume\n"
    "    mov $0xC0000000, %eax\n"
    "    add $kernel_counter, %eax\n"
    "    mov " USER_ALIAS_SEG
    "(%eax), %ebx\n" /* the kernel's alias, read: #PF 5 */
    "4:  movl $5f, trap_resume\n"
    "    movl $7, " USER_ALIAS_SEG
    "(%eax)\n" /* written: #PF 7 */
    "5:  int $0x81\n");

static void on_page_fault(struct frame* f) {
    ++faults;
    last_error = f->error;
    last_cr2 = READ_CR(2);
    gprintf("#PF from cs %04x: error %x, cr2 = the kernel alias of its counter: %s\n",
            f->cs & 0xffff, f->error, last_cr2 == (uint32_t)HIGH(&kernel_counter) ? "yes" : "no");
    f->eip = trap_resume;
    trap_resume = 0;
}

static void on_syscall(struct frame* f) {
    (void)f;
    ++*HIGH(&kernel_counter);                /* kernel data through the supervisor alias */
    user_buffer[0] = *HIGH(&kernel_counter); /* user data through the low address */
}

static void on_exit_call(struct frame* f) {
    gprintf("int 0x81 from cs %04x: kernel counter %u, user saw %u and %u, %u faults\n",
            f->cs & 0xffff, *HIGH(&kernel_counter), user_buffer[0], user_buffer[1], faults);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    guest_exit(0);
}

int main(void) {
    print(TITLE);
    for (uint32_t i = 0; i < 2048; ++i) low_tables[i / 1024][i % 1024] = (i << 12) | 7;
    dir[0] = (uint32_t)low_tables[0] | 7; /* user: 0-8 MiB */
    dir[1] = (uint32_t)low_tables[1] | 7;
    dir[768] = (uint32_t)low_tables[0] | 3; /* kernel: the same frames at 3 GiB, U = 0 */
    dir[769] = (uint32_t)low_tables[1] | 3;
    /* The same tables give U = 1 in their PTEs; the PDE's U = 0 makes the alias supervisor. */
    set_sysenter_descriptors(SYSENTER_SEL);
    wrmsr(0x174, SYSENTER_SEL);
    wrmsr(0x175, (uint32_t)(sysenter_stack + 1024));
    wrmsr(0x176, (uint32_t)sysenter_entry);
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[14] = on_page_fault;
    trap_hooks[0x80] = on_syscall;
    trap_hooks[0x81] = on_exit_call;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    gprintf("kernel counter through the alias: %u\n", *HIGH(&kernel_counter));
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"((SYSENTER_SEL + 24) | 3));
    if (USER_GS) __asm__ volatile("mov %0, %%gs" ::"r"((SYSENTER_SEL + 24) | 3));
    __asm__ volatile("push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(
                         (SYSENTER_SEL + 24) | 3),
                     "r"(user_stack + 1024), "i"((SYSENTER_SEL + 16) | 3), "r"(user_entry));
    return 1;
}
