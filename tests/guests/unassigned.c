/* unassigned: physical memory beyond RAM (128 MiB, QEMU's -m 128) with paging off. Reads give
 * all-ones of their width, stores are dropped, and an instruction that stores there still
 * does the rest of its work: rep stos counts ECX down and moves EDI, add sets the flags from
 * the all-ones it read, xchg loads them. A dword across the end of RAM keeps its RAM half.
 * (prevt used to skip such an instruction whole: ECX, EDI, the flags and EAX unchanged.) */
#include "lib/guest.h"

#define HOLE 0x20000000u    /* 512 MiB: beyond RAM, below every device */
#define RAM_END 0x08000000u /* 128 MiB */

#include "unassigned_probes.h"

int main(void) {
    volatile uint32_t* hole = (volatile uint32_t*)HOLE;
    print("unassigned memory, paging off\n");
    gprintf("dword %08x word %04x byte %02x\n", hole[0], *(volatile uint16_t*)(HOLE + 6),
            *(volatile uint8_t*)(HOLE + 9));
    hole[1] = 0x12345678;
    *(volatile uint8_t*)(HOLE + 0x1000) = 0x12; /* a page not read before */
    gprintf("after stores: %08x %02x\n", hole[1], *(volatile uint8_t*)(HOLE + 0x1000));
    uint32_t edi;
    const uint32_t ecx = rep_stos(HOLE + 0x2100, &edi);
    gprintf("rep stosl x4: ecx %u, edi +%x, reads %08x\n", ecx, edi - (HOLE + 0x2100),
            hole[0x2100 / 4]);
    gprintf("add to all-ones: CF|ZF %02x\n", add_flags(HOLE + 0x3200));
    gprintf("xchg: loaded %08x\n", xchg(HOLE + 0x4300));
    volatile uint32_t* edge = (volatile uint32_t*)(RAM_END - 2);
    *edge = 0x11223344;
    gprintf("dword across the end of RAM: %08x\n", *edge);
    return 0;
}
