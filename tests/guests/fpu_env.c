/* fpu_env: the x87 environment stores fnstenv, fxsave and fnsave record the guest's own FIP
 * (the address of the last x87 instruction, here in main) and FCS, not where a monitor ran it.
 * bt calls them out and stores the guest's values (core/emulate/fpu_env.cpp); QEMU TCG stores
 * FIP 0 in fxsave (fpu_env.qemu.expected); trap runs them natively, at the guest's own
 * addresses. FCS is not printed: hosts that deprecate FCS store 0 (trap shows the host's).
 * fnsave reinitializes the FPU (FCW 0x37f). */
#include "lib/guest.h"
uint8_t env[28] __attribute__((aligned(16)));
uint8_t fx[512] __attribute__((aligned(16)));
uint8_t sv[108];
int main(void) {
    __asm__ volatile("fninit\n fld1\n 1: fldpi\n fnstenv env\n" ::: "memory");
    uint32_t fip = *(uint32_t*)(env + 12);
    gprintf("fnstenv: fcw %x ftw %x fip in main: %s\n", *(uint16_t*)env,
            *(uint16_t*)(env + 8) & 0xffff,
            (fip > (uint32_t)main && fip < (uint32_t)main + 0x100) ? "yes" : "no");
    __asm__ volatile("fninit\n fld1\n fxsave fx\n" ::: "memory");
    fip = *(uint32_t*)(fx + 8);
    gprintf("fxsave: fcw %x fip in main: %s\n", *(uint16_t*)fx,
            (fip > (uint32_t)main && fip < (uint32_t)main + 0x200) ? "yes" : "no");
    __asm__ volatile("fninit\n fldz\n fnsave sv\n" ::: "memory");
    fip = *(uint32_t*)(sv + 12);
    uint16_t fcw;
    __asm__ volatile("fnstcw %0" : "=m"(fcw));
    gprintf("fnsave: fip in main: %s, after it fcw %x\n",
            (fip > (uint32_t)main && fip < (uint32_t)main + 0x300) ? "yes" : "no", fcw);
    return 0;
}
