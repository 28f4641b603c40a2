/* fpu_pointers -- the x87 environment stores as a way to find the monitor: a guest runs an x87
 * instruction, then fnstenv/fxsave/fnsave, and reads the instruction pointer and code selector
 * the FPU recorded. Stored natively under bt they would be the host's: the instruction's address
 * in the translation cache and the monitor's selector. The stores run with paging on, from a
 * code segment of the guest's own GDT based at 0x1000, so FIP must be the offset in that
 * segment (SDM vol. 1, 8.1.8: in protected mode the x87 instruction pointer is the CS offset)
 * and FCS the guest's selector (as a CPU of the guest's profile stores it). Golden: the SDM's
 * answer, bt's output; QEMU TCG stores 0 as fxsave's pointers (fpu_pointers.qemu.expected);
 * trap is skipped (no paging there). Before core/emulate/fpu_env.cpp bt printed ESCAPED. */
#include "hostile.h"

#define BASE 0x1000u
uint8_t env[28] __attribute__((aligned(16)));
uint8_t fx[512] __attribute__((aligned(16)));
uint8_t sv[108];
extern char fp_insn1[], fp_insn2[], fp_insn3[];

static void report(const char* what, uint32_t fip, uint32_t fcs, const char* insn) {
    const uint32_t offset = (uint32_t)insn - BASE;
    gprintf("%s: fip %s, fcs %s\n", what,
            fip == offset           ? "the offset in CS"
            : fip == (uint32_t)insn ? "the linear address"
            : fip == 0              ? "0"
                                    : "ESCAPED (a host address)",
            fcs == SEL_A ? "the guest's"
            : fcs == 0   ? "0"
                         : "ESCAPED (a host selector)");
}

int main(void) {
    print("x87 pointers stored from a code segment based at 0x1000, paging on\n");
    paging_on(0);
    set_desc(SEL_A, BASE, 0x3ff, 0x9b, FL_G | FL_DB); /* 4 MiB of code from 0x1000 */
    __asm__ volatile(
        "ljmp %[sel], $1f - 0x1000\n"
        "1: fninit\n"
        "fp_insn1: fld1\n fnstenv env\n"
        "fp_insn2: fldpi\n fxsave fx\n"
        "fp_insn3: fldz\n fnsave sv\n"
        "ljmp %[code], $2f\n"
        "2:\n" ::[sel] "i"(SEL_A),
        [code] "i"(SEL_CODE)
        : "memory");
    paging_off();
    report("fnstenv", *(uint32_t*)(env + 12), *(uint16_t*)(env + 16), fp_insn1);
    report("fxsave", *(uint32_t*)(fx + 8), *(uint16_t*)(fx + 12), fp_insn2);
    report("fnsave", *(uint32_t*)(sv + 12), *(uint16_t*)(sv + 16), fp_insn3);
    return 0;
}
