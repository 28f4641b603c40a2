/* The instructions the unassigned guests run against memory no RAM backs (paging off:
 * unassigned.c; on: unassigned_paging.c). Each returns what it left behind, so that an
 * instruction skipped whole instead of run (its store dropped) shows. */
#pragma once

#include "lib/guest.h"

static uint32_t rep_stos(uint32_t at, uint32_t* edi_after) {
    uint32_t ecx = 4, edi = at;
    __asm__ volatile("cld; rep stosl" : "+c"(ecx), "+D"(edi) : "a"(0) : "memory");
    *edi_after = edi;
    return ecx;
}

static uint32_t add_flags(uint32_t at) {
    uint32_t flags;
    __asm__ volatile(
        "mov $1, %%eax\n\t"
        "add %%eax, %%eax\n\t" /* ZF = 0, CF = 0 before */
        "mov $1, %%eax\n\t"
        "add %%eax, (%1)\n\t" /* all-ones + 1: ZF = 1, CF = 1 */
        "pushf\n\t"
        "pop %0"
        : "=r"(flags)
        : "r"(at)
        : "eax", "memory", "cc");
    return flags & (EFLAGS_CF | EFLAGS_ZF);
}

static uint32_t xchg(uint32_t at) {
    uint32_t v = 0x55;
    __asm__ volatile("xchg %0, (%1)" : "+r"(v) : "r"(at) : "memory");
    return v;
}
