/* gs_clzero -- mechanism 3, destructive: `gs clzero` with EAX = 0. Under bt the translator
 * looks for %gs only in explicit operands, so the instruction is copied and, on the AMD host,
 * zeroes the first 64 bytes of the per-vCPU area: the far pointer every callout jumps
 * through, the guest's selector copies. The i686 profile (and QEMU's qemu32) has no clzero:
 * #UD. Oracle: "#UD", then a callout (`in`) works, status 1; golden: QEMU's. */
#include "hostile.h"

int main(void) {
    print("gs clzero at gs:0 (GS = flat data)\n");
    __asm__ volatile("mov %w0, %%gs" ::"r"(SEL_DATA));
    const uint32_t before = last_trap.count;
    __asm__ volatile("movl $1f, trap_resume\n gs; .byte 0x0f, 0x01, 0xfc\n"
                     "1: movl $0, trap_resume\n inb $0x80, %%al" ::"a"(0) : "memory");
    gprintf("gs clzero: %s\n", last_trap.count != before ? trap_name(last_trap.vector) : "no #UD");
    print("the callout after it returned\n");
    return 0;
}
