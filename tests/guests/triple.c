/* triple: a triple fault. Loads an IDT with limit 0 and executes ud2: #UD's gate is beyond
 * the limit (#GP), so is #GP's (#DF), so is #DF's: the processor shuts down. prevt exits
 * with status 3 (triple.expected); QEMU with -no-reboot exits 0 (triple.qemu.expected). */
#include "lib/guest.h"

int main(void) {
    print("about to triple fault\n");
    struct dtr empty = {0, IDT_BASE};
    lidt(&empty);
    __asm__ volatile("ud2");
    print("still running after the triple fault\n");
    return 1;
}
