/* code16: 16-bit protected-mode code (CS.D = 0): 16-bit registers, [bx+si] addressing,
 * loop/jcxz on CX, near calls pushing 16-bit return addresses, ret, indirect calls through a
 * table, rep movsb with SI/DI/CX, mov from CS, pushf/popf, a port read, and 32-bit operands
 * through the 0x66 prefix; entered with a far call from 32-bit code, left with lretl. */
#include "lib/guest.h"

extern char code16_start[], code16_end[];

int main(void) {
    print("16-bit protected-mode code\n");
    volatile uint8_t* low = (volatile uint8_t*)0x7000;
    for (char* p = code16_start; p < code16_end; ++p) *low++ = (uint8_t)*p;
    volatile uint32_t* data = (volatile uint32_t*)0x7800;
    for (int i = 0; i < 16; ++i) data[i] = 0;
    static const uint32_t target[2] = {0x7000, SEL_CODE16};
    __asm__ volatile("lcall *%0" ::"m"(target)
                     : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    volatile uint16_t* w = (volatile uint16_t*)0x7820;
    gprintf("ax %04x dx %04x cs %04x\n", w[0], w[1], w[2]);
    gprintf("copied by rep movsb: %08x, 32-bit operand: %08x\n", data[4], data[10]);
    return 0;
}
