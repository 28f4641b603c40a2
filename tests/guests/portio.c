/* portio: port I/O at CPL 0. The 16550's scratch register (0x3ff) round trip, its line
 * status register (0x3fd) after init, byte/word/dword reads of unassigned ports (0x2f0 via
 * %dx, 0xe0 as an immediate: all-ones on a PC), writes to them (ignored), rep outsb of a
 * string to COM1, rep insb/insw/insl from an unassigned port, forwards and with DF = 1.
 * (QEMU's 16550 accepts only byte accesses: no word or dword access goes to 0x3f8-0x3ff.) */
#include "lib/guest.h"

#define UNASSIGNED 0x2f0

static void wait_tx_empty(void) {
    while ((inb(COM1 + 5) & 0x60) != 0x60) continue; /* THRE and TEMT */
}

static void show_bytes(const char* what, const uint8_t* b, int n) {
    print(what);
    for (int i = 0; i < n; ++i) gprintf(" %02x", b[i]);
    print("\n");
}

int main(void) {
    print("port I/O at CPL 0\n");

    outb(COM1 + 7, 0x5a);
    uint8_t s1 = inb(COM1 + 7);
    outb(COM1 + 7, 0xa5);
    uint8_t s2 = inb(COM1 + 7);
    gprintf("scratch 0x3ff: wrote 5a read %02x, wrote a5 read %02x\n", s1, s2);

    wait_tx_empty();
    gprintf("line status 0x3fd when idle: %02x\n", inb(COM1 + 5));

    uint8_t b;
    uint16_t w;
    uint32_t l;
    __asm__ volatile("inb %%dx, %%al" : "=a"(b) : "d"(UNASSIGNED));
    __asm__ volatile("inw %%dx, %%ax" : "=a"(w) : "d"(UNASSIGNED));
    __asm__ volatile("inl %%dx, %%eax" : "=a"(l) : "d"(UNASSIGNED));
    gprintf("in from 0x2f0 (dx): inb %02x inw %04x inl %08x\n", b, w, l);
    __asm__ volatile("inb $0xe0, %%al" : "=a"(b));
    __asm__ volatile("inw $0xe0, %%ax" : "=a"(w));
    __asm__ volatile("inl $0xe0, %%eax" : "=a"(l));
    gprintf("in from 0xe0 (immediate): inb %02x inw %04x inl %08x\n", b, w, l);

    __asm__ volatile("outb %%al, %%dx; outw %%ax, %%dx; outl %%eax, %%dx" ::"a"(0x12345678),
                     "d"(UNASSIGNED));
    __asm__ volatile("outb %%al, $0xe0; outw %%ax, $0xe0; outl %%eax, $0xe0" ::"a"(0x12345678));
    gprintf("after outb/outw/outl to 0x2f0 and 0xe0: inl 0x2f0 %08x, inl 0xe0 %08x\n",
            inl(UNASSIGNED), inl(0xe0));

    /* rep outsb: at most 16 bytes, so a real 16550's FIFO takes them without polling. */
    static const char msg[] = "rep outsb: ok\n";
    wait_tx_empty();
    const char* src = msg;
    uint32_t count = sizeof msg - 1;
    __asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(count) : "d"(COM1) : "memory");
    wait_tx_empty();
    gprintf("rep outsb left ecx %u, esi advanced by %u\n", count, (uint32_t)(src - msg));
    count = 0;
    __asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(count) : "d"(COM1) : "memory");
    gprintf("rep outsb with ecx 0: esi advanced by %u\n", (uint32_t)(src - msg) - 14);

    uint8_t buf[12];
    memset(buf, 0x11, sizeof buf);
    uint8_t* dst = buf + 2;
    count = 4;
    __asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(count) : "d"(UNASSIGNED) : "memory");
    show_bytes("rep insb x4 from 0x2f0 into buf+2:", buf, 8);
    gprintf("  ecx %u, edi advanced by %d\n", count, (int32_t)(dst - (buf + 2)));

    memset(buf, 0x22, sizeof buf);
    dst = buf + 5;
    count = 3;
    __asm__ volatile("std; rep insb; cld" : "+D"(dst), "+c"(count) : "d"(UNASSIGNED) : "memory");
    show_bytes("std; rep insb x3 from 0x2f0 into buf+5:", buf, 8);
    gprintf("  ecx %u, edi advanced by %d\n", count, (int32_t)(dst - (buf + 5)));

    memset(buf, 0x33, sizeof buf);
    dst = buf;
    __asm__ volatile("cld; insw; insl" : "+D"(dst) : "d"(UNASSIGNED) : "memory");
    show_bytes("insw; insl from 0x2f0:", buf, 8);
    gprintf("  edi advanced by %d\n", (int32_t)(dst - buf));
    return 0;
}
