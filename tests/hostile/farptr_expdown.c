/* farptr_expdown -- mechanisms 1 and 2 (and the payload, 7): an expand-down data segment with
 * limit 0 (valid offsets 1 .. 4 GiB - 1) in ES. Under bt such a shadow is not truncated, so
 * offset MON_GUEST(HOST_FAR_PTR) reaches the per-vCPU area's far pointer (%gs:12): the guest
 * points it at its 64-bit payload in guest RAM, and the next callout (`in`) jumps there.
 * Real hardware: the store goes to physical 0xfdff100c (no paging: unassigned, dropped) and
 * `in` reads the port. Oracle: "ESCAPED" never appears, the status is 1 (main returns 0);
 * the golden is QEMU's. */
#include "hostile.h"

int main(void) {
    print("expand-down ES, limit 0: a dword store at offset 0xfdff100c\n");
    install_payload();
    set_desc(SEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB);
    uint8_t v;
    __asm__ volatile("mov %w1, %%es\n"
                     "movl %2, %%es:0xfdff100c\n" /* the far pointer's offset, under bt */
                     "inb $0x80, %%al\n"          /* a callout */
                     "mov %w3, %%es\n"
                     : "=a"(v)
                     : "r"(SEL_A), "i"(PAYLOAD_HOST), "r"(SEL_DATA)
                     : "memory");
    print("the callout returned: the far pointer held\n");
    return 0;
}
