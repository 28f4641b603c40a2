/* top_jump -- mechanism 6 and issue 12 section 8: code at the last bytes of the 4 GiB, with
 * paging mapping a guest frame at 0xfffff000: `ret` at 0xfffffff0 and at 0xffffffff (the
 * last byte), `jmp *%eax` at 0xfffffffe (the last two bytes); then the page unmapped: a
 * call to 0xfffffff0 is a #PF with CR2 = 0xfffffff0. Today bt never stops (translate +
 * mprotect loop, --timeout ignored) or reports "(a bt bug)"; trap dies of SIGSEGV at its
 * iretq. Oracle: the lines below, well before --timeout; golden: QEMU's. */
#include "hostile.h"

int main(void) {
    print("code at 0xfffffff0, 0xfffffffe, 0xffffffff (paging)\n");
    paging_on(1);
    volatile uint8_t* top = (volatile uint8_t*)0xfffff000u;
    top[0xff0] = 0xc3;                      /* ret */
    top[0xffe] = 0xff, top[0xfff] = 0xe0;   /* jmp *%eax */
    uint32_t r = 0;
    __asm__ volatile("mov $1f, %%eax\n call *%1\n 1:" : "=a"(r) : "r"(0xfffffff0u) : "memory");
    print("ret at 0xfffffff0: back\n");
    __asm__ volatile("mov $1f, %%eax\n jmp *%1\n 1:" : "=a"(r) : "r"(0xfffffffeu) : "memory");
    print("jmp *%eax at 0xfffffffe: back\n");
    top[0xfff] = 0xc3;
    __asm__ volatile("call *%0" ::"r"(0xffffffffu) : "memory");
    print("ret at 0xffffffff: back\n");
    /* Unmap the page: the call faults on the fetch. */
    uint32_t* pte = 0;
    (void)pte;
    const uint32_t n = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n"
                     "mov %%cr3, %%eax\n"
                     "mov 0xffc(%%eax), %%eax\n"      /* PDE 0x3ff */
                     "and $0xfffff000, %%eax\n"
                     "movl $0, 0xffc(%%eax)\n"         /* PTE of 0xfffff000 */
                     "invlpg 0xfffff000\n"
                     "call *%0\n"
                     "1: movl $0, trap_resume"
                     ::"r"(0xfffffff0u) : "eax", "memory");
    gprintf("unmapped: %u exception %s error %x eip %08x cr2 %08x\n", last_trap.count - n,
            trap_name(last_trap.vector), last_trap.error, last_trap.eip, READ_CR(2));
    paging_off();
    return 0;
}
