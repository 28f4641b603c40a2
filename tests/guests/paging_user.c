/* paging_user: guest user mode under paging. The kernel maps the first 8 MiB for user access
 * except one supervisor page and one read-only user page, enters ring 3, and the user code
 * reads the supervisor page (#PF, error P|U), writes the read-only page (#PF, P|W|U), writes
 * a page the kernel wrote first (no fault), and calls the kernel with int $0x80 / $0x81. */
#include "lib/guest.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t high_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t secret[1024] __attribute__((aligned(4096)));
static volatile uint32_t shared_ro[1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));

#define SUPERVISOR_VA 0x00800000u
#define READONLY_VA 0x00801000u
volatile uint32_t results[4];
void user_entry(void);

__asm__(".text\n"
        ".globl user_entry\n"
        "user_entry:\n"
        "    movl $1f, trap_resume\n"
        "    mov 0x00800000, %eax\n"      /* the supervisor page: #PF */
        "1:  movl $2f, trap_resume\n"
        "    movl $7, 0x00801000\n"       /* the read-only page: #PF */
        "2:  mov 0x00801000, %eax\n"      /* reading it is fine */
        "    mov %eax, results\n"
        "    int $0x80\n"
        "    int $0x81\n"
        "3:  jmp 3b\n");

static void on_page_fault(struct frame* f) {
    gprintf("#PF from cs %04x: error %x cr2 %08x\n", f->cs & 0xffff, f->error, READ_CR(2));
    f->eip = trap_resume;
    trap_resume = 0;
}

static void on_syscall(struct frame* f) {
    gprintf("int 0x80 from cs %04x: the read-only page read %08x\n", f->cs & 0xffff, results[0]);
}

static void on_exit_call(struct frame* f) {
    gprintf("int 0x81 from cs %04x: secret still %08x\n", f->cs & 0xffff, secret[0]);
    guest_exit(0);
}

int main(void) {
    print("paging with a user mode\n");
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | 7;  /* P W U */
    dir[0] = (uint32_t)tables[0] | 7;
    dir[1] = (uint32_t)tables[1] | 7;
    dir[2] = (uint32_t)high_table | 7;
    high_table[0] = (uint32_t)secret | 3;    /* 0x800000: supervisor only */
    high_table[1] = (uint32_t)shared_ro | 5; /* 0x801000: user, read-only */
    secret[0] = 0x5ec7e7;
    shared_ro[0] = 0xabcdef;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[14] = on_page_fault;
    trap_hooks[0x80] = on_syscall;
    trap_hooks[0x81] = on_exit_call;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    gprintf("kernel reads the supervisor page: %08x\n", *(volatile uint32_t*)SUPERVISOR_VA);
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile("push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(
                         SEL_DATA_DPL3 | 3),
                     "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_entry));
    return 1;
}
