/* unassigned_paging: physical memory beyond RAM (128 MiB, QEMU's -m 128) through page-table
 * entries with paging on. Reads give all-ones, stores are dropped (prevt's bt used to fault
 * on such a store forever), and instructions that store there still do the rest of their
 * work (rep stos, add's flags, xchg's load); the PTE's accessed and dirty bits are set as for
 * any page; a dword across a page boundary keeps its RAM half. */
#include "lib/guest.h"
#include "unassigned_probes.h"

#define P 1u
#define W 2u
#define A 0x20u
#define D 0x40u
#define WINDOW 0x40000000u /* linear: 1 GiB */
#define FRAME 0x30000000u  /* physical: 768 MiB, beyond RAM */

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t low[2][1024] __attribute__((aligned(4096)));
static uint32_t window[1024] __attribute__((aligned(4096)));
static volatile uint32_t ram_page[1024] __attribute__((aligned(4096)));

int main(void) {
    print("unassigned memory, paging on\n");
    for (uint32_t i = 0; i < 2048; ++i) low[i / 1024][i % 1024] = (i << 12) | P | W;
    dir[0] = (uint32_t)low[0] | P | W; /* 0-8 MiB identity */
    dir[1] = (uint32_t)low[1] | P | W;
    dir[WINDOW >> 22] = (uint32_t)window | P | W;
    window[0] = FRAME | P | W;              /* WINDOW -> an unassigned frame, read once */
    window[1] = (FRAME + 0x1000) | P | W;   /* WINDOW+4K -> another, stored to first */
    window[2] = (uint32_t)ram_page | P | W; /* WINDOW+8K -> RAM, after an unassigned frame */
    window[3] = (FRAME + 0x3000) | P | W;
    ram_page[0] = 0xaaaaaaaa;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);

    volatile uint32_t* w = (volatile uint32_t*)WINDOW;
    gprintf("dword %08x word %04x byte %02x\n", w[0], *(volatile uint16_t*)(WINDOW + 6),
            *(volatile uint8_t*)(WINDOW + 9));
    w[1] = 0x12345678;          /* a page read before */
    w[0x1000 / 4] = 0x9abcdef0; /* a page never read */
    gprintf("after stores: %08x %08x\n", w[1], w[0x1000 / 4]);
    gprintf("PTEs: accessed %u %u dirty %u %u\n", !!(window[0] & A), !!(window[1] & A),
            !!(window[0] & D), !!(window[1] & D));
    uint32_t edi;
    const uint32_t ecx = rep_stos(WINDOW + 0x3100, &edi);
    gprintf("rep stosl x4: ecx %u, edi +%x, reads %08x\n", ecx, edi - (WINDOW + 0x3100),
            w[0x3100 / 4]);
    gprintf("add to all-ones: CF|ZF %02x\n", add_flags(WINDOW + 0x3200));
    gprintf("xchg: loaded %08x\n", xchg(WINDOW + 0x3300));
    volatile uint32_t* edge = (volatile uint32_t*)(WINDOW + 0x2000 - 2);
    *edge = 0x11223344;
    gprintf("dword across into RAM: %08x, RAM holds %08x\n", *edge, ram_page[0]);

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    print("paging off\n");
    return 0;
}
