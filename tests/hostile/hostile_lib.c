/* Helpers of the hostile guests: paging with pattern frames at the top, descriptors. */
#include "hostile.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[4][1024] __attribute__((aligned(4096)));
static uint32_t t_fdc[1024] __attribute__((aligned(4096)));  /* 0xfdc00000-0xfdffffff */
static uint32_t t_fe0[1024] __attribute__((aligned(4096)));  /* 0xfe000000-0xfe3fffff */
static uint32_t t_ffc[1024] __attribute__((aligned(4096)));  /* 0xffc00000-0xffffffff */
static uint32_t frames[48][1024] __attribute__((aligned(4096)));

static void fill(uint32_t* frame, uint32_t linear) {
    for (uint32_t i = 0; i < 1024; ++i) frame[i] = PATTERN(linear + 4 * i);
}

void paging_on(int top) {
    for (uint32_t i = 0; i < 4096; ++i) low_tables[i / 1024][i % 1024] = (i << 12) | 7;
    for (uint32_t i = 0; i < 4; ++i) dir[i] = (uint32_t)low_tables[i] | 7;
    if (top) {
        dir[0x3f7] = (uint32_t)t_fdc | 7;
        dir[0x3f8] = (uint32_t)t_fe0 | 7;
        dir[0x3ff] = (uint32_t)t_ffc | 7;
        for (uint32_t i = 0; i < 16; ++i) {
            t_fdc[0x3f0 + i] = (uint32_t)frames[i] | 7;
            fill(frames[i], 0xfdff0000u + 0x1000 * i);
            t_fe0[i] = (uint32_t)frames[16 + i] | 7;
            fill(frames[16 + i], 0xfe000000u + 0x1000 * i);
            t_ffc[0x3f0 + i] = (uint32_t)frames[32 + i] | 7;
            fill(frames[32 + i], 0xffff0000u + 0x1000 * i);
        }
    }
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
}

void paging_off(void) { WRITE_CR(0, READ_CR(0) & ~(CR0_PG | CR0_WP)); }

void set_desc(uint16_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    const uint64_t d = make_descriptor(base, limit, access, flags);
    if (sel & 4)
        ldt[sel >> 3] = d;
    else
        gdt[sel >> 3] = d;
}

const char* trap_name(uint32_t vector) {
    switch (vector) {
    case 6: return "#UD";
    case 10: return "#TS";
    case 11: return "#NP";
    case 12: return "#SS";
    case 13: return "#GP";
    case 14: return "#PF";
    default: return "#?";
    }
}
