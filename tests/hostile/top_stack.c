/* top_stack -- mechanism 6: the stack at the top of the 4 GiB with paging mapping a guest
 * frame at 0xfffff000: `push` with ESP = 0 (stores at 0xfffffffc, ESP wraps), `pop` with
 * ESP = 0xfffffffc (ESP wraps to 0). Under bt the shadow SS is truncated below the monitor
 * area, so the accesses fault; today the engine re-enters the cache with no progress until
 * --timeout. Real hardware does the accesses.
 * Oracle: the values below, well before --timeout; golden: QEMU's. */
#include "hostile.h"

int main(void) {
    print("push at ESP 0, pop at ESP 0xfffffffc (paging maps the last page)\n");
    paging_on(1);
    uint32_t esp_after_push, popped, esp_after_pop, saved;
    __asm__ volatile("mov %%esp, %3\n"
                     "xor %%esp, %%esp\n"
                     "pushl $0x12345678\n"
                     "mov %%esp, %0\n"
                     "mov $0xfffffffc, %%esp\n"
                     "popl %1\n"
                     "mov %%esp, %2\n"
                     "mov %3, %%esp\n"
                     : "=&r"(esp_after_push), "=&r"(popped), "=&r"(esp_after_pop), "=&m"(saved)
                     :
                     : "memory");
    const uint32_t top = *(volatile uint32_t*)0xfffffffcu;
    paging_off();
    gprintf("push: esp %08x, the word %08x; pop: %08x, esp %08x\n", esp_after_push, top, popped,
            esp_after_pop);
    return 0;
}
