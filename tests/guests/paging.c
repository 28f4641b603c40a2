/* paging: 32-bit paging at CPL 0, checked against real hardware (QEMU): an identity map of
 * the first 8 MiB with 4 KiB pages plus a 4 MiB page (CR4.PSE) and a high alias, then true
 * page faults (not present, write to read-only with CR0.WP) with their error codes and CR2,
 * accessed and dirty bits, a PTE change made visible by invlpg, and a CR3 switch. */
#include "lib/guest.h"

static uint32_t dir_a[1024] __attribute__((aligned(4096)));
static uint32_t dir_b[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static uint32_t alias_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_x[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_y[1024] __attribute__((aligned(4096)));

#define P 1u
#define W 2u
#define A 0x20u
#define D 0x40u
#define PS 0x80u
#define ALIAS 0xc0000000u

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

/* A read or write that may fault: the #PF handler resumes after it. */
__asm__(".text\n"
        ".globl probe_read, probe_write\n"
        "probe_read:  movl $1f, trap_resume\n"
        "             mov 4(%esp), %eax\n"
        "             mov (%eax), %eax\n"
        "1:           ret\n"
        "probe_write: movl $2f, trap_resume\n"
        "             mov 4(%esp), %eax\n"
        "             mov 8(%esp), %ecx\n"
        "             mov %ecx, (%eax)\n"
        "2:           ret\n");

static void report(const char* what) {
    gprintf("%s: #PF error %x cr2 %08x\n", what, last_trap.error, last_trap.eip);
}

int main(void) {
    print("paging at CPL 0\n");
    trap_hooks[14] = on_page_fault;
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | P | W;
    dir_a[0] = (uint32_t)tables[0] | P | W;
    dir_a[1] = (uint32_t)tables[1] | P | W;
    dir_a[ALIAS >> 22] = (uint32_t)alias_table | P | W;
    alias_table[0] = (uint32_t)page_x | P | W;  /* ALIAS -> page_x, writable */
    alias_table[1] = (uint32_t)page_y | P;      /* ALIAS+4K -> page_y, read-only */
    dir_a[3] = 0x00400000u | P | W | PS;        /* 12 MiB..16 MiB -> 4 MiB..8 MiB (PSE) */
    for (int i = 0; i < 1024; ++i) dir_b[i] = dir_a[i];
    dir_b[ALIAS >> 22] = 0;                     /* the other address space has no alias */
    page_x[0] = 0x11111111;
    page_y[0] = 0x22222222;

    __asm__ volatile("mov %%cr4, %%eax; or $0x10, %%eax; mov %%eax, %%cr4" ::: "eax");
    WRITE_CR(3, (uint32_t)dir_a);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    print("paging on\n");

    gprintf("alias read: %08x\n", probe_read(ALIAS));
    probe_write(ALIAS, 0x33333333);
    gprintf("write through the alias, read directly: %08x\n", page_x[0]);
    gprintf("alias PTE accessed %u dirty %u\n", !!(alias_table[0] & A), !!(alias_table[0] & D));
    gprintf("read-only PTE accessed %u dirty %u before\n", !!(alias_table[1] & A), !!(alias_table[1] & D));
    gprintf("read of the read-only page: %08x\n", probe_read(ALIAS + 0x1000));
    probe_write(ALIAS + 0x1000, 0x44444444);
    report("write to a read-only page (WP=1)");
    probe_read(ALIAS + 0x5000);
    report("read of a not-present page");
    probe_write(ALIAS + 0x5004, 1);
    report("write to a not-present page");
    *(volatile uint32_t*)0x00401230 = 0x55555555;  /* through the identity map */
    gprintf("4 MiB page: 0x00c01230 reads %08x\n", probe_read(0x00c01230));

    alias_table[0] = (uint32_t)page_y | P | W;  /* retarget the alias, then invlpg */
    __asm__ volatile("invlpg (%0)" ::"r"(ALIAS) : "memory");
    gprintf("after invlpg the alias reads %08x\n", probe_read(ALIAS));

    WRITE_CR(3, (uint32_t)dir_b);
    probe_read(ALIAS);
    report("CR3 switch: the alias is gone");
    WRITE_CR(3, (uint32_t)dir_a);
    gprintf("switched back: %08x\n", probe_read(ALIAS));

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    print("paging off\n");
    return 0;
}
