/* farptr_bytes -- mechanisms 1 and 2: two expand-up data segments of one byte each (limit 0,
 * byte granularity) whose bases, guest linear 0xfdff100e and 0xfdff100f, are host 0xfe00100e
 * and 0xfe00100f under bt: bytes 14 and 15 of the per-vCPU area, the top half of the far
 * pointer's offset (0xfe000000). ES and FS are loaded first (callouts, with the far pointer
 * intact), then two byte stores make it 0x00200000 = PAYLOAD_HOST without a callout in
 * between, then `in` calls out. The shadow of a segment whose base lies at or above the
 * monitor keeps "limit 0" = one byte, not empty. Real hardware: both stores go to unassigned
 * physical memory. Oracle: no "ESCAPED", status 1; golden: QEMU's. */
#include "hostile.h"

int main(void) {
    print("two one-byte segments at 0xfdff100e and 0xfdff100f\n");
    install_payload();
    set_desc(SEL_A, MON_GUEST(HOST_FAR_PTR + 2), 0, ACC_DATA_RW, FL_DB);
    set_desc(SEL_B, MON_GUEST(HOST_FAR_PTR + 3), 0, ACC_DATA_RW, FL_DB);
    uint8_t v;
    __asm__ volatile("mov %w1, %%es\n"
                     "mov %w2, %%fs\n"
                     "movb %3, %%es:0\n"
                     "movb %4, %%fs:0\n"
                     "inb $0x80, %%al\n"
                     "mov %w5, %%es\n"
                     "mov %w5, %%fs\n"
                     : "=a"(v)
                     : "r"(SEL_A), "r"(SEL_B), "i"((PAYLOAD_HOST >> 16) & 0xff),
                       "i"(PAYLOAD_HOST >> 24), "r"(SEL_DATA)
                     : "memory");
    print("the callout returned: the far pointer held\n");
    return 0;
}
