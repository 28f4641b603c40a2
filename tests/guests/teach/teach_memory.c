/* teach_memory: the sections about the guest's address space, both with paging on (an
 * identity map of the low 8 MiB, 16 work pages at WORK_VA).
 * compression: a frame the guest maps at 0xfe000000, where the monitor lives in the host's
 *   view of the guest's 4 GiB; reads and stores there, DS's limit as lsl reads it, and what a
 *   load costs there against a load from an ordinary page.
 * paging: accessed/dirty bits after a read and a write; true faults (a not-present page,
 *   counted by the guest's own #PF handler) against hidden ones (invlpg, then a touch: the
 *   shadow refills, the guest never knows); a PTE write; a CR3 switch to a second address
 *   space that maps WORK_VA elsewhere. */
#include "teach/teach.h"

#define WORK_VA 0x00800000u
#define MONITOR_VA 0xfe000000u
#define PTE_A (1u << 5)
#define PTE_D (1u << 6)

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t dir2[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[2][1024] __attribute__((aligned(4096)));
static uint32_t work_table[1024] __attribute__((aligned(4096)));
static uint32_t work_table2[1024] __attribute__((aligned(4096)));
static uint32_t monitor_table[1024] __attribute__((aligned(4096)));
static uint8_t work[16][4096] __attribute__((aligned(4096)));
static uint8_t work2[16][4096] __attribute__((aligned(4096)));
static volatile uint32_t monitor_frame[1024] __attribute__((aligned(4096)));
volatile uint32_t teach_true_faults;

/* #PF: count, skip the faulting 2-byte `mov (%eax),%ecx`, iret. */
void teach_pf_handler(void);
__asm__(
    ".text\n.globl teach_pf_handler\nteach_pf_handler:\n    incl teach_true_faults\n"
    "    addl $2, 4(%esp)\n    add $4, %esp\n    iret\n");

#define AT(va) (*(volatile uint32_t*)(va))

static void invlpg(uint32_t va) {
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

static void paging_on(void) {
    for (uint32_t i = 0; i < 2048; ++i) low_tables[i / 1024][i % 1024] = (i << 12) | 3;
    dir[0] = (uint32_t)low_tables[0] | 3;
    dir[1] = (uint32_t)low_tables[1] | 3;
    dir[WORK_VA >> 22] = (uint32_t)work_table | 3;
    for (int i = 0; i < 16; ++i) {
        work_table[i] = (uint32_t)work[i] | 3;
        work_table2[i] = (uint32_t)work2[i] | 3;
    }
    for (int i = 0; i < 1024; ++i) dir2[i] = dir[i];
    dir2[WORK_VA >> 22] = (uint32_t)work_table2 | 3;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
}

void teach_compression(void) {
    dir[MONITOR_VA >> 22] = (uint32_t)monitor_table | 3;
    monitor_table[0] = (uint32_t)monitor_frame | 3;
    monitor_frame[0] = 0x600dcafe;
    paging_on();
    result_hex("read_at_fe000000", AT(MONITOR_VA), 0x600dcafe);
    AT(MONITOR_VA + 4) = 0x12345678;
    result_hex("store_at_fe000004", monitor_frame[1], 0x12345678);
    uint32_t limit = 0;
    __asm__ volatile("lsl %1, %0" : "=r"(limit) : "r"(READ_SEG(ds)) : "cc");
    result_hex("ds_limit_by_lsl", limit, 0xffffffff);
    MEASURE("load_low_page", 2000, { sink = AT(WORK_VA); });
    MEASURE("load_at_fe000000", 2000, { sink = AT(MONITOR_VA); });
    MEASURE("store_at_fe000000", 2000, { AT(MONITOR_VA) = i_; });
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
}

void teach_paging(void) {
    idt_set(14, SEL_CODE, (uint32_t)teach_pf_handler, GATE_INT32);
    paging_on();
    work_table[1] = (uint32_t)work[1] | 3; /* A and D clear */
    invlpg(WORK_VA + 4096);
    sink = AT(WORK_VA + 4096);
    result_hex("accessed_after_read", (work_table[1] & PTE_A) != 0, 1);
    result_hex("dirty_after_read", (work_table[1] & PTE_D) != 0, 0);
    AT(WORK_VA + 4096) = 1;
    result_hex("dirty_after_write", (work_table[1] & PTE_D) != 0, 1);

    MEASURE("mapped_read", 1000, { sink = AT(WORK_VA); });
    MEASURE("true_fault", 1000, {
        __asm__ volatile("mov (%0), %%ecx" ::"a"(WORK_VA + 100 * 4096) : "ecx", "memory");
    });
    result_hex("true_faults_seen", teach_true_faults, 1000);
    MEASURE("invlpg_refill", 1000, {
        invlpg(WORK_VA);
        sink = AT(WORK_VA);
    });
    MEASURE("pte_write", 1000, { work_table[15] = (uint32_t)work[i_ & 15] | 3; });

    AT(WORK_VA) = 0x11111111;
    *(volatile uint32_t*)work2[0] = 0x22222222;
    WRITE_CR(3, (uint32_t)dir2);
    result_hex("cr3_switch_sees", AT(WORK_VA), 0x22222222);
    MEASURE("cr3_switch_8_pages", 200, {
        WRITE_CR(3, (uint32_t)((i_ & 1) ? dir : dir2));
        for (int p = 0; p < 8; ++p) sink += AT(WORK_VA + p * 4096);
    });
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
}
