/* ac_misaligned -- EFLAGS.AC with a misaligned stack at CPL 0: the host checks alignment at
 * ring 3 whatever the guest's CPL, so bt steps over each #AC with AC clear. A popfd that
 * clears AC must leave it clear (the step's end must not put it back), and a pushfd must push
 * AC set and no TF of the step's own. Found by the fuzzer (popf_ac). Oracle: QEMU's golden. */
#include "hostile.h"

int main(void) {
    uint32_t f;
    __asm__ volatile(
        "push $0x40002\n popfl\n sub $2, %%esp\n push $2\n popfl\n add $2, %%esp\n"
        "pushf\n pop %0"
        : "=r"(f)::"memory", "cc");
    gprintf("eflags after a misaligned popfl that clears AC: %x\n", f);
    __asm__ volatile(
        "push $0x40002\n popfl\n sub $2, %%esp\n pushfl\n pop %0\n add $2, %%esp\n"
        "push $2\n popfl"
        : "=r"(f)::"memory", "cc");
    gprintf("pushfl at a misaligned ESP with AC set: %x\n", f);
    return 0;
}
