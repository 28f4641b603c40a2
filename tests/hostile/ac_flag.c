/* ac_flag -- mechanism 5: EFLAGS.AC set by the guest (popf), then every kind of exit to the
 * monitor: port I/O (COM1 output, `in`), cpuid, int n, #UD, #GP from a segment load, a #PF
 * under paging, lgdt, with CR0.AM clear and then set (at CPL 0 alignment checks do not
 * apply, so nothing faults on real hardware). A monitor that keeps AC live in its own code
 * dies of SIGBUS at its first unaligned SSE access (status 135). Unaligned loads and stores
 * at CPL 0 with AC set (the host checks alignment at ring 3 whatever the guest's CPL: bt
 * steps over them with AC clear) must neither fault nor lose AC. Oracle: status 1, AC still
 * set at the end, every line as QEMU's golden. With DF set too (`std`), callouts and new blocks
 * must not run the monitor's string moves backwards (the callout entry once cleared DF, then
 * put the guest's DF back with the AC-clearing popf: prevt died of SIGSEGV in the monitor). */
#include "hostile.h"

#define EFLAGS_AC 0x40000

static void on_int(struct frame* f) {
    f->eax = 0x600d;
}

static void exits(const char* label) {
    uint32_t r[4];
    cpuid(0, r);
    (void)inb(0x80);
    uint32_t a = 0;
    __asm__ volatile("int $0x30" : "+a"(a));
    const uint32_t n = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n ud2\n 1: movl $0, trap_resume" ::: "memory");
    __asm__ volatile(
        "movl $1f, trap_resume\n mov %w0, %%es\n 1: movl $0, trap_resume\n"
        "mov %w1, %%es" ::"r"(SEL_DATA_NP),
        "r"(SEL_DATA)
        : "memory");
    const struct dtr g = sgdt();
    lgdt(&g);
    paging_on(0);
    __asm__ volatile("movl $1f, trap_resume\n movl 0x30000000, %%eax\n 1: movl $0, trap_resume" ::
                         : "eax", "memory");
    paging_off();
    static volatile uint8_t buf[16];
    uint32_t sum = 0;
    for (int i = 1; i < 8; i += 2) { /* unaligned dword stores and loads */
        *(volatile uint32_t*)(buf + i) = 0x01010101u * (uint32_t)i;
        sum += *(volatile uint32_t*)(buf + i);
    }
    gprintf("%s: unaligned sum %x, %u exceptions\n", label, sum, last_trap.count - n);
    gprintf("%s: cpuid, in, int (eax %x), %u exceptions (%s), lgdt; AC %s\n", label, a,
            last_trap.count - n, trap_name(last_trap.vector),
            read_eflags() & EFLAGS_AC ? "set" : "CLEAR");
}

/* AC and DF set, then exits the guest's C code never sees DF in: cpuid, in, blocks not yet
 * translated (each `jmp 1f` target is a new block), repeated; DF read back before cld. */
static void exits_with_df(void) {
    uint32_t fl = 0, a = 0, b, c = 0, d;
    __asm__ volatile(
        "std\n"
        "mov $32, %%esi\n"
        "2: xor %%eax, %%eax\n cpuid\n inb $0x80, %%al\n jmp 1f\n"
        "1: dec %%esi\n jnz 2b\n"
        "pushf\n pop %0\n cld"
        : "=r"(fl), "+a"(a), "=b"(b), "+c"(c), "=d"(d)
        :
        : "esi", "memory", "cc");
    gprintf("DF set: cpuid, in, new blocks; DF %s, AC %s\n", fl & 0x400 ? "set" : "CLEAR",
            fl & EFLAGS_AC ? "set" : "CLEAR");
}

int main(void) {
    print("EFLAGS.AC set, then exits to the monitor\n");
    idt_set(0x30, SEL_CODE, isr_stub(0x30), GATE_INT32);
    trap_hooks[0x30] = on_int;
    __asm__ volatile("pushf\n orl $0x40000, (%%esp)\n popf" ::: "memory", "cc");
    exits("CR0.AM clear");
    WRITE_CR(0, READ_CR(0) | CR0_AM);
    exits("CR0.AM set");
    WRITE_CR(0, READ_CR(0) & ~CR0_AM);
    exits_with_df();
    return 0;
}
