/* iret_flags: iretd at CPL 0, the case a binary translator inlines (same CS, no VM86, no task
 * return) and its neighbours it must leave to the virtual CPU. Each case builds an iret
 * frame by hand, irets to the next instruction, and reads back EFLAGS (pushfl) and how far
 * ESP moved: the arithmetic flags, DF, IF, IOPL and NT must come from the frame. Then an
 * iret to another code segment (base 1 MiB), and 1000 irets in a loop with changing flags. */
#include "lib/guest.h"

/* irets through a frame (eip = 1f, cs, flags); returns EFLAGS after, *moved = ESP change. */
static uint32_t iret_with(uint32_t flags, uint32_t cs, uint32_t eip_bias, uint32_t* moved) {
    uint32_t after, esp_before, esp_after;
    __asm__ volatile(
        "mov %%esp, %[before]\n"
        "pushl %[flags]\n"
        "pushl %[cs]\n"
        "pushl $1f\n"
        "sub %[bias], (%%esp)\n"
        "iret\n"
        "1: pushfl\n"
        "popl %[after]\n"
        "mov %%esp, %[esp_after]\n"
        "pushl $0x002\n" /* clean flags again: DF, NT, IOPL, IF back to 0 */
        "popfl\n"
        : [after] "=&r"(after), [before] "=&r"(esp_before), [esp_after] "=&r"(esp_after)
        : [flags] "r"(flags), [cs] "r"(cs), [bias] "r"(eip_bias)
        : "memory", "cc");
    *moved = esp_before - esp_after;
    return after;
}

int main(void) {
    print("iret at CPL 0\n");
    static const uint32_t cases[] = {
        0x002,  0x003,  0x0d7,  0x8d7,  0x802,  0x046,  0x402,  0x202,
        0x3202, 0x1002, 0x4002, 0x4ad7, 0x2ed5, 0x0893, 0x0615, 0x7ed7,
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        uint32_t moved;
        const uint32_t after = iret_with(cases[i], SEL_CODE, 0, &moved);
        gprintf("iret flags %08x: eflags %08x, esp moved %d\n", cases[i], after, (int)moved);
    }
    uint32_t based, cs_seen;
    __asm__ volatile(
        "pushl $0x0c3\n"
        "pushl %2\n"
        "pushl $1f - %c3\n"
        "iret\n"
        "1: pushfl\n"
        "popl %0\n"
        "mov %%cs, %1\n"
        "ljmp %4, $2f\n"
        "2: pushl $0x002\n"
        "popfl\n"
        : "=&r"(based), "=&r"(cs_seen)
        : "i"(SEL_CODE_BASED), "i"(CODE_BASED_BASE), "i"(SEL_CODE)
        : "memory", "cc");
    gprintf("iret to the 1 MiB-based segment: eflags %08x, cs there %04x\n", based,
            cs_seen & 0xffff);

    uint32_t sum = 0, moved;
    for (uint32_t i = 0; i < 1000; ++i) {
        const uint32_t f = (i * 0x9e3779b1u) & 0x0cd5; /* CF PF AF ZF SF DF OF */
        sum = sum * 31 + iret_with(f | 2, SEL_CODE, 0, &moved) + moved;
    }
    gprintf("1000 irets: checksum %08x\n", sum);
    return 0;
}
