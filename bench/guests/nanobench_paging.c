/* nanobench_paging: the shadow MMU's costs, measured in the guest with rdtsc (Adams & Agesen's
 * page-fault and PTE-write figures; issue 4's targets): a true page fault delivered to the
 * guest and back, a hidden fault (a page the guest maps but the shadow must fill: after an
 * invlpg), a PTE write, a switch between two address spaces followed by touching 32
 * pages, and a ring-3 system call (int $0x80 + iret) between touches of 4 user pages: the
 * kernel/user switch a shadow MMU must make cheap; and a bare sysenter + sysexit round trip.
 *   BENCH|name|cycles per operation|iterations */
#include "../../bench/guests/bench.h"
#include "lib/guest.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t dir2[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t work_table[1024] __attribute__((aligned(4096)));
static uint8_t work[64][4096] __attribute__((aligned(4096)));
#define WORK_VA 0x00800000u
volatile uint32_t sink;
void nb_pf_handler(void);
void nb_syscall_handler(void);
void nb_sysenter_entry(void);
#define SYSENTER_SEL 0x98u /* flat kernel code; +8 data, +16|3 user code, +24|3 user data */
static uint32_t sysenter_stack[1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));
static volatile uint32_t user_cycles[4];

/* #PF: skip the faulting 2-byte `mov (%eax),%ecx`, then iret. */
__asm__(
    ".text\n.globl nb_pf_handler\nnb_pf_handler:\n    addl $2, 4(%esp)\n"
    "    add $4, %esp\n    iret\n"
    ".globl nb_syscall_handler\nnb_syscall_handler:\n    iret\n"
    /* sysenter: back at once with sysexit (EDX = return EIP, ECX = user ESP) */
    ".globl nb_sysenter_entry\nnb_sysenter_entry:\n    sysexit\n");

/* Ring 3: system calls, each after touching 4 user pages (C, on user pages, no I/O). */
static void user_main(void) {
    const uint32_t n = 2000;
    const uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) {
        for (int p = 0; p < 4; ++p) sink += *(volatile uint32_t*)(WORK_VA + p * 4096);
        __asm__ volatile("int $0x80" ::: "memory");
    }
    const uint64_t t = rdtsc() - t0;
    user_cycles[0] = (uint32_t)t;
    user_cycles[1] = (uint32_t)(t >> 32);
    const uint64_t t1 = rdtsc();
    /* EBP points at readable memory (Linux's sysenter ABI): run natively (trap), the host
     * kernel's entry reads (%ebp) before the system call that seccomp stops. */
    for (uint32_t i = 0; i < n; ++i)
        __asm__ volatile(
            "push %%ebp\n mov %%esp, %%ebp\n mov %%esp, %%ecx\n mov $1f, %%edx\n sysenter\n"
            "1: pop %%ebp" ::
                : "ecx", "edx", "memory");
    const uint64_t ts = rdtsc() - t1;
    user_cycles[2] = (uint32_t)ts;
    user_cycles[3] = (uint32_t)(ts >> 32);
    __asm__ volatile("int $0x81");
}

static void on_user_done(struct frame* f) {
    (void)f;
    report("user_syscall_4_pages", user_cycles[0] | ((uint64_t)user_cycles[1] << 32), 2000);
    report("sysenter_sysexit", user_cycles[2] | ((uint64_t)user_cycles[3] << 32), 2000);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    guest_exit(0);
}

int main(void) {
    print("prevt nanobench: paging\n");
    /* Everything user-accessible (U): the ring-3 part runs the guest's own C code. */
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | 7;
    dir[0] = (uint32_t)tables[0] | 7;
    dir[1] = (uint32_t)tables[1] | 7;
    dir[WORK_VA >> 22] = (uint32_t)work_table | 7;
    for (int i = 0; i < 64; ++i) work_table[i] = (uint32_t)work[i] | 7;
    for (int i = 0; i < 1024; ++i) dir2[i] = dir[i]; /* a second address space, the same map */
    idt_set(14, SEL_CODE, (uint32_t)nb_pf_handler, GATE_INT32);
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    const uint32_t n = 2000;
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) /* page 100 of the work table is not present */
        __asm__ volatile("mov (%0), %%ecx" ::"a"(WORK_VA + 100 * 4096) : "ecx", "memory");
    report("true_page_fault", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) {
        __asm__ volatile("invlpg (%0)" ::"r"(WORK_VA) : "memory");
        sink = *(volatile uint32_t*)WORK_VA;
    }
    report("invlpg_and_refill", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) work_table[63] = (uint32_t)work[i & 63] | 7;
    report("pte_write", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < 500; ++i) {
        WRITE_CR(3, (uint32_t)((i & 1) ? dir : dir2));
        for (int p = 0; p < 32; ++p) sink += *(volatile uint32_t*)(WORK_VA + p * 4096);
    }
    report("cr3_switch_32_pages", rdtsc() - t0, 500);

    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, (uint32_t)nb_syscall_handler, 0xef); /* DPL 3 trap gate */
    set_sysenter_descriptors(SYSENTER_SEL);
    wrmsr(0x174, SYSENTER_SEL);
    wrmsr(0x175, (uint32_t)(sysenter_stack + 1024));
    wrmsr(0x176, (uint32_t)nb_sysenter_entry);
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee);
    trap_hooks[0x81] = on_user_done;
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile(
        "push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(SEL_DATA_DPL3 | 3),
        "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_main));
    return 1;
}
