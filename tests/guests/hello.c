/* hello: the smallest guest. Prints a greeting, checks the Multiboot magic in EAX and the
 * Multiboot memory information (flags bit 0). The values of mem_lower/mem_upper depend on
 * the firmware (QEMU's SeaBIOS says 639 and 129920 KiB for 128 MiB, keeping the EBDA and the
 * top 128 KiB for itself), so only their plausibility for a 128 MiB machine is printed.
 * Exits with V = 0 (status 1). */
#include "lib/guest.h"

int main(void) {
    print("hello from a prevt test guest\n");
    gprintf("multiboot magic: %08x (%s)\n", mb_magic,
            mb_magic == MULTIBOOT_MAGIC ? "ok" : "WRONG");
    if (mb_magic != MULTIBOOT_MAGIC) return 1;
    const struct multiboot_info* mbi = (const struct multiboot_info*)mb_info;
    gprintf("multiboot flags bit 0 (mem_lower, mem_upper): %u\n", mbi->flags & 1);
    if (mbi->flags & 1) {
        int lower_ok = mbi->mem_lower >= 512 && mbi->mem_lower <= 640;
        int upper_ok = mbi->mem_upper >= 125 * 1024 && mbi->mem_upper <= 127 * 1024;
        gprintf("mem_lower in 512..640 KiB: %s\n", lower_ok ? "yes" : "no");
        gprintf("mem_upper in 125..127 MiB: %s\n", upper_ok ? "yes" : "no");
    }
    return 0;
}
