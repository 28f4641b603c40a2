/* paging_alias: page tables edited only through alias mappings, as a kernel with a recursive
 * ("self") map does. After paging is on, every write to a paging structure goes through a
 * second virtual address: the page directory maps itself in slot 0x300, as 32-bit Windows
 * NT did (the tables at 0xc0000000, the directory at 0xc0300000), and the work table is also
 * mapped by an ordinary PTE at 0x01400000. Checked, with what each read returns:
 *  - a not-present PTE made present through the alias is used at once, without invlpg (the
 *    SDM, 4.10.2.3: no TLB entry is ever made for a not-present translation);
 *  - a present PTE retargeted to another frame: before invlpg the old or the new frame (both
 *    allowed), after invlpg the new one;
 *  - P cleared through the alias, invlpg: #PF with the error code and CR2 of the access;
 *  - a read-only PTE made present: reads work, a write faults (CR0.WP = 1, error P|W);
 *  - the accessed and dirty bits the CPU set, read back through the self map;
 *  - a PDE edited through the self map: not present -> present (no invlpg), a 4 KiB table
 *    swapped for another (invlpg of the pages and of the table's own self-map page, whose
 *    translation went stale with the PDE), cleared again (#PF, also at the self-map page).
 * A shadow MMU that misses writes to a page table made through another linear address shows
 * stale frames or faults that should not be there. */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define A 0x20u
#define D 0x40u

#define SELF_SLOT 0x300u
#define SELF_TABLES 0xc0000000u /* dir[SELF_SLOT] = dir: the page tables, 4 KiB each */
#define SELF_DIR 0xc0300000u    /* ... and the directory itself */
#define PTE_VIA_SELF(va) ((volatile uint32_t*)(SELF_TABLES + ((va) >> 12) * 4))
#define PDE_VIA_SELF(va) ((volatile uint32_t*)(SELF_DIR + ((va) >> 22) * 4))
#define WORK_VA 0x00800000u     /* dir[2] = work_table */
#define TABLE_ALIAS 0x01400000u /* dir[5] = misc_table, misc_table[0] = work_table */
#define PDE_VA 0x00c00000u      /* dir[3]: edited through the self map */

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t identity[2][1024] __attribute__((aligned(4096)));
static uint32_t work_table[1024] __attribute__((aligned(4096)));
static uint32_t misc_table[1024] __attribute__((aligned(4096)));
static uint32_t table_x[1024] __attribute__((aligned(4096)));
static uint32_t table_y[1024] __attribute__((aligned(4096)));
static volatile uint32_t frames[4][1024] __attribute__((aligned(4096))); /* A B C D */

static volatile uint32_t* const alias_pte = (volatile uint32_t*)TABLE_ALIAS; /* work_table */

static void on_page_fault(struct frame* f) {
    last_trap.vector = f->vector;
    last_trap.error = f->error;
    last_trap.eip = READ_CR(2);
    last_trap.count++;
    f->eip = trap_resume;
    trap_resume = 0;
}

uint32_t probe_read(uint32_t addr);
void probe_write(uint32_t addr, uint32_t v);

/* A read or write that may fault: the #PF handler resumes after it (EAX = 0xdeadbeef then). */
__asm__(".text\n"
        ".globl probe_read, probe_write\n"
        "probe_read:  movl $1f, trap_resume\n"
        "             mov 4(%esp), %ecx\n"
        "             mov $0xdeadbeef, %eax\n"
        "             mov (%ecx), %eax\n"
        "             movl $0, trap_resume\n"
        "1:           ret\n"
        "probe_write: movl $2f, trap_resume\n"
        "             mov 4(%esp), %eax\n"
        "             mov 8(%esp), %ecx\n"
        "             mov %ecx, (%eax)\n"
        "             movl $0, trap_resume\n"
        "2:           ret\n");

static void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/* A read that must not fault. */
static void show_read(uint32_t va) {
    uint32_t before = last_trap.count;
    uint32_t v = probe_read(va);
    if (last_trap.count != before)
        gprintf("read %08x: UNEXPECTED #PF error %x cr2 %08x\n", va, last_trap.error, last_trap.eip);
    else
        gprintf("read %08x: %08x\n", va, v);
}

/* An access that must fault. */
static void expect_fault(const char* what, uint32_t va, int write) {
    uint32_t before = last_trap.count;
    uint32_t v = 0;
    if (write)
        probe_write(va, 0x0badf00d);
    else
        v = probe_read(va);
    if (last_trap.count == before)
        gprintf("%s %08x: NO FAULT (read %08x)\n", what, va, v);
    else
        gprintf("%s %08x: #PF error %x cr2 %08x\n", what, va, last_trap.error, last_trap.eip);
}

static const char* frame_name(uint32_t pte) {
    for (int i = 0; i < 4; ++i)
        if ((pte & ~0xfffu) == (uint32_t)frames[i]) return i == 0 ? "A" : i == 1 ? "B" : i == 2 ? "C" : "D";
    return "?";
}

int main(void) {
    print("paging_alias: page tables edited through alias mappings\n");
    trap_hooks[14] = on_page_fault;
    for (uint32_t i = 0; i < 2048; ++i) identity[i / 1024][i % 1024] = (i << 12) | P | W;
    for (uint32_t f = 0; f < 4; ++f)
        for (uint32_t k = 0; k < 1024; ++k) frames[f][k] = ((0xaaaau + f * 0x1111u) << 16) | k;
    dir[0] = (uint32_t)identity[0] | P | W;
    dir[1] = (uint32_t)identity[1] | P | W;
    dir[2] = (uint32_t)work_table | P | W;
    dir[5] = (uint32_t)misc_table | P | W;
    dir[SELF_SLOT] = (uint32_t)dir | P | W; /* the self map */
    misc_table[0] = (uint32_t)work_table | P | W;
    work_table[0] = (uint32_t)frames[0] | P | W; /* 0x800000 -> A; 0x801000 not present */
    table_x[0] = (uint32_t)frames[0] | P | W;    /* table X: A, B */
    table_x[1] = (uint32_t)frames[1] | P | W;
    table_y[0] = (uint32_t)frames[2] | P | W;    /* table Y: C, D */
    table_y[1] = (uint32_t)frames[3] | P | W;
    /* dir[3] (PDE_VA) stays not present. */

    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    print("paging on: the self map at c0000000, the work table also at 01400000\n");

    gprintf("the directory through the self map: pde[2] is the work table %u, pde[0x300] is the directory %u\n",
            (*PDE_VIA_SELF(WORK_VA) & ~0xfffu) == (uint32_t)work_table,
            (*PDE_VIA_SELF(SELF_TABLES) & ~0xfffu) == (uint32_t)dir);
    gprintf("pte[0] through the alias = through the self map %u, frame %s\n",
            alias_pte[0] == *PTE_VIA_SELF(WORK_VA), frame_name(alias_pte[0]));
    show_read(WORK_VA);

    print("-- PTEs edited through the alias at 01400000 --\n");
    expect_fault("read (not present)", WORK_VA + 0x1000, 0);
    alias_pte[1] = (uint32_t)frames[1] | P | W;
    print("pte[1] := frame B | P | W, no invlpg (a not-present entry is never cached)\n");
    show_read(WORK_VA + 0x1000);
    probe_write(WORK_VA + 0x1004, 0x12345678);
    gprintf("write 00801004 := 12345678: frame B word 1 now %08x (read directly)\n", frames[1][1]);

    alias_pte[0] = (uint32_t)frames[2] | P | W;
    print("pte[0] := frame C | P | W\n");
    uint32_t v = probe_read(WORK_VA);
    gprintf("read 00800000 before invlpg: the old frame A or the new frame C (either is allowed): %s\n",
            v == frames[0][0] || v == frames[2][0] ? "yes" : "NO");
    invlpg(WORK_VA);
    print("after invlpg 00800000:\n");
    show_read(WORK_VA);
    show_read(WORK_VA + 0x0ffc);

    alias_pte[0] = (uint32_t)frames[2] | W; /* P clear */
    invlpg(WORK_VA);
    print("pte[0] := frame C, P clear; invlpg\n");
    expect_fault("read", WORK_VA + 0xabc, 0);
    expect_fault("write", WORK_VA + 0xffc, 1);
    gprintf("frame C word 0x3ff still %08x\n", frames[2][0x3ff]);

    alias_pte[0] = (uint32_t)frames[0] | P; /* read-only */
    print("pte[0] := frame A | P (read-only), no invlpg (it was not present)\n");
    show_read(WORK_VA + 0x10);
    expect_fault("write (read-only, WP = 1)", WORK_VA + 0x10, 1);
    gprintf("frame A word 4 still %08x\n", frames[0][4]);
    gprintf("through the self map: pte[0] frame %s accessed %u dirty %u, pte[1] frame %s accessed %u dirty %u\n",
            frame_name(*PTE_VIA_SELF(WORK_VA)), !!(*PTE_VIA_SELF(WORK_VA) & A),
            !!(*PTE_VIA_SELF(WORK_VA) & D), frame_name(*PTE_VIA_SELF(WORK_VA + 0x1000)),
            !!(*PTE_VIA_SELF(WORK_VA + 0x1000) & A), !!(*PTE_VIA_SELF(WORK_VA + 0x1000) & D));
    gprintf("the same through the alias: pte[0] accessed %u dirty %u, pte[1] accessed %u dirty %u\n",
            !!(alias_pte[0] & A), !!(alias_pte[0] & D), !!(alias_pte[1] & A), !!(alias_pte[1] & D));

    print("-- a PDE edited through the self map --\n");
    expect_fault("read (PDE not present)", PDE_VA, 0);
    *PDE_VIA_SELF(PDE_VA) = (uint32_t)table_x | P | W;
    print("pde[3] := table X (A, B), no invlpg\n");
    show_read(PDE_VA);
    show_read(PDE_VA + 0x1008);
    gprintf("table X through the self map: pte[0] frame %s, pte[1] frame %s\n",
            frame_name(*PTE_VIA_SELF(PDE_VA)), frame_name(*PTE_VIA_SELF(PDE_VA + 0x1000)));
    *PDE_VIA_SELF(PDE_VA) = (uint32_t)table_y | P | W;
    invlpg(PDE_VA);
    invlpg(PDE_VA + 0x1000);
    /* The self map's view of the table changed too: its translation may be cached. */
    invlpg((uint32_t)PTE_VIA_SELF(PDE_VA));
    print("pde[3] := table Y (C, D); invlpg 00c00000, 00c01000 and the table's self-map page c0003000\n");
    show_read(PDE_VA);
    show_read(PDE_VA + 0x1008);
    gprintf("table Y through the self map: pte[0] frame %s, pte[1] frame %s\n",
            frame_name(*PTE_VIA_SELF(PDE_VA)), frame_name(*PTE_VIA_SELF(PDE_VA + 0x1000)));
    *PTE_VIA_SELF(PDE_VA + 0x2000) = (uint32_t)frames[1] | P;
    print("table Y pte[2] := frame B | P through the self map, no invlpg\n");
    show_read(PDE_VA + 0x2020);
    *PDE_VIA_SELF(PDE_VA) = 0;
    for (uint32_t va = PDE_VA; va < PDE_VA + 0x3000; va += 0x1000) invlpg(va);
    invlpg((uint32_t)PTE_VIA_SELF(PDE_VA));
    print("pde[3] := 0; invlpg 00c00000, 00c01000, 00c02000, c0003000\n");
    expect_fault("read of the table's self-map page", (uint32_t)PTE_VIA_SELF(PDE_VA), 0);
    expect_fault("read", PDE_VA, 0);
    expect_fault("write", PDE_VA + 0x2020, 1);
    gprintf("table Y untouched: pte[0] frame %s, pte[2] frame %s\n", frame_name(table_y[0]),
            frame_name(table_y[2]));

    gprintf("page faults: %u\n", last_trap.count);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    print("paging off\n");
    return 0;
}
