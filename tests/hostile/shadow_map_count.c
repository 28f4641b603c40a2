/* shadow_map_count -- resource exhaustion of the shadow MMU: 100 page tables map 102400
 * guest-linear pages (400 MiB from 0x02000000) onto two frames, alternately, half of them
 * written (D set: writable mappings, the rest read-only), and the guest touches every page
 * once. bt maps each page with its own mmap (one VMA each, none can merge) and never drops a
 * mapping before a CR3 write or invlpg, so the process passes vm.max_map_count (65530) and
 * prevt ends with "host failure: mmap of guest memory failed" (status 4) after ~64000 pages.
 * A software TLB may drop entries whenever it likes; the CPU finishes the loop.
 * Oracle: "done 102400", status 1 (QEMU); trap: stops at paging (status 3). */
#include "hostile.h"
#define NT 100
static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tabs[NT][1024] __attribute__((aligned(4096)));
static uint32_t low[4][1024] __attribute__((aligned(4096)));
int main(void) {
    print("touching many pages, alternating frames and D bits\n");
    for (uint32_t i = 0; i < 4096; ++i) low[i / 1024][i % 1024] = (i << 12) | 7;
    for (uint32_t i = 0; i < 4; ++i) dir[i] = (uint32_t)low[i] | 7;
    for (uint32_t t = 0; t < NT; ++t) {
        for (uint32_t i = 0; i < 1024; ++i) {
            uint32_t frame = 0x02000000u + ((i & 1) ? 0x1000 : 0x3000) ;
            tabs[t][i] = frame | ((i & 2) ? 0x47 : 0x07);
        }
        dir[8 + t] = (uint32_t)tabs[t] | 7;
    }
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
    volatile uint32_t sum = 0;
    for (uint32_t p = 0; p < NT * 1024u; ++p) {
        volatile uint32_t* a = (volatile uint32_t*)(0x02000000u + p * 4096u);
        if (p & 2) *a = p; else sum += *a;
        if ((p & 0x3fff) == 0) gprintf("page %u\n", p);
    }
    gprintf("done %u\n", NT * 1024u);
    return 0;
}
