/* int80: containment of system-call instructions. At guest CPL 0:
 *   mov $20, %eax; int $0x80 (Linux i386 getpid) must reach the guest's own IDT handler for
 *     vector 0x80, through a DPL 3 gate (as Linux has it) and through a DPL 0 gate;
 *   syscall (0f 05) is #UD on an i686 (EFER.SCE is clear), handled by the guest;
 *   sysenter with SYSENTER_CS = 0 is #GP(0);
 *   sysenter with SYSENTER_CS/ESP/EIP set lands at SYSENTER_EIP with CS = SYSENTER_CS,
 *     SS = SYSENTER_CS + 8, ESP = SYSENTER_ESP and IF clear.
 * None of them may reach the host kernel. */
#include "lib/guest.h"

#define SYSENTER_STACK 0x00300000

#define CASE(name) \
    void name(void); \
    extern char name##_at[]
uint32_t int80_int(void); /* returns EAX after the int */
extern char int80_int_at[];
CASE(int80_syscall);
CASE(int80_sysenter_gp);
void int80_sysenter(void);
extern char sysenter_target[];
extern volatile uint32_t se[4];

static const char* at_base;

static void on_int80(struct frame* f) {
    gprintf("int 0x80 handled by the guest, eax=%08x\n", f->eax);
    gprintf("  pushed cs %04x eip at+%u\n", f->cs & 0xffff, f->eip - (uint32_t)at_base);
    f->eax = 0x1234; /* the "pid" */
}

static void expect(const char* what, void (*fn)(void), const char* at) {
    uint32_t before = last_trap.count;
    fn();
    if (last_trap.count == before)
        gprintf("%s: no exception\n", what);
    else
        gprintf("%s: vector %u error %08x eip at+%u\n", what, last_trap.vector, last_trap.error,
                last_trap.eip - (uint32_t)at);
}

static uint32_t int80(void) {
    at_base = int80_int_at;
    return int80_int();
}

int main(void) {
    print("system-call instructions at CPL 0\n");
    trap_hooks[0x80] = on_int80;
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee); /* interrupt gate, DPL 3 */
    gprintf("gate DPL 3: int 0x80 returned eax=%08x\n", int80());
    idt_set(0x80, SEL_CODE, isr_stub(0x80), GATE_INT32); /* DPL 0 */
    gprintf("gate DPL 0: int 0x80 returned eax=%08x\n", int80());

    expect("syscall", int80_syscall, int80_syscall_at);

    wrmsr(0x174, 0);
    expect("sysenter with SYSENTER_CS 0", int80_sysenter_gp, int80_sysenter_gp_at);

    wrmsr(0x174, SEL_CODE);
    wrmsr(0x175, SYSENTER_STACK);
    wrmsr(0x176, (uint32_t)sysenter_target);
    int80_sysenter();
    gprintf("sysenter (SYSENTER_CS %04x ESP %08x, sti before): cs %04x ss %04x esp %08x IF=%u\n",
            SEL_CODE, SYSENTER_STACK, se[0] & 0xffff, se[1] & 0xffff, se[2],
            (se[3] & EFLAGS_IF) != 0);
    gprintf("back at CPL 0 in the guest: cs %04x ss %04x\n", READ_SEG(cs), READ_SEG(ss));
    return 0;
}
