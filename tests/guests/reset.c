/* reset: the guest resets the machine through port 0x92's fast-reset bit (bit 0 set from 0).
 * QEMU with -no-reboot (run_guest.sh's) exits with status 0 then; prevt never reboots and ends
 * the run the same way, with a line on stderr (core/machine_pc.cpp). Nothing after the reset
 * may run: the line after it must not appear. */
#include "lib/guest.h"

int main(void) {
    print("resetting through port 0x92\n");
    outb(0x92, inb(0x92) & ~1u);
    outb(0x92, inb(0x92) | 1u);
    for (volatile int i = 0; i < 100000000; ++i) {
    }
    print("still running after the reset\n");
    return 1;
}
