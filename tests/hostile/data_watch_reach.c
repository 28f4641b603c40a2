/* data_watch_reach -- data breakpoints aimed where prevt keeps its own things. Under bt and trap
 * an enabled data breakpoint keeps its linear page from native accesses (the shadow MMU unmaps
 * or protects it: core/engines/data_watch.hpp), so the guest chooses pages prevt must not
 * unmap or protect for it: guest page 0 (below the host's vm.mmap_min_addr under trap), the
 * page bt's monitor area starts at (MON_GUEST(HOST_STUB)) and its far pointer's, the last page
 * of 4 GiB, the pages of the running code and of the stack -- read/write kind, four at a time,
 * DR7 toggled 200 times and the addresses moved each time. Then it
 * reads the watched words at page 0 and the monitor's reach (a #DB each) and leaves. Under trap
 * the code's own page is watched too: its instructions without data accesses are stepped
 * natively (core/engines/trap_watch.cpp), the others emulated. Oracle: QEMU TCG. */
#include "hostile.h"

static volatile uint32_t hits, last_dr6;
static void on_debug(struct frame* f) {
    (void)f;
    uint32_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    last_dr6 = dr6;
    ++hits;
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
}

#define RW4(n) ((2u << (2 * (n))) | (0xfu << (16 + 4 * (n))))

static void set_all(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t dr7) {
    __asm__ volatile("mov %0, %%dr0" ::"r"(a));
    __asm__ volatile("mov %0, %%dr1" ::"r"(b));
    __asm__ volatile("mov %0, %%dr2" ::"r"(c));
    __asm__ volatile("mov %0, %%dr3" ::"r"(d));
    __asm__ volatile("mov %0, %%dr7" ::"r"(dr7));
}

int main(void) {
    print("data_watch_reach: data breakpoints on prevt's pages\n");
    trap_hooks[1] = on_debug;
    uint32_t here;
    __asm__ volatile("call 1f\n1: pop %0" : "=r"(here));
    const uint32_t targets[] = {0x0,         MON_GUEST(HOST_STUB),
                                0xfffffffcu, MON_GUEST(HOST_FAR_PTR),
                                here & ~3u,  (uint32_t)&here & ~3u};
    const unsigned n = sizeof targets / sizeof targets[0];
    for (unsigned i = 0; i < 200; ++i)
        set_all(targets[i % n] + 0x40 * (i & 1), targets[(i + 1) % n] + 0x100,
                targets[(i + 2) % n] + 0x200, targets[(i + 3) % n] + 0x300,
                (i & 3) ? RW4(0) | RW4(1) | RW4(2) | RW4(3) : 0);
    gprintf("toggled: %u #DB\n", hits);
    hits = 0;
    set_all(0x0, MON_GUEST(HOST_STUB), 0xfffffffcu, MON_GUEST(HOST_FAR_PTR), RW4(0) | RW4(1));
    uint32_t v0, v1;
    __asm__ volatile("movl 0x0, %0" : "=r"(v0));
    const uint32_t d0 = hits, b0 = last_dr6 & 0xf;
    hits = 0;
    __asm__ volatile("movl (%1), %0" : "=r"(v1) : "r"(MON_GUEST(HOST_STUB)));
    gprintf("page 0 read: %u #DB (B %x); the monitor's reach read: %u #DB (B %x)\n", d0, b0, hits,
            last_dr6 & 0xf); /* (what it reads differs: unassigned memory, QEMU-0s) */
    (void)v0, (void)v1;
    set_all(0, 0, 0, 0, 0);
    hits = 0;
    __asm__ volatile("movl (%1), %0" : "=r"(v1) : "r"(MON_GUEST(HOST_STUB)));
    gprintf("DR7 clear: %u #DB\n", hits);
    return 0;
}
