/* task_switch: hardware task switches into a CPL 3 task and back. The kernel (TSS 0x40) calls
 * task B (TSS 0xa0: CS 0x53, SS/DS/ES 0x4b, its own stack, an I/O bitmap) with lcall; B runs at
 * CPL 3, reads EFLAGS (NT set by the nesting call), reads COM1's line status through its I/O
 * bitmap, and returns with iret (NT: back through the link field). The kernel prints the link,
 * the busy bits, CR0.TS, what B saved; then it jumps to B again through a task gate (0xa8), B
 * resumes after its iret and jumps back to the kernel through a DPL 3 task gate (0xb0). */
#include "lib/guest.h"

#define SEL_TSS_B 0xa0
#define SEL_GATE_B 0xa8
#define SEL_GATE_KERNEL 0xb0
#define IOMAP 104
#define IOMAP_BYTES 0x80 /* ports 0-0x3ff */

static uint32_t tss_b[(IOMAP + IOMAP_BYTES + 1 + 3) / 4] __attribute__((aligned(16)));
static uint32_t b_stack[1024] __attribute__((aligned(16)));
static uint32_t b_kernel_stack[1024] __attribute__((aligned(16)));
volatile uint32_t b_flags, b_lsr, b_runs, b_resumed;
void task_b(void);
extern char task_b_iret[];

__asm__(
    ".text\n"
    ".globl task_b\n"
    "task_b:\n"
    "    incl b_runs\n"
    "    pushf\n"
    "    popl b_flags\n"
    "    mov $0x3fd, %dx\n"
    "    in %dx, %al\n" /* allowed by B's I/O bitmap at CPL 3 */
    "    movzbl %al, %eax\n"
    "    mov %eax, b_lsr\n"
    ".globl task_b_iret\n"
    "task_b_iret:\n"
    "    iret\n" /* NT: back to the kernel task */
    "    incl b_resumed\n"
    "    ljmp $0xb3, $0\n" /* through the DPL 3 task gate to the kernel */
    "    jmp task_b\n");

static uint32_t busy(uint16_t sel) {
    return (uint32_t)(gdt[sel >> 3] >> 41) & 1;
}

static void tss_desc(unsigned index, uint32_t base, uint32_t limit) {
    gdt[index] = make_descriptor(base, limit, 0x89, 0);
}

int main(void) {
    print("task switches to a CPL 3 task and back\n");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    tss_b[1] = (uint32_t)&b_kernel_stack[1024]; /* esp0, ss0 */
    tss_b[2] = SEL_DATA;
    tss_b[8] = (uint32_t)task_b;          /* eip */
    tss_b[9] = 0x2;                       /* eflags */
    tss_b[14] = (uint32_t)&b_stack[1024]; /* esp */
    tss_b[18] = SEL_DATA_DPL3 | 3;        /* es */
    tss_b[19] = SEL_CODE_DPL3 | 3;        /* cs */
    tss_b[20] = SEL_DATA_DPL3 | 3;        /* ss */
    tss_b[21] = SEL_DATA_DPL3 | 3;        /* ds */
    tss_b[25] = IOMAP << 16;
    uint8_t* map = (uint8_t*)tss_b + IOMAP;
    for (unsigned i = 0; i < IOMAP_BYTES; ++i) map[i] = 0xff;
    map[0x3f8 / 8] = 0; /* COM1 */
    map[IOMAP_BYTES] = 0xff;
    tss_desc(SEL_TSS_B >> 3, (uint32_t)tss_b, IOMAP + IOMAP_BYTES);
    gdt[SEL_GATE_B >> 3] = (uint64_t)SEL_TSS_B << 16 | (uint64_t)0x85 << 40;
    gdt[SEL_GATE_KERNEL >> 3] = (uint64_t)SEL_TSS << 16 | (uint64_t)0xe5 << 40;

    uint32_t cr0;
    __asm__ volatile("clts; lcall $0xa0, $0" ::: "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    uint32_t flags;
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    gprintf("lcall: B ran %u time(s) with NT %u, COM1 LSR %02x; back with NT %u, CR0.TS %u\n",
            b_runs, (b_flags >> 14) & 1, b_lsr, (flags >> 14) & 1, (cr0 >> 3) & 1);
    gprintf("B's link %04x; busy: kernel %u, B %u; B saved EIP at its iret+%d, CS %04x, SS %04x\n",
            tss_b[0] & 0xffff, busy(SEL_TSS), busy(SEL_TSS_B),
            (int)(tss_b[8] - (uint32_t)task_b_iret), tss_b[19] & 0xffff, tss_b[20] & 0xffff);

    __asm__ volatile("clts; ljmp $0xa8, $0" ::: "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    gprintf(
        "ljmp through a gate: B resumed %u; back through its DPL 3 gate with NT %u, CR0.TS %u\n",
        b_resumed, (flags >> 14) & 1, (cr0 >> 3) & 1);
    gprintf("busy: kernel %u, B %u; B's link still %04x\n", busy(SEL_TSS), busy(SEL_TSS_B),
            tss_b[0] & 0xffff);
    __asm__ volatile("clts");
    return 0;
}
