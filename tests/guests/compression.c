/* compression: guest-linear addresses in the top 32 MiB, where prevt's monitor lives in the
 * host's view of the guest's 4 GiB (address-space compression). With paging the guest maps
 * frames at 0xfe000000 and at the last page, 0xfffff000, and works on them with ordinary
 * instructions (mov, add, inc, cmp, xchg, movzx, shifts) and a dword straddling 0xfe000000:
 * real hardware just does it; a monitor must emulate every such access. */
#include "lib/guest.h"

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[2][1024] __attribute__((aligned(4096)));
static uint32_t top_table[1024] __attribute__((aligned(4096)));
static uint32_t monitor_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_b[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_c[1024] __attribute__((aligned(4096)));

#define TOP ((volatile uint32_t*)0xfffff000u)
#define MON ((volatile uint32_t*)0xfe000000u)

int main(void) {
    print("address-space compression\n");
    for (uint32_t i = 0; i < 2048; ++i) low_tables[i / 1024][i % 1024] = (i << 12) | 3;
    dir[0] = (uint32_t)low_tables[0] | 3;
    dir[1] = (uint32_t)low_tables[1] | 3;
    dir[1023] = (uint32_t)top_table | 3;
    top_table[1023] = (uint32_t)frame_a | 3; /* 0xfffff000 */
    dir[0xfe000000u >> 22] = (uint32_t)monitor_table | 3;
    monitor_table[0] = (uint32_t)frame_b | 3;               /* 0xfe000000 */
    dir[(0xfe000000u >> 22) - 1] = (uint32_t)top_table | 3; /* 0xfdc00000-0xfdffffff */
    top_table[1023] = (uint32_t)frame_a | 3;                /* 0xfdfff000 too: the same table */
    frame_a[1023] = 0x11223344;
    frame_b[0] = 0x55667788;
    frame_c[0] = 0;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    gprintf("read 0xfffffffc: %08x, read 0xfe000000: %08x\n", TOP[1023], MON[0]);
    TOP[0] = 0xcafef00d;
    MON[1] = 0x0badbeef;
    gprintf("stores land in the frames: %08x %08x\n", frame_a[0], frame_b[1]);
    uint32_t v = 5, flags;
    __asm__ volatile("addl %2, (%3)\n pushfl\n popl %0\n incl 4(%3)\n movzbl 3(%3), %1"
                     : "=r"(flags), "+r"(v)
                     : "r"(0x10u), "r"(MON)
                     : "memory", "cc");
    gprintf("add, inc, movzx: %08x %08x, byte %02x, CF %u ZF %u\n", MON[0], MON[1], v, flags & 1,
            (flags >> 6) & 1);
    __asm__ volatile("cmpl $0x55667798, (%1)\n pushfl\n popl %0" : "=r"(flags) : "r"(MON) : "cc");
    gprintf("cmp equal: ZF %u\n", (flags >> 6) & 1);
    uint32_t x = 0x99;
    __asm__ volatile("xchgl %0, (%1)" : "+r"(x) : "r"(TOP) : "memory");
    gprintf("xchg: got %08x, the page holds %08x\n", x, TOP[0]);
    __asm__ volatile("shll $4, (%0)\n sarl $8, (%0)" ::"r"(TOP) : "memory", "cc");
    gprintf("shl 4, sar 8: %08x\n", TOP[0]);
    /* A dword straddling 0xfe000000: two bytes in the page below, two in frame_b. */
    frame_a[1023] = 0xaabbccdd;
    const uint32_t straddle = *(volatile uint32_t*)0xfdfffffeu;
    gprintf("straddling 0xfe000000: %08x\n", straddle);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    return 0;
}
