/* io_breakpoints (-cpu max: CPUID.1 DE, prevt and QEMU alike): DR2 = port 0x80 as an I/O
 * breakpoint (DR7 G2, kind 10, length 1) under CR4.DE. An out or in touching the port - or a
 * word access that overlaps it - traps with #DB after the instruction (EIP past it, DR6's B2);
 * a neighbouring port does not; with DR7 clear nothing fires. (Kind 10 with CR4.DE clear is
 * undefined in the SDM: QEMU still fires it, prevt does not; not tested.) The virtual CPU runs every
 * port access on every engine, so all three check it (core/emulate/io.cpp). */
#include "lib/guest.h"

#define CR4_DE (1u << 3)
static volatile uint32_t hits, last_dr6, last_eip;
static void on_debug(struct frame* f) {
    ++hits;
    __asm__ volatile("mov %%dr6, %0" : "=r"(last_dr6));
    last_eip = f->eip;
}

/* One access at a labelled point; the label after it is where the trap must land. */
#define ACCESS(text, after)                                                   \
    __asm__ volatile(text "\n.globl " after "\n" after ":\n" ::: "eax", "edx", "memory")
extern char after_out80[], after_out81[], after_in80[], after_outw7f[], after_off[];

static void report(const char* what, const char* after) {
    gprintf("%s: %u #DB, DR6 B0-B3 %x, EIP after it: %s\n", what, hits, last_dr6 & 0xf,
            hits && last_eip == (uint32_t)after ? "yes" : "no");
    hits = 0, last_dr6 = 0, last_eip = 0;
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
}

int main(void) {
    print("io_breakpoints: DR2 on port 0x80\n");
    uint32_t r[4];
    cpuid(1, r);
    gprintf("CPUID.1 EDX.DE %u\n", (r[3] >> 2) & 1);
    if (!(r[3] & 4)) return 0;
    trap_hooks[1] = on_debug;
    WRITE_CR(4, READ_CR(4) | CR4_DE);
    __asm__ volatile("mov %0, %%dr2" ::"r"(0x80u));
    __asm__ volatile("mov %0, %%dr7" ::"r"((1u << 5) | (2u << 24)));
    ACCESS("mov $0x11, %%al\n outb %%al, $0x80", "after_out80");
    report("outb 0x80", after_out80);
    ACCESS("mov $0x11, %%al\n outb %%al, $0x81", "after_out81");
    report("outb 0x81", after_out81);
    ACCESS("mov $0x80, %%dx\n inb %%dx, %%al", "after_in80");
    report("inb 0x80", after_in80);
    ACCESS("mov $0x7f, %%dx\n xor %%eax, %%eax\n outw %%ax, %%dx", "after_outw7f");
    report("outw 0x7f (0x7f-0x80)", after_outw7f);
    __asm__ volatile("mov %0, %%dr7" ::"r"(0u));
    ACCESS("mov $0x11, %%al\n outb %%al, $0x80", "after_off");
    report("DR7 clear: outb 0x80", after_off);
    WRITE_CR(4, READ_CR(4) & ~CR4_DE);
    return 0;
}
