/* top_stos -- mechanism 6: `rep stosb` across the start of the monitor area in the guest's
 * view (guest linear 0xfdff0000 = host 0xfe000000 under bt), with paging mapping guest frames
 * there: 0x20000 bytes from 0xfdff0000 to 0xfe00ffff. Real hardware fills the frames.
 * Today's bt re-enters the cache with no progress until --timeout. Oracle: the frames hold
 * the bytes, the run takes well under --timeout (never status 124); golden: QEMU's. */
#include "hostile.h"

int main(void) {
    print("rep stosb over 0xfdff0000-0xfe00ffff (paging)\n");
    paging_on(1);
    uint32_t c = 0x20000, d = 0xfdff0000u;
    __asm__ volatile("rep stosb" : "+c"(c), "+D"(d) : "a"(0xab) : "memory");
    const volatile uint32_t* p = (const volatile uint32_t*)0xfdff0000u;
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 0x8000; ++i)
        if (p[i] != 0xabababab) ++bad;
    paging_off();
    gprintf("ecx %08x edi %08x, %u dwords wrong\n", c, d, bad);
    return 0;
}
