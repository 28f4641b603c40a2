/* timer_exact: interrupts land at exact points. A fast PIT (about 20 kHz) interrupts a loop
 * of straight-line `inc %eax` long enough to be cut into blocks by bt's instruction limit;
 * the guest checks that EAX holds exactly 100 increments per iteration. Each tick resumes
 * where it interrupted: an increment run twice (bt once mapped a signal at a block's final
 * jump back to the instruction before it: busybox's md5sum in the Linux guest came out
 * wrong) or skipped shows as a wrong count. First at ring 0, then as a kernel would run a
 * process: paging on, every kernel page supervisor-only, the loop at ring 3 on a user page of
 * its own, the ticks taken through the TSS's ring-0 stack, the result by a system call. (The
 * ring-0 phase is the one that caught the bug: 2-5 off in every run; the ring-3 one takes
 * fewer ticks, too few to be sure of it.) */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define U 4u
#define TICKS 4000u
#define USER_ITERATIONS 20000000 /* (a bare number: the assembly below reads it too) */
#define STR_(x) #x
#define STR(x) STR_(x)
static volatile uint32_t ticks, user_ticks;
static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));

/* The user code, alone on its page: USER_ITERATIONS times 100 increments of EAX (ECX counts
 * down), then int $0x80 with the count in EAX. */
void user_code(void);
__asm__(
    ".text\n"
    ".balign 4096\n"
    ".globl user_code\n"
    "user_code:\n"
    "    xor %eax, %eax\n"
    "    mov $" STR(USER_ITERATIONS) ", %ecx\n"
    "1:\n"
    ".rept 100\n inc %eax\n .endr\n"
    "    dec %ecx\n"
    "    jnz 1b\n"
    "    int $0x80\n"
    "2:  jmp 2b\n"
    ".balign 4096\n");

static void on_timer(struct frame* f) {
    ++ticks;
    if ((f->cs & 3) == 3) ++user_ticks;
    outb(0x20, 0x20); /* non-specific EOI */
}

static void on_syscall(struct frame* f) {
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    const uint32_t want = USER_ITERATIONS * 100u;
    if (f->eax == want)
        gprintf("ring 3: every one of the increments counted, ticks taken there: %s\n",
                user_ticks > 0 ? "yes" : "no");
    else
        gprintf("ring 3: %u increments counted for %u: %d off\n", f->eax, want,
                (int)(f->eax - want));
    guest_exit(0);
}

int main(void) {
    print("timer_exact: interrupts in straight-line code\n");
    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee); /* an interrupt gate of DPL 3 */
    trap_hooks[0x20] = on_timer;
    trap_hooks[0x80] = on_syscall;
    outb(0x43, 0x34), outb(0x40, 60), outb(0x40, 0); /* mode 2, 1193182 / 60: ~19.9 kHz */
    uint32_t count = 0, iterations = 0;
    sti();
    while (ticks < TICKS) {
        __asm__ volatile(".rept 100\n inc %0\n .endr" : "+r"(count));
        ++iterations;
    }
    cli();
    if (count == iterations * 100u)
        gprintf("%u ticks: every one of the increments counted (100 per iteration)\n", TICKS);
    else
        gprintf("%u ticks: %u increments counted for %u iterations: %d off\n", TICKS, count,
                iterations, (int)(count - iterations * 100u));

    /* Ring 3 as a kernel runs a process: two user pages (the code's, the stack's), the rest
     * supervisor-only (the PDEs allow user: the PTEs decide). */
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | P | W;
    tables[(uint32_t)user_code >> 22][((uint32_t)user_code >> 12) & 1023] |= U;
    tables[(uint32_t)user_stack >> 22][((uint32_t)user_stack >> 12) & 1023] |= U;
    dir[0] = (uint32_t)tables[0] | P | W | U;
    dir[1] = (uint32_t)tables[1] | P | W | U;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile(
        "push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(SEL_DATA_DPL3 | 3),
        "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_code));
    return 1;
}
