/* top_jump_flat -- issue 12 section 8, without paging: a jump to 0xfffffff0, where prevt has
 * no memory (unassigned pages read as 0xff bytes: `ff ff` is #UD, as on a board whose top of
 * memory floats high). Today bt never stops (translate + mprotect loop, --timeout ignored,
 * memory grows) and trap dies of SIGSEGV at the iretq of prevt_enter_guest (EIP beyond its
 * truncated CS limit). Oracle: "#UD at fffffff0" well before --timeout, never a signal.
 * The golden is by hand (NAME.expected for bt and trap): QEMU has the BIOS ROM there, whose
 * reset code runs instead, so hostile.top_jump_flat.qemu is skipped (top_jump is the QEMU-
 * checked twin under paging). */
#include "hostile.h"

int main(void) {
    print("jump to 0xfffffff0 (no paging: unassigned memory)\n");
    const uint32_t n = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n jmp *%0\n 1: movl $0, trap_resume"
                     ::"r"(0xfffffff0u) : "memory");
    gprintf("%u exception: %s at %08x\n", last_trap.count - n, trap_name(last_trap.vector),
            last_trap.eip);
    return 0;
}
