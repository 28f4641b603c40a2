/* data_breakpoints_paging: data breakpoints with paging on, where DR0-DR3 hold linear
 * addresses. One frame is mapped at two linear pages: a breakpoint on the first fires for an
 * access through it, not through the alias; it still fires after a CR3 reload and an invlpg
 * (the shadow drops and remaps its pages: the watch must survive that); a read/write one on a
 * page not present gives the guest its #PF first (no #DB: the access never happened), then
 * fires once the page is present; moved to the alias by a new DR0, the old page runs free.
 * Under bt and trap each watched page admits no native access, here through the shadow MMU
 * (shadowmmu/shadow_watch.cpp). Oracle: QEMU TCG. */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define PAGE_A 0x00800000u                                       /* frame_x */
#define PAGE_B 0x00801000u                                       /* frame_x again */
#define PAGE_C 0x00802000u                                       /* not present, then frame_y */
#define BP_W4(n) ((2u << (2 * (n))) | (0xdu << (16 + 4 * (n))))  /* G n, write, LEN 4 */
#define BP_RW4(n) ((2u << (2 * (n))) | (0xfu << (16 + 4 * (n)))) /* G n, read/write, LEN 4 */

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t identity[2][1024] __attribute__((aligned(4096)));
static uint32_t table[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_x[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_y[1024] __attribute__((aligned(4096)));

static volatile uint32_t db_hits, db_dr6, pf_hits, pf_cr2;
static void on_debug(struct frame* f) {
    (void)f;
    uint32_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    db_dr6 = dr6;
    ++db_hits;
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
}
static void on_page_fault(struct frame* f) {
    ++pf_hits;
    pf_cr2 = READ_CR(2);
    table[(PAGE_C >> 12) & 1023] = (uint32_t)frame_y | P | W; /* present now: the access again */
    (void)f;
}

static void report(const char* what) {
    gprintf("%s: %u #DB (DR6 B0-B3 %x), %u #PF%s\n", what, db_hits, db_dr6 & 0xf, pf_hits,
            pf_hits ? (pf_cr2 == PAGE_C + 8 ? " at the page" : " elsewhere") : "");
    db_hits = db_dr6 = pf_hits = 0;
}

static void store(uint32_t linear, uint32_t v) {
    *(volatile uint32_t*)linear = v;
}
static uint32_t load(uint32_t linear) {
    return *(volatile uint32_t*)linear;
}

int main(void) {
    print("data_breakpoints_paging: linear addresses, aliases, CR3 reloads, #PF first\n");
    trap_hooks[1] = on_debug;
    trap_hooks[14] = on_page_fault;
    for (uint32_t i = 0; i < 2048; ++i) identity[i / 1024][i % 1024] = (i << 12) | P | W;
    dir[0] = (uint32_t)identity[0] | P | W;
    dir[1] = (uint32_t)identity[1] | P | W;
    dir[2] = (uint32_t)table | P | W;
    table[0] = (uint32_t)frame_x | P | W;
    table[1] = (uint32_t)frame_x | P | W;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    __asm__ volatile("mov %0, %%dr0" ::"r"(PAGE_A + 8));
    __asm__ volatile("mov %0, %%dr7" ::"r"(BP_W4(0)));
    store(PAGE_A + 8, 1);
    report("write at A+8");
    store(PAGE_B + 8, 2);
    report("write at B+8 (the same frame)");
    gprintf("  A+8 reads %u\n", load(PAGE_A + 8));
    report("read at A+8");
    WRITE_CR(3, (uint32_t)dir);
    store(PAGE_A + 8, 3);
    report("write at A+8 after a CR3 reload");
    __asm__ volatile("invlpg (%0)" ::"r"(PAGE_A) : "memory");
    store(PAGE_A + 8, 4);
    report("write at A+8 after invlpg");

    __asm__ volatile("mov %0, %%dr1" ::"r"(PAGE_C + 8));
    __asm__ volatile("mov %0, %%dr7" ::"r"(BP_W4(0) | BP_RW4(1)));
    gprintf("  C+8 reads %u\n", load(PAGE_C + 8));
    report("read at C+8, not present first");

    __asm__ volatile("mov %0, %%dr0" ::"r"(PAGE_B + 8));
    store(PAGE_A + 8, 5);
    report("DR0 moved to B+8: write at A+8");
    store(PAGE_B + 8, 6);
    report("DR0 moved to B+8: write at B+8");

    __asm__ volatile("mov %0, %%dr7" ::"r"(0u));
    store(PAGE_B + 8, 7);
    (void)load(PAGE_C + 8);
    report("DR7 clear");
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    return 0;
}
