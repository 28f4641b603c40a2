/* iret_reload: iretd to the same code segment reloads CS from the descriptor table (SDM, IRET:
 * a return to the same privilege level loads CS from the GDT, checking it). A handler in code
 * segment 0xb0 returns twice to 0xb0 (the common case, bt's inline iret), then clears the
 * present bit of 0xb0's descriptor before its iret: #NP(0xb0), although the popped CS equals
 * the current one. */
#include "lib/guest.h"

#define SEL_MYCODE 0xb0

volatile uint32_t break_cs, returns, np_seen, np_error;
void int81_handler(void);
extern char after_np[];
__asm__(
    ".text\n"
    "int81_handler:\n"
    "    cmpl $0, break_cs\n"
    "    je 1f\n"
    "    andl $~0x8000, gdt + 0xb0 + 4\n" /* P = 0 */
    "1:  incl returns\n"
    "    iret\n");

static void on_np(struct frame* f) {
    np_seen++;
    np_error = f->error;
    f->cs = SEL_CODE;
    f->eip = (uint32_t)after_np;
}

int main(void) {
    gdt[SEL_MYCODE / 8] = make_descriptor(0, 0xfffff, 0x9a, 0xc);
    idt_set(0x81, SEL_MYCODE, (uint32_t)int81_handler, GATE_INT32);
    trap_hooks[11] = on_np;
    for (int round = 0; round < 2; ++round) { /* the second round runs translated code again */
        gdt[SEL_MYCODE / 8] = make_descriptor(0, 0xfffff, 0x9a, 0xc);
        break_cs = 0;
        __asm__ volatile(
            "ljmp %0, $1f\n"
            "1: int $0x81\n"
            "int $0x81\n"
            "movl $1, break_cs\n"
            "int $0x81\n"
            ".globl after_np\n"
            "after_np: ljmp %1, $2f\n"
            "2:\n" ::"i"(SEL_MYCODE),
            "i"(SEL_CODE)
            : "memory", "cc");
        gprintf("round %d: returns %u, #NP %u error %04x\n", round, returns, np_seen, np_error);
    }
    return 0;
}
