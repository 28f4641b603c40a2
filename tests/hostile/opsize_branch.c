/* opsize_branch -- the translator's prefixes: 0x66 (operand-size) on near branches in 32-bit code: jmp/jcc/call rel16,
 * ret/ret imm16 (retw), jmp/call *r16, jmp *m16, push %cs with 0x66. The target IP is
 * 16 bits (EIP's upper half cleared), a 16-bit call/ret pushes/pops 2 bytes (SDM vol. 2:
 * JMP, CALL, RET "operand-size attribute 16"). Snippets at 0x9000, targets at 0x8000.
 * Golden: QEMU's (bt matches it); trap: ring aliasing (push %cs, pushfw's IF, push %ds read
 * the host's values natively, by design). */
#include "hostile.h"

#define SNIP ((volatile uint8_t*)0x9000)
#define TGT ((volatile uint8_t*)0x8000)
static uint32_t esp_before, esp_at, word_at;

/* target at 0x8000: record esp and the word/dword on top, then restore esp and return to C */
static void put_target(void) {
    static const uint8_t t[] = {
        0x89, 0x25, 0, 0, 0, 0,             /* mov %esp, esp_at */
        0x8b, 0x04, 0x24,                   /* mov (%esp),%eax */
        0xa3, 0, 0, 0, 0,                   /* mov %eax, word_at */
        0x8b, 0x25, 0, 0, 0, 0,             /* mov esp_before,%esp */
        0xc3};                              /* ret */
    memcpy((void*)TGT, t, sizeof t);
    uint32_t a = (uint32_t)&esp_at, w = (uint32_t)&word_at, b = (uint32_t)&esp_before;
    memcpy((void*)(TGT + 2), &a, 4);
    memcpy((void*)(TGT + 10), &w, 4);
    memcpy((void*)(TGT + 16), &b, 4);
}

static void run(const char* name, const uint8_t* code, uint32_t n, uint32_t eax) {
    memcpy((void*)SNIP, code, n);
    put_target();
    word_at = 0xdeadbeef;
    esp_at = 0;
    __asm__ volatile("push %%ebp\n push %%ebx\n push %%esi\n push %%edi\n"
                     "mov %%esp, esp_before\n subl $4, esp_before\n"
                     "call *%%ecx\n"
                     "pop %%edi\n pop %%esi\n pop %%ebx\n pop %%ebp\n"
                     : "+a"(eax) : "c"(0x9000) : "edx", "memory", "cc");
    const int delta = (int)(esp_before - esp_at);
    if (delta == 2) /* the 16-bit word pushed */
        gprintf("%s: esp delta %d, pushed %04x\n", name, delta, word_at & 0xffff);
    else
        gprintf("%s: esp delta %d\n", name, delta);
}

int main(void) {
    /* at 0x9000 (after the call: esp_before-4 holds the C return address) */
    static const uint8_t jmp16[] = {0x66, 0xe9, 0xfc, 0xef};              /* jmpw 0x8000 */
    static const uint8_t jz16[] = {0x31, 0xd2, 0x66, 0x0f, 0x84, 0xf9, 0xef}; /* xor; jzw */
    static const uint8_t call16[] = {0x66, 0xe8, 0xfc, 0xef};             /* callw 0x8000 */
    static const uint8_t retw[] = {0x66, 0x68, 0x00, 0x80, 0x66, 0xc3};   /* pushw; retw */
    static const uint8_t retw4[] = {0x66, 0x68, 0x00, 0x80, 0x66, 0xc2, 0x04, 0x00};
    static const uint8_t jmpax[] = {0x66, 0xff, 0xe0};                    /* jmp *%ax */
    static const uint8_t callax[] = {0x66, 0xff, 0xd0};                   /* call *%ax */
    static const uint8_t jmpm16[] = {0x66, 0x68, 0x00, 0x80, 0x66, 0xff, 0x24, 0x24,
                                     /* pushw $0x8000; jmpw *(%esp) */};
    static const uint8_t pushcs16[] = {0x66, 0x0e, 0x66, 0x68, 0x00, 0x80, 0x66, 0xc3};
    static const uint8_t pushfw[] = {0x66, 0x9c, 0x66, 0x68, 0x00, 0x80, 0x66, 0xc3};
    static const uint8_t pushds16[] = {0x66, 0x1e, 0x66, 0x68, 0x00, 0x80, 0x66, 0xc3};
    run("jmp rel16", jmp16, sizeof jmp16, 0);
    run("jz rel16", jz16, sizeof jz16, 0);
    run("call rel16", call16, sizeof call16, 0);
    run("retw", retw, sizeof retw, 0);
    run("retw $4", retw4, sizeof retw4, 0);
    run("jmp *%ax", jmpax, sizeof jmpax, 0x12348000);
    run("call *%ax", callax, sizeof callax, 0x12348000);
    run("jmpw *(%esp)", jmpm16, sizeof jmpm16, 0);
    run("pushw %cs; retw", pushcs16, sizeof pushcs16, 0);
    run("pushfw; retw", pushfw, sizeof pushfw, 0);
    run("pushw %ds; retw", pushds16, sizeof pushds16, 0);
    return 0;
}
