/* cs_override: data accesses through cs: use the code segment's descriptor (SDM vol. 3A 5.5):
 * loads, compares, push, lods, movs, xlat and an indirect jmp through a table read through a
 * CS with base 1 MiB use that base (not DS's); a store through cs: is #GP(0) (code is never
 * writable); a load through an execute-only CS is #GP(0); a load beyond CS's limit is #GP(0).
 * A branch-not-taken hint (0x2e on a jcc) stays a branch. */
#include "lib/guest.h"

#define SEL_XONLY 0xa0   /* flat 32-bit execute-only code */
#define SEL_LIMITED 0xa8 /* readable code, base 0, limit 2 MiB - 1 */

uint32_t val = 0x12345678, table[2];
uint8_t cs_bytes[8] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
uint8_t cs_copied[4];
uint32_t lods, xl;

static void fault(const char* what, uint32_t before) {
    if (last_trap.count == before)
        gprintf("%s: no fault\n", what);
    else
        gprintf("%s: vector %u error %04x\n", what, last_trap.vector, last_trap.error);
}

int main(void) {
    const uint32_t b = CODE_BASED_BASE;
    gdt[SEL_XONLY / 8] = make_descriptor(0, 0xfffff, 0x98, 0xc);
    gdt[SEL_LIMITED / 8] = make_descriptor(0, 0x1ff, 0x9a, 0xc);
    load_gdt();
    /* val at linear L; in the based CS, offset L - b names it; offset L names L + b. */
    *(volatile uint32_t*)((uint32_t)&val + b) = 0xcafef00d;
    uint32_t flat, based, high, cmp_zf, pushed, jumped;
    table[0] = 0; /* filled below: jump targets as offsets in the based CS */
    __asm__ volatile(
        "mov %%cs:val, %0\n" /* flat CS: the same as ds: */
        "ljmp %[based_sel], $1f - %c[b]\n"
        "1: mov %%cs:val - %c[b], %1\n" /* the base is 1 MiB: linear val */
        "mov %%cs:val, %2\n"            /* linear val + 1 MiB */
        "cmpl $0x12345678, %%cs:val - %c[b]\n"
        "setz %b3\n movzbl %b3, %3\n"
        "pushl %%cs:val - %c[b]\n popl %4\n"
        "ljmp %[flat_sel], $2f\n"
        "2:\n"
        : "=&r"(flat), "=&r"(based), "=&r"(high), "=&q"(cmp_zf), "=&r"(pushed)
        : [based_sel] "i"(SEL_CODE_BASED), [flat_sel] "i"(SEL_CODE), [b] "i"(CODE_BASED_BASE)
        : "memory", "cc");
    gprintf("mov cs:val (flat) %08x; base 1 MiB: cs:(val - 1M) %08x, cs:val %08x\n", flat, based,
            high);
    gprintf("cmp through cs: zf %u; push cs: %08x\n", cmp_zf, pushed);
    __asm__ volatile(
        "ljmp %[based_sel], $1f - %c[b]\n"
        "1: mov $cs_bytes - %c[b], %%esi\n"
        "cs lodsl\n mov %%eax, lods\n"
        "mov $cs_bytes - %c[b], %%esi\n mov $cs_copied, %%edi\n mov $4, %%ecx\n"
        "rep movsb %%cs:(%%esi), %%es:(%%edi)\n"
        "mov $cs_bytes - %c[b], %%ebx\n mov $2, %%eax\n cs xlat\n movzbl %%al, %%eax\n"
        "mov %%eax, xl\n"
        "ljmp %[flat_sel], $2f\n"
        "2:\n"
        :
        : [based_sel] "i"(SEL_CODE_BASED), [flat_sel] "i"(SEL_CODE), [b] "i"(CODE_BASED_BASE)
        : "memory", "cc", "eax", "ebx", "ecx", "esi", "edi");
    gprintf("cs lodsl %08x; rep movsb from cs: %02x%02x%02x%02x; cs xlat %02x\n", lods,
            cs_copied[0], cs_copied[1], cs_copied[2], cs_copied[3], xl);
    extern char jt_a[], jt_b[];
    table[0] = (uint32_t)jt_a - b;
    table[1] = (uint32_t)jt_b - b;
    __asm__ volatile(
        "ljmp %[based_sel], $1f - %c[b]\n"
        "1: mov $1, %%eax\n"
        "jmp *%%cs:table - %c[b](,%%eax,4)\n"
        "jt_a: movl $0xaaaa, %0\n jmp 3f\n"
        "jt_b: movl $0xbbbb, %0\n"
        "3: ljmp %[flat_sel], $2f\n"
        "2:\n"
        : "=&r"(jumped)
        : [based_sel] "i"(SEL_CODE_BASED), [flat_sel] "i"(SEL_CODE), [b] "i"(CODE_BASED_BASE)
        : "memory", "cc", "eax");
    gprintf("jmp *cs:table(,1,4) -> %04x\n", jumped);

    uint32_t before = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n movl $1, %%cs:val\n 1:" ::: "memory");
    fault("store through cs:", before);
    gprintf("val after %08x\n", val);
    before = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n addl $1, %%cs:val\n 1:" ::: "memory", "cc");
    fault("add to cs:", before);
    before = last_trap.count;
    uint32_t v = 0;
    __asm__ volatile(
        "ljmp %[x], $1f\n"
        "1: movl $2f, trap_resume\n mov %%cs:val, %0\n"
        "2: ljmp %[flat_sel], $3f\n 3:"
        : "+r"(v)
        : [x] "i"(SEL_XONLY), [flat_sel] "i"(SEL_CODE)
        : "memory");
    fault("load through an execute-only cs:", before);
    before = last_trap.count;
    __asm__ volatile(
        "ljmp %[l], $1f\n"
        "1: movl $2f, trap_resume\n mov %%cs:0x1ffffc, %0\n"
        "mov %%cs:0x1ffffe, %0\n"
        "2: ljmp %[flat_sel], $3f\n 3:"
        : "+r"(v)
        : [l] "i"(SEL_LIMITED), [flat_sel] "i"(SEL_CODE)
        : "memory");
    fault("load across the cs: limit", before);
    uint32_t taken;
    __asm__ volatile("xor %0, %0\n cmp %0, %0\n .byte 0x2e\n je 1f\n mov $1, %0\n 1:"
                     : "=&r"(taken)
                     :
                     : "cc");
    gprintf("2e-hinted je taken: %s\n", taken ? "no" : "yes");
    return 0;
}
