/* gdt_straddle -- the inline iret's descriptor check at the monitor's edge: the code descriptor (GDT entry 3, selector 0x18, a flat code segment, the CS in use) straddles guest linear
 * 0xfdff0000 -- bt's host monitor base 0xfe000000 -- with 4 MiB pages (PSE) mapping
 * 0xfdc00000 onto RAM. lgdt, ljmp to reload CS, 1000 iret to the same CS, then the entry
 * made not present (its P bit lies above the line): the next iret must raise #NP(0x18).
 * Golden: QEMU's; trap: stops at paging. */
#include "hostile.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static struct dtr old;
static uint32_t np_resume, np_error, nps;
static void on_np(struct frame* f) { ++nps; np_error = f->error; f->cs = 0x08; f->eip = np_resume; }
int main(void) {
    print("CS descriptor straddling guest linear 0xfdff0000\n");
    for (int i = 0; i < 4; ++i) dir[i] = (i << 22) | 0x87;
    dir[0x3f7] = 0x01000000u | 0x87; /* 0xfdc00000 -> 16 MiB */
    WRITE_CR(4, READ_CR(4) | 0x10);
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
    old = sgdt();
    volatile uint64_t* g = (volatile uint64_t*)0xfdfeffe4u; /* entry 3 at 0xfdfefffc */
    for (int i = 0; i < GDT_ENTRIES; ++i) g[i] = gdt[i];
    g[3] = gdt[1];
    struct dtr d = {GDT_LIMIT, 0xfdfeffe4u};
    lgdt(&d);
    uint32_t cs = 0, v2 = 0;
    __asm__ volatile("ljmp $0x18, $1f\n 1: mov %%cs, %0\n" : "=r"(cs));
    gprintf("cs after ljmp: %04x\n", cs & 0xffff);
    for (int i = 0; i < 1000; ++i)
        __asm__ volatile("pushf\n push %%cs\n push $1f\n iret\n 1: mov %%cs, %0\n" : "=r"(v2)::"memory");
    gprintf("cs after 1000 irets: %04x\n", v2 & 0xffff);
    /* not present: the P bit is in the upper dword, at 0xfdff0000 (above the line) */
    g[3] &= ~(1ull << 47);
        np_resume = (uint32_t)&&np;
    trap_hooks[11] = on_np;
    __asm__ volatile("pushf\n push %%cs\n push $1f\n iret\n 1:\n" ::: "memory");
np:
    trap_hooks[11] = 0;
    g[3] |= (1ull << 47);
    gprintf("iret with CS not present: %u #NP(%x)\n", nps, np_error);
    lgdt(&old);
    __asm__ volatile("ljmp $0x08, $1f\n 1:");
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    return 0;
}
