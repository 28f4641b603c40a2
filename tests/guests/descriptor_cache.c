/* descriptor_cache: a descriptor cache per segment register, as the CPU has (SDM 3.4.3: a
 * segment register keeps the descriptor it was loaded with until it is loaded again).
 *   1. FS and GS loaded from one GDT entry (base A); the entry is edited to base B and only GS
 *      is loaded again: FS still reads through base A, GS through B; then FS reloaded: B.
 *   2. The same with an expand-down 16-bit entry whose limit is edited.
 *   3. SS keeps its stale descriptor while DS gets the new one: C code runs on the stack
 *      through the stale SS (with the bug it would run on base B).
 *   4. The entry is made not present: the registers that hold it still work; a new load #NP.
 * A shadow slot per selector (rewritten in place) changes every register holding the selector
 * at once: case 1 then reads B through FS before it is reloaded. */
#include "lib/guest.h"

#define SEL_X 0xa0 /* GDT entry 20 */
#define BASE_A 0x200000
#define BASE_B 0x300000

static uint32_t read_at(int which, uint32_t off) {
    uint32_t v;
    switch (which) {
        case 0: __asm__ volatile("movl %%ds:(%1), %0" : "=r"(v) : "r"(off) : "memory"); break;
        case 1: __asm__ volatile("movl %%es:(%1), %0" : "=r"(v) : "r"(off) : "memory"); break;
        case 2: __asm__ volatile("movl %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory"); break;
        default: __asm__ volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(off) : "memory"); break;
    }
    return v;
}

static void set_x(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    gdt[SEL_X / 8] = make_descriptor(base, limit, access, flags);
}

int main(void) {
    *(volatile uint32_t*)(BASE_A + 0x100) = 0xaaaa0100;
    *(volatile uint32_t*)(BASE_B + 0x100) = 0xbbbb0100;
    *(volatile uint32_t*)(BASE_A + 0xff00) = 0xaaaaff00;
    *(volatile uint32_t*)(BASE_A + 0x1100) = 0xaaaa1100;
    *(volatile uint32_t*)(BASE_B + 0xff00) = 0xbbbbff00;

    /* 1: FS and GS from one entry; edit; reload GS only (C code runs on flat DS/ES/SS) */
    set_x(BASE_A, 0xfffff, 0x93, 0xc);
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" ::"r"(SEL_X) : "memory");
    set_x(BASE_B, 0xfffff, 0x93, 0xc);
    __asm__ volatile("mov %0, %%gs" ::"r"(SEL_X) : "memory");
    const uint32_t fs0 = read_at(2, 0x100), gs0 = read_at(3, 0x100);
    __asm__ volatile("mov %0, %%fs" ::"r"(SEL_X) : "memory");
    const uint32_t fs2 = read_at(2, 0x100);
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" ::"r"(SEL_DATA) : "memory");
    gprintf("1 fs %08x gs %08x; fs reloaded %08x\n", fs0, gs0, fs2);

    /* 1b: the same through ES and FS (both shadowed natively under bt), in one asm block:
     * the C code must not run with ES based elsewhere */
    set_x(BASE_A, 0xfffff, 0x93, 0xc);
    static uint32_t desc_b[2];
    const uint64_t d = make_descriptor(BASE_B, 0xfffff, 0x93, 0xc);
    desc_b[0] = (uint32_t)d;
    desc_b[1] = (uint32_t)(d >> 32);
    uint32_t es1, fs1b;
    __asm__ volatile(
        "mov %w3, %%es\n mov %w3, %%fs\n"
        "movl %4, %0\n movl %0, (%2)\n movl %5, %0\n movl %0, 4(%2)\n" /* entry: base B */
        "mov %w3, %%fs\n"                                              /* FS loaded again, ES not */
        "movl %%es:0x100, %0\n movl %%fs:0x100, %1\n"
        "mov %w6, %%es\n mov %w6, %%fs"
        : "=&r"(es1), "=&r"(fs1b)
        : "r"(&gdt[SEL_X / 8]), "r"(SEL_X), "m"(desc_b[0]), "m"(desc_b[1]), "r"(SEL_DATA)
        : "memory");
    gprintf("1b es (stale) %08x fs (reloaded) %08x\n", es1, fs1b);

    /* 2: FS and GS, an expand-down 16-bit entry whose limit is edited */
    set_x(BASE_A, 0x0fff, 0x97, 0x0); /* valid offsets 0x1000..0xffff */
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" ::"r"(SEL_X) : "memory");
    set_x(BASE_A, 0xfeff, 0x97, 0x0); /* valid offsets 0xff00..0xffff */
    __asm__ volatile("mov %0, %%gs" ::"r"(SEL_X) : "memory");
    const uint32_t fs1 = read_at(2, 0x100 + 0x1000);
    trap_resume = 0;
    const uint32_t n = last_trap.count;
    __asm__ volatile(
        "movl $1f, trap_resume\n movl %%gs:(%0), %%eax\n 1: movl $0, trap_resume" ::"r"(0x1100)
        : "eax", "memory");
    const uint32_t gs_faults = last_trap.count - n;
    const uint32_t gs1 = read_at(3, 0xff00);
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" ::"r"(SEL_DATA) : "memory");
    gprintf("2 fs at 1100 %08x; gs at 1100: %u fault(s) vector %u; gs at ff00 %08x\n", fs1,
            gs_faults, last_trap.vector, gs1);

    /* 3: SS keeps its descriptor (entry X, flat) while the entry becomes base B and DS is
     * loaded from it: the C code in between runs on the stack through the stale SS */
    set_x(0, 0xfffff, 0x93, 0xc);
    __asm__ volatile("mov %0, %%ss" ::"r"(SEL_X) : "memory");
    set_x(BASE_B, 0xfffff, 0x93, 0xc);
    uint32_t ds_val;
    __asm__ volatile("mov %1, %%ds\n movl %%ds:0x100, %0\n mov %2, %%ds"
                     : "=r"(ds_val)
                     : "r"(SEL_X), "r"(SEL_DATA)
                     : "memory");
    volatile uint32_t on_stack = 0x5a5a5a5a;
    const uint32_t stack_ok = on_stack == 0x5a5a5a5a && *(volatile uint32_t*)&on_stack;
    __asm__ volatile("mov %0, %%ss" ::"r"(SEL_DATA) : "memory");
    gprintf("3 ds:100 %08x; the stack through the stale SS %s\n", ds_val,
            stack_ok ? "works" : "is broken");

    /* 4: not present after the load: the register keeps working; a new load is #NP (no
     * register holds the entry when the fault comes: the handler reloads them all) */
    set_x(BASE_A, 0xfffff, 0x93, 0xc);
    __asm__ volatile("mov %0, %%gs" ::"r"(SEL_X) : "memory");
    set_x(BASE_A, 0xfffff, 0x13, 0xc); /* P = 0 */
    const uint32_t gs4 = read_at(3, 0x100);
    __asm__ volatile("mov %0, %%gs" ::"r"(SEL_DATA) : "memory");
    const uint32_t m = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n mov %w0, %%fs\n 1: movl $0, trap_resume" ::"r"(SEL_X)
                     : "memory");
    gprintf("4 gs %08x after P=0; a new load: %u fault(s) vector %u error %04x\n", gs4,
            last_trap.count - m, last_trap.vector, last_trap.error);
    return 0;
}
