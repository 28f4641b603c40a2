/* realmode: real mode entered from protected mode and left again, twice (CR0 written with mov,
 * then lmsw on the way back): the stale hidden base of a segment loaded before CR0.PE was
 * cleared, segment arithmetic (two segments, one byte), 16-bit offsets and SP wrapping at
 * 64 KiB, FFFF:0010 at 1 MiB, int n through the IVT (the frame, IF in the handler, iret),
 * pushf/popf with IF and IOPL, far call/lret and an indirect far jmp, cs: reads and writes,
 * unreal mode (a 4 GiB limit kept from protected mode), smsw. The real-mode code is in
 * realmode.S; it stores what it saw at 0x7800. */
#include "lib/guest.h"

extern char realmode_start[], realmode_end[];

static volatile uint16_t* const result16 = (volatile uint16_t*)0x7800;

static uint16_t w(unsigned at) {
    return result16[at / 2];
}
static uint32_t d(unsigned at) {
    return w(at) | (uint32_t)w(at + 2) << 16;
}

static void round_trip(int lmsw) {
    for (unsigned i = 0; i < 64; ++i) result16[i] = 0;
    result16[0] = (uint16_t)lmsw;
    *(volatile uint16_t*)0xb000 = 0;
    static const uint32_t target[2] = {0x6000, SEL_CODE16};
    __asm__ volatile("lcall *%0" ::"m"(target)
                     : "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "memory", "cc");
    gprintf("round %d (back with %s)\n", lmsw + 1, lmsw ? "lmsw" : "mov to cr0");
    gprintf("fs:7900 with the stale base: %08x\n", d(4));
    gprintf("1001:0000 after a store to 1000:0010: %04x\n", w(8));
    gprintf("[bx+si] wrapped at 64 KiB: %04x\n", w(10));
    gprintf("ffff:0010 is 1 MiB: %s\n", d(12) == *(volatile uint32_t*)0x100000 ? "yes" : "no");
    gprintf("int 0x60: flags in handler %04x, frame ip %04x cs %04x, dx %04x\n", w(16), w(18),
            w(20), w(22));
    gprintf("after iret: flags %04x sp %04x\n", w(24), w(46));
    gprintf("popf 0202 %04x, 3002 %04x, 0002 %04x\n", w(26), w(28), w(30));
    gprintf("far call: cs %04x; indirect far jmp: %04x\n", w(32), w(34));
    gprintf("cs: table %04x, cs: store %04x\n", w(36), w(38));
    gprintf("unreal fs:200000 %08x, smsw %04x\n", d(40), w(44));
    gprintf("push at sp 0: sp %04x, stored %04x\n", w(48), w(50));
    gprintf("cr0 back in protected mode: %04x\n", w(52) & 0x1f);
    gprintf("[eax] pops %04x %08x, mov %%ss/%%es to memory %08x %08x, sp %04x\n", w(0x60), d(0x64),
            d(0x68), d(0x6c), w(0x70));
    gprintf("calll/retl: sp %04x, sp in callee %04x; ret $2: sp %04x\n", w(0x72), w(0x74), w(0x76));
    gprintf("esp after a port read with a 16-bit stack: %08x\n", d(0x78));
    gprintf("A20 off: ffff:0010 is 0: %s, store to ffff:b010 at b000: %04x; on: 1 MiB: %s\n",
            d(0x80) == *(volatile uint32_t*)0 ? "yes" : "no", *(volatile uint16_t*)0xb000,
            d(0x84) == *(volatile uint32_t*)0x100000 ? "yes" : "no");
}

int main(void) {
    print("real mode\n");
    volatile uint8_t* low = (volatile uint8_t*)0x6000;
    for (char* p = realmode_start; p < realmode_end; ++p) *low++ = (uint8_t)*p;
    *(volatile uint32_t*)0x7900 = 0x5ba5e000; /* what fs:7900 reads with base 0 */
    *(volatile uint32_t*)0x7a00 = 0x0ba5e100; /* with base 0x10 * 16 */
    *(volatile uint32_t*)0x200000 = 0xc0ffee42;
    round_trip(0);
    round_trip(1);
    return 0;
}
