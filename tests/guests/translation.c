/* translation: shapes that a binary translator must get right, checked against real hardware
 * (QEMU): self-modifying code (another block's code, and a later instruction of the same
 * block), a branch into the middle of an already translated block, an instruction straddling
 * a page boundary whose second page is rewritten, 16-bit operand/address-size prefixes in
 * 32-bit code (jcxz/loop with addr16), rep string instructions with DF clear and set, and a
 * loop calling many distinct generated functions (enough code to fill a small cache). */
#include "lib/guest.h"

uint32_t smc_target(void);
extern volatile uint32_t smc_imm;
uint32_t smc_same_block(void);
uint32_t mid_block(void);
uint32_t mid_block_inner(void);
uint32_t prefixes(void);
uint32_t straddle(void);
uint32_t data_beside_code(uint32_t n);
extern volatile uint32_t straddle_imm;

static uint8_t src[256], dst[256];
static uint8_t generated[64 * 1024];

static uint32_t rep_strings(void) {
    for (int i = 0; i < 256; ++i) src[i] = (uint8_t)(i * 7 + 3);
    uint32_t sum = 0;
    __asm__ volatile("cld; rep movsb" : : "S"(src), "D"(dst), "c"(256) : "memory");
    for (int i = 0; i < 256; ++i) sum += dst[i];
    __asm__ volatile("std; rep stosl; cld" : : "D"(dst + 252), "c"(16), "a"(0x01020304) : "memory");
    for (int i = 0; i < 256; ++i) sum = sum * 31 + dst[i];
    uint32_t left;
    __asm__ volatile("cld; repe cmpsb" : "=c"(left) : "S"(src), "D"(dst), "c"(256) : "memory");
    sum += left;
    __asm__ volatile("cld; repne scasb" : "=c"(left) : "D"(src), "c"(256), "a"(src[100]) : "memory");
    return sum + left;
}

/* 4096 functions `mov $i,%eax; ret` (6 bytes each, 16 apart), each called twice. */
static uint32_t many_functions(void) {
    for (uint32_t i = 0; i < 4096; ++i) {
        uint8_t* f = generated + 16 * i;
        f[0] = 0xb8;
        f[1] = (uint8_t)i, f[2] = (uint8_t)(i >> 8), f[3] = 0, f[4] = 0;
        f[5] = 0xc3;
    }
    uint32_t sum = 0;
    for (int round = 0; round < 2; ++round)
        for (uint32_t i = 0; i < 4096; ++i) sum += ((uint32_t(*)(void))(generated + 16 * i))();
    return sum;
}

int main(void) {
    print("translation shapes\n");
    uint32_t a = smc_target();
    smc_imm = 2;
    uint32_t b = smc_target();
    smc_imm = 3;
    gprintf("self-modifying code, another block: %u %u %u\n", a, b, smc_target());
    gprintf("self-modifying code, same block: %02x\n", smc_same_block());
    gprintf("branch into a translated block: %u then %u\n", mid_block(), mid_block_inner());
    gprintf("16-bit prefixes: %08x\n", prefixes());
    a = straddle();
    straddle_imm = 0x22222222;
    gprintf("page-straddling instruction: %08x, rewritten %08x\n", a, straddle());
    gprintf("rep strings: %08x\n", rep_strings());
    gprintf("4096 generated functions: %u\n", many_functions());
    gprintf("a word beside its code, 100000 increments: %u\n", data_beside_code(100000));
    return 0;
}
