/* gdt_top -- descriptor tables in the monitor's part of the guest's view: the guest's GDT at linear 0xfdfff000 (paging maps a guest frame there, just below
 * bt's monitor area in the host's view; the GDT's upper entries lie at guest linear
 * 0xfe000000+ i.e. inside it) -- lgdt, far jump to reload CS, data loads from entries on both
 * sides of 0xfe000000, 1000 irets to the same CS, then an iret through the entry rebased.
 * Golden: QEMU's; trap: stops at paging. */
#include "hostile.h"

static struct dtr old;
int main(void) {
    print("GDT straddling guest linear 0xfe000000\n");
    paging_on(1);
    old = sgdt();
    /* copy the GDT (24 entries) to 0xfdffff80: entries 0-15 below 0xfe000000, 16-23 above */
    volatile uint64_t* g = (volatile uint64_t*)0xfdffff80u;
    for (int i = 0; i < GDT_ENTRIES; ++i) g[i] = gdt[i];
    g[17] = make_descriptor(0, 0xfffff, 0x9b, FL_G | FL_DB);     /* code at 0x88 */
    g[18] = make_descriptor(0x1000, 0xfffff, 0x93, FL_G | FL_DB); /* data at 0x90, base 0x1000 */
    struct dtr d = {GDT_LIMIT, 0xfdffff80u};
    lgdt(&d);
    uint32_t cs, v1, v2, fl;
    __asm__ volatile("ljmp $0x88, $1f\n 1: mov %%cs, %0\n" : "=r"(cs));
    gprintf("cs after ljmp: %04x\n", cs & 0xffff);
    *(volatile uint32_t*)0x3000 = 0x11223344;
    __asm__ volatile("mov $0x90, %%ax\n mov %%ax, %%fs\n mov %%fs:0x2000, %0\n"
                     "mov $0x10, %%ax\n mov %%ax, %%fs\n" : "=r"(v1) :: "eax");
    gprintf("fs:0x2000 through entry 0x90: %08x\n", v1);
    for (int i = 0; i < 1000; ++i)
        __asm__ volatile("pushf\n push %%cs\n push $1f\n iret\n 1: mov %%cs, %0\n" : "=r"(v2)::"memory");
    gprintf("cs after 1000 irets: %04x\n", v2 & 0xffff);
    g[17] = make_descriptor(0x1000, 0xfffff, 0x9b, FL_G | FL_DB); /* rebased: iret must reload */
    last_trap.count = 0;
    __asm__ volatile("pushf\n push %%cs\n push $1f - 0x1000\n iret\n 1: pushf\n pop %0\n"
                     "ljmp $0x08, $2f\n 2:" : "=r"(fl)::"memory");
    gprintf("iret through the rebased entry: back at cs 08 (%u traps)\n", last_trap.count);
    lgdt(&old);
    __asm__ volatile("ljmp $0x08, $1f\n 1:");
    paging_off();
    return 0;
}
