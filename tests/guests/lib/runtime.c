/* The C half of the guest runtime: serial output on COM1, printing, the IDT and the
 * exception dispatcher, guest_exit(). */
#include "guest.h"

uint32_t mb_magic, mb_info;
trap_hook trap_hooks[256];
volatile uint32_t trap_resume;
volatile struct trap_record last_trap;

extern char isr_stubs[];

void* memcpy(void* d, const void* s, uint32_t n) {
    char* dp = d;
    const char* sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

void* memset(void* d, int c, uint32_t n) {
    char* dp = d;
    while (n--) *dp++ = (char)c;
    return d;
}

/* ---- COM1 -------------------------------------------------------------------------------- */
void serial_init(void) {
    outb(COM1 + 1, 0x00); /* IER: no interrupts */
    outb(COM1 + 3, 0x80); /* LCR: DLAB */
    outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* FCR: FIFOs on and cleared */
    outb(COM1 + 4, 0x03); /* MCR: DTR, RTS */
}

void serial_putc(char c) {
    while (!(inb(COM1 + 5) & 0x20)) continue; /* LSR.THRE */
    outb(COM1, (uint8_t)c);
}

void print(const char* s) {
    while (*s) serial_putc(*s++);
}

void print_hex_n(uint32_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) serial_putc("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void print_hex(uint32_t v) { print_hex_n(v, 8); }

void print_dec(uint32_t v) {
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) serial_putc(buf[--n]);
}

static void pad(int width, int used, char fill) {
    for (; used < width; ++used) serial_putc(fill);
}

void gvprintf(const char* fmt, va_list ap) {
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            serial_putc(*fmt);
            continue;
        }
        char fill = ' ';
        int width = 0;
        if (*++fmt == '0') fill = '0', ++fmt;
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        char buf[12];
        int n = 0;
        switch (*fmt) {
            case 's': {
                const char* s = va_arg(ap, const char*);
                int len = 0;
                while (s[len]) ++len;
                pad(width, len, ' ');
                print(s);
                continue;
            }
            case 'c': serial_putc((char)va_arg(ap, int)); continue;
            case 'd': {
                int32_t v = va_arg(ap, int32_t);
                uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
                do buf[n++] = (char)('0' + u % 10), u /= 10;
                while (u);
                if (v < 0) buf[n++] = '-';
                break;
            }
            case 'u': {
                uint32_t u = va_arg(ap, uint32_t);
                do buf[n++] = (char)('0' + u % 10), u /= 10;
                while (u);
                break;
            }
            case 'x':
            case 'X': {
                uint32_t u = va_arg(ap, uint32_t);
                const char* digits = *fmt == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
                do buf[n++] = digits[u & 0xf], u >>= 4;
                while (u);
                break;
            }
            case '%': serial_putc('%'); continue;
            default: serial_putc('%'); serial_putc(*fmt); continue;
        }
        pad(width, n, fill);
        while (n) serial_putc(buf[--n]);
    }
}

void gprintf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gvprintf(fmt, ap);
    va_end(ap);
}

void guest_exit(uint32_t v) {
    outl(DEBUG_EXIT_PORT, v);
    for (;;) __asm__ volatile("cli; hlt");
}

/* ---- Descriptors and the IDT --------------------------------------------------------------- */
uint64_t make_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    uint32_t lo = (base << 16) | (limit & 0xffff);
    uint32_t hi = (base & 0xff000000) | ((uint32_t)(flags & 0xf) << 20) | (limit & 0xf0000) |
                  ((uint32_t)access << 8) | ((base >> 16) & 0xff);
    return ((uint64_t)hi << 32) | lo;
}

void set_sysenter_descriptors(uint16_t selector) {
    static const uint8_t access[4] = {0x9b, 0x93, 0xfb, 0xf3}; /* code, data DPL 0; DPL 3 */
    for (int i = 0; i < 4; ++i)
        gdt[selector / 8 + i] = make_descriptor(0, 0xfffff, access[i], 0xc);
}

uint64_t make_gate(uint16_t selector, uint32_t offset, uint8_t type_attr) {
    uint32_t lo = ((uint32_t)selector << 16) | (offset & 0xffff);
    uint32_t hi = (offset & 0xffff0000) | ((uint32_t)type_attr << 8);
    return ((uint64_t)hi << 32) | lo;
}

uint32_t isr_stub(unsigned vector) { return (uint32_t)isr_stubs + 16 * vector; }

void idt_set(unsigned vector, uint16_t selector, uint32_t offset, uint8_t type_attr) {
    idt[vector] = make_gate(selector, offset, type_attr);
}

void idt_set_default(unsigned vector) { idt_set(vector, SEL_CODE, isr_stub(vector), GATE_INT32); }

void load_gdt(void) {
    struct dtr d = {GDT_LIMIT, GDT_BASE};
    lgdt(&d);
}

void load_idt(void) {
    struct dtr d = {IDT_LIMIT, IDT_BASE};
    lidt(&d);
}

void isr_dispatch(struct frame* f) {
    if (trap_hooks[f->vector]) {
        trap_hooks[f->vector](f);
        return;
    }
    if (trap_resume) {
        last_trap.vector = f->vector;
        last_trap.error = f->error;
        last_trap.eip = f->eip;
        last_trap.cs = f->cs & 0xffff;
        last_trap.eflags = f->eflags;
        last_trap.count++;
        f->eip = trap_resume;
        trap_resume = 0;
        return;
    }
    gprintf("unexpected exception: vector %02x error %08x eip %08x cs %04x eflags %08x\n",
            f->vector, f->error, f->eip, f->cs & 0xffff, f->eflags);
    guest_exit(0x7f);
}

void runtime_init(void) {
    /* Mask every IRQ on both 8259 PICs: the BIOS left the timer running (SeaBIOS under QEMU;
     * prevt leaves the same, core/loaders/bios_left_state.hpp), and a guest that executes sti
     * must see no interrupts. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    serial_init();
    for (unsigned v = 0; v < 256; ++v) idt_set_default(v);
    load_idt();
}
