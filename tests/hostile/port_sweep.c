/* port_sweep -- devices: every port 0-0xffff read with in{b,w,l} and written with out{b,w,l} of 0 and of
 * all-ones (except the debug-exit and console ports, and COM1's data register), then accesses
 * straddling device ranges, then rep ins/outs with large counts. prevt must not die or stop;
 * what unassigned ports read is all-ones. Golden by hand (the bt and trap output): QEMU
 * aborts on the 2- and 4-byte reads of its 16550 (port_sweep.qemu.skip). */
#include "hostile.h"

static uint8_t buf[65536];

static int skip_write(uint32_t p) {
    return (p >= 0xf4 && p <= 0xf7) || p == 0xe9 || p == 0x3f8 || p == 0x3f9 ||
           (p >= 0x20 && p <= 0x21) || (p >= 0xa0 && p <= 0xa1) || (p >= 0x40 && p <= 0x43) ||
           p == 0x61 || (p >= 0x3fb && p <= 0x3fc) || (p >= 0xcf8 && p <= 0xcff) ||
           (p >= 0x70 && p <= 0x71) || p == 0x92 || (p >= 0x3c0 && p <= 0x3df) ||
           (p >= 0x1ce && p <= 0x1d0) || (p >= 0x510 && p <= 0x51b) || p == 0x64 || p == 0x60 ||
           (p >= 0x1f0 && p <= 0x1f7) || (p >= 0x170 && p <= 0x177) || p == 0x3f6 || p == 0x376 ||
           (p >= 0xb000 && p <= 0xb03f) || (p >= 0xafe0 && p <= 0xafff) || (p >= 0xae00 && p <= 0xae1f);
}

int main(void) {
    print("port sweep\n");
    uint32_t x = 0;
    for (uint32_t p = 0; p < 0x10000; ++p) {
        x ^= inb(p);
        x ^= inw(p);
        x ^= inl(p);
    }
    print("reads done\n");
    for (uint32_t p = 0; p < 0x10000; ++p) {
        if (skip_write(p) || skip_write(p + 1) || skip_write(p + 2) || skip_write(p + 3)) continue;
        outb(p, 0); outw(p, 0); outl(p, 0);
        outb(p, 0xff); outw(p, 0xffff); outl(p, 0xffffffff);
    }
    print("writes done\n");
    /* straddling: a dword read at the last byte of COM1, the PIT, the PIC */
    gprintf("inl 0x3ff: %08x\n", inl(0x3ff));
    gprintf("inw 0xffff: %04x, inl 0xfffd: %08x\n", inw(0xffff), inl(0xfffd));
    /* rep insb of 64 KiB from an unassigned port, rep outsb to one */
    __asm__ volatile("cld\n rep insb" ::"D"(buf), "c"(sizeof buf), "d"(0x1234) : "memory");
    __asm__ volatile("cld\n rep outsb" ::"S"(buf), "c"(sizeof buf), "d"(0x1234) : "memory");
    __asm__ volatile("cld\n rep insl" ::"D"(buf), "c"(sizeof buf / 4), "d"(0x2345) : "memory");
    gprintf("buf %02x %02x\n", buf[0], buf[65535]);
    /* ECX huge with DF set, into the top of RAM: ins stop at unassigned memory? */
    return 0;
}
