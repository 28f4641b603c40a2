/* escape: see escape.S. Prints the exception the far jump raised and exits. */
#include "lib/guest.h"

void escape_jump(void);

int main(void) {
    print("far jump to selector 0x33 (the host's 64-bit code segment)\n");
    const uint32_t before = last_trap.count;
    escape_jump();
    if (last_trap.count == before) {
        print("no exception: the guest is not where it thinks it is\n");
        return 1;
    }
    gprintf("vector %u error %08x\n", last_trap.vector, last_trap.error);
    return 0;
}
