/* kernel_pages: a kernel set up the way real kernels set up their machine. Every kernel page -
 * text, data, stacks, the GDT, IDT and TSS, the page tables - is supervisor-only; user mode
 * gets exactly two user pages, its code and its stack. From ring 3 the user code makes system
 * calls (int $0x80, an interrupt gate of DPL 3), takes timer interrupts, faults on a kernel
 * page (#PF error 5) and on a privileged instruction (#GP); each time the CPU switches to the
 * TSS's ring-0 stack and pushes the frame there, with ring 0's privilege (SDM 6.12.1): the
 * interrupted CPL 3 could not write that page. (prevt pushed with CPL 3's privilege: #PF
 * error 7 on the push, then a triple fault at the first system call.) */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define U 4u
#define PIT_HZ 1193182u

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));
static volatile uint32_t kernel_word = 0x6b65726e; /* "kern": on a supervisor page */
static volatile uint32_t ticks, user_ticks, syscalls, frame_ok = 1;

/* The user code on a page of its own: loop on int $0x80 (which returns the ticks taken at
 * ring 3 in EAX) until three came, then touch the kernel, then cli, then exit. */
void user_code(void);
void user_after_pf(void);
void user_after_gp(void);
__asm__(
    ".text\n"
    ".balign 4096\n"
    ".globl user_code, user_after_pf, user_after_gp\n"
    "user_code:\n"
    "1:  mov $1, %eax\n"
    "    int $0x80\n"
    "    cmp $3, %eax\n"
    "    jb 1b\n"
    "    mov kernel_word, %eax\n" /* a supervisor page: #PF, error P|U */
    "user_after_pf:\n"
    "    cli\n" /* IOPL 0: #GP(0) */
    "user_after_gp:\n"
    "    mov $2, %eax\n"
    "    int $0x80\n"
    "2:  jmp 2b\n"
    ".balign 4096\n");

/* Every handler checks where the CPU put the frame: on the ring-0 stack (the TSS's ESP0),
 * with the user's SS:ESP above it. */
static void check_frame(struct frame* f) {
    const uint32_t* above = (const uint32_t*)(f + 1);
    if ((f->cs & 3) != 3 || (above[1] & 0xffff) != (SEL_DATA_DPL3 | 3) ||
        above[0] < (uint32_t)user_stack || above[0] > (uint32_t)(user_stack + 1024))
        frame_ok = 0;
}

static void on_timer(struct frame* f) {
    ++ticks;
    if ((f->cs & 3) == 3) {
        ++user_ticks;
        check_frame(f);
    }
    outb(0x20, 0x20);
}

static void on_syscall(struct frame* f) {
    check_frame(f);
    ++syscalls;
    if (f->eax == 1) {
        f->eax = user_ticks;
        return;
    }
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    gprintf("%s system calls from ring 3, %s ticks taken there\n",
            syscalls > 3 ? "several" : "too few", user_ticks >= 3 ? "3 or more" : "fewer than 3");
    gprintf("every frame on the ring-0 stack with the user's SS:ESP: %s\n",
            frame_ok ? "yes" : "no");
    guest_exit(0);
}

static void on_page_fault(struct frame* f) {
    check_frame(f);
    gprintf("#PF from cs %04x: error %x, cr2 = the kernel word: %s\n", f->cs & 0xffff, f->error,
            READ_CR(2) == (uint32_t)&kernel_word ? "yes" : "no");
    f->eip = (uint32_t)user_after_pf;
}

static void on_gp(struct frame* f) {
    check_frame(f);
    gprintf("#GP from cs %04x: error %x at cli: %s\n", f->cs & 0xffff, f->error,
            f->eip == (uint32_t)user_after_pf ? "yes" : "no");
    f->eip = (uint32_t)user_after_gp;
}

int main(void) {
    print("kernel_pages: supervisor-only kernel pages, ring 3 with two user pages\n");
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | P | W;
    for (uint32_t a = (uint32_t)user_code; a < (uint32_t)user_code + 4096; a += 4096)
        tables[a >> 22][(a >> 12) & 1023] |= U; /* the user code page (read/write: .text) */
    tables[(uint32_t)user_stack >> 22][((uint32_t)user_stack >> 12) & 1023] |= U;
    dir[0] = (uint32_t)tables[0] | P | W | U; /* the PDEs allow user: the PTEs decide */
    dir[1] = (uint32_t)tables[1] | P | W | U;

    pic_init(0xfe, 0xff);
    idt_set(0x20, SEL_CODE, isr_stub(0x20), GATE_INT32);
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    trap_hooks[0x20] = on_timer;
    trap_hooks[0x80] = on_syscall;
    trap_hooks[14] = on_page_fault;
    trap_hooks[13] = on_gp;
    outb(0x43, 0x34), outb(0x40, (PIT_HZ / 1000) & 0xff), outb(0x40, (PIT_HZ / 1000) >> 8);
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    gprintf("the kernel reads its own word: %08x\n", kernel_word);
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile(
        "push %0\n push %1\n pushl $0x202\n push %2\n push %3\n iret" ::"i"(SEL_DATA_DPL3 | 3),
        "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_code));
    return 1;
}
