/* idt_gates: software interrupts through the guest's IDT at CPL 0.
 *   int $0x40 through a 32-bit interrupt gate: the handler sees IF = 0;
 *   int $0x41 through a 32-bit trap gate: the handler sees IF as it was;
 *   int $0x42 through an interrupt gate whose selector is a code segment with base 1 MiB.
 * Each is run with IF = 1 (sti first: there are no interrupt sources, so this is safe) and
 * with IF = 0. The handler prints the pushed EIP (as an offset from the int instruction),
 * the pushed CS, the IF bit of the pushed EFLAGS and of its own EFLAGS; after the iret the
 * guest prints IF again (iret restores it). */
#include "lib/guest.h"

#define INT_CASE(name) \
    uint32_t name(void); \
    extern char name##_at[]
INT_CASE(int40_sti);
INT_CASE(int40_cli);
INT_CASE(int41_sti);
INT_CASE(int41_cli);
INT_CASE(int42_sti);

extern char based_handler[];
extern volatile uint32_t based_seen[6]; /* cs, eip, eflags in handler; pushed eip, cs, eflags */

static struct {
    uint32_t count, eip, cs, eflags, eflags_in, cs_in;
} seen;

static void on_int(struct frame* f) {
    seen.count++;
    seen.eip = f->eip;
    seen.cs = f->cs & 0xffff;
    seen.eflags = f->eflags;
    seen.eflags_in = read_eflags();
    seen.cs_in = READ_SEG(cs);
}

static int if_bit(uint32_t eflags) { return (eflags & EFLAGS_IF) != 0; }

static void run(const char* what, uint32_t (*fn)(void), const char* at) {
    uint32_t before = seen.count;
    uint32_t after = fn();
    if (seen.count == before) {
        gprintf("%s: the handler did not run\n", what);
        return;
    }
    gprintf("%s: pushed eip at+%u cs %04x IF=%u; handler cs %04x IF=%u; after iret IF=%u\n",
            what, seen.eip - (uint32_t)at, seen.cs, if_bit(seen.eflags), seen.cs_in,
            if_bit(seen.eflags_in), if_bit(after));
}

int main(void) {
    print("software interrupts through the guest's IDT\n");
    idt_set(0x40, SEL_CODE, isr_stub(0x40), GATE_INT32);
    idt_set(0x41, SEL_CODE, isr_stub(0x41), GATE_TRAP32);
    trap_hooks[0x40] = on_int;
    trap_hooks[0x41] = on_int;
    run("int 0x40 interrupt gate, sti", int40_sti, int40_sti_at);
    run("int 0x40 interrupt gate, cli", int40_cli, int40_cli_at);
    run("int 0x41 trap gate, sti", int41_sti, int41_sti_at);
    run("int 0x41 trap gate, cli", int41_cli, int41_cli_at);

    idt_set(0x42, SEL_CODE_BASED, (uint32_t)based_handler - CODE_BASED_BASE, GATE_INT32);
    uint32_t after = int42_sti();
    gprintf("int 0x42 gate to selector %04x (base %08x), sti:\n", SEL_CODE_BASED,
            CODE_BASED_BASE);
    gprintf("  handler cs %04x, eip %08x, IF=%u\n", based_seen[0] & 0xffff, based_seen[1],
            if_bit(based_seen[2]));
    gprintf("  pushed eip at+%u cs %04x IF=%u; after iret IF=%u\n",
            based_seen[3] - (uint32_t)int42_sti_at, based_seen[4] & 0xffff,
            if_bit(based_seen[5]), if_bit(after));
    gprintf("cs after: %04x\n", READ_SEG(cs));
    return 0;
}
