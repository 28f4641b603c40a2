/* nanobench_paging: the shadow MMU's costs, measured in the guest with rdtsc (Adams & Agesen's
 * page-fault and PTE-write figures; issue 4's targets): a true page fault delivered to the
 * guest and back, a hidden fault (a page the guest maps but the shadow must fill: after an
 * invlpg), a PTE write, and a switch between two address spaces followed by touching 32
 * pages.
 *   BENCH|name|cycles per operation|iterations */
#include "lib/guest.h"
#include "../../bench/guests/bench.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t dir2[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t work_table[1024] __attribute__((aligned(4096)));
static uint8_t work[64][4096] __attribute__((aligned(4096)));
#define WORK_VA 0x00800000u
volatile uint32_t sink;
void nb_pf_handler(void);

/* #PF: skip the faulting 2-byte `mov (%eax),%ecx`, then iret. */
__asm__(".text\n.globl nb_pf_handler\nnb_pf_handler:\n    addl $2, 4(%esp)\n"
        "    add $4, %esp\n    iret\n");


int main(void) {
    print("prevt nanobench: paging\n");
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | 3;
    dir[0] = (uint32_t)tables[0] | 3;
    dir[1] = (uint32_t)tables[1] | 3;
    dir[WORK_VA >> 22] = (uint32_t)work_table | 3;
    for (int i = 0; i < 64; ++i) work_table[i] = (uint32_t)work[i] | 3;
    for (int i = 0; i < 1024; ++i) dir2[i] = dir[i];  /* a second address space, the same map */
    idt_set(14, SEL_CODE, (uint32_t)nb_pf_handler, GATE_INT32);
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    const uint32_t n = 2000;
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i)  /* page 100 of the work table is not present */
        __asm__ volatile("mov (%0), %%ecx" ::"a"(WORK_VA + 100 * 4096) : "ecx", "memory");
    report("true_page_fault", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) {
        __asm__ volatile("invlpg (%0)" ::"r"(WORK_VA) : "memory");
        sink = *(volatile uint32_t*)WORK_VA;
    }
    report("invlpg_and_refill", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < n; ++i) work_table[63] = (uint32_t)work[i & 63] | 3;
    report("pte_write", rdtsc() - t0, n);

    t0 = rdtsc();
    for (uint32_t i = 0; i < 500; ++i) {
        WRITE_CR(3, (uint32_t)((i & 1) ? dir : dir2));
        for (int p = 0; p < 32; ++p) sink += *(volatile uint32_t*)(WORK_VA + p * 4096);
    }
    report("cr3_switch_32_pages", rdtsc() - t0, 500);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    return 0;
}
