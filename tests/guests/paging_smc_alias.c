/* paging_smc_alias: self-modifying code through an alias mapping. One physical page of code is
 * mapped at two linear addresses: 0x800000, read-only, the view the code is called through,
 * and 0x900000, writable, the view every change is made through (after paging is on, nothing
 * writes the page at its identity address). The x86 keeps instruction fetch coherent with
 * stores to the same physical memory on the same processor; with a branch between the store
 * and the modified code (the SDM's recommended sequence, 8.1.3), each call must run the new
 * bytes. Checked, printing each return value:
 *  - f = `mov $imm32, %eax; ret`: the immediate patched six times, each value called once and
 *    then 1000 times in a row (hot code), through the read-only view and through the alias;
 *  - g = `jmp rel32` to one of two `mov; ret` targets: the displacement patched back and forth;
 *  - f's bytes replaced by other instructions (`xor %eax,%eax; inc %eax` x3; `ret`) and back;
 *  - h patches its own next instruction through the alias (`movl $v, alias; jmp 1f; 1: mov
 *    $imm32, %eax; ret`): each call returns the value it stored; the stored value is patched
 *    from outside between the calls;
 *  - a write through the read-only view faults (#PF, error P|W, CR0.WP = 1) and the code is
 *    unchanged.
 * A binary translator that only watches writes to the linear address it translated from (or
 * not at all) keeps running the old translation. */
#include "lib/guest.h"

#define P 1u
#define W 2u

#define EXEC_VA 0x00800000u  /* read-only view: calls go here */
#define WRITE_VA 0x00900000u /* writable alias: every patch goes here */
#define F_OFF 0x000u
#define G_OFF 0x100u
#define G_TARGET_A 0x180u
#define G_TARGET_B 0x1c0u
#define H_OFF 0x200u

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t identity[2][1024] __attribute__((aligned(4096)));
static uint32_t code_table[1024] __attribute__((aligned(4096)));
static uint8_t code_frame[4096] __attribute__((aligned(4096)));

typedef uint32_t (*fn)(void);
#define CALL(view, off) (((fn)((view) + (off)))())

static void poke8(uint32_t off, uint8_t v) { *(volatile uint8_t*)(WRITE_VA + off) = v; }
static void poke32(uint32_t off, uint32_t v) { *(volatile uint32_t*)(WRITE_VA + off) = v; }

static void on_page_fault(struct frame* f) {
    last_trap.error = f->error;
    last_trap.eip = READ_CR(2);
    last_trap.count++;
    f->eip = trap_resume;
    trap_resume = 0;
}

void probe_write8(uint32_t addr, uint32_t v);
__asm__(".text\n"
        ".globl probe_write8\n"
        "probe_write8: movl $2f, trap_resume\n"
        "              mov 4(%esp), %eax\n"
        "              mov 8(%esp), %ecx\n"
        "              mov %cl, (%eax)\n"
        "              movl $0, trap_resume\n"
        "2:            ret\n");

/* f: mov $imm, %eax; ret */
static void emit_f(uint32_t imm) {
    poke8(F_OFF, 0xb8);
    poke32(F_OFF + 1, imm);
    poke8(F_OFF + 5, 0xc3);
}

static void set_g_target(uint32_t target) { poke32(G_OFF + 1, target - (G_OFF + 5)); }

/* h: movl $v, WRITE_VA + H_IMM; jmp 1f; 1: mov $0, %eax; ret */
#define H_STORE_IMM (H_OFF + 6)
#define H_IMM (H_OFF + 13)
static void emit_h(void) {
    poke8(H_OFF, 0xc7);
    poke8(H_OFF + 1, 0x05);
    poke32(H_OFF + 2, WRITE_VA + H_IMM);
    poke32(H_STORE_IMM, 0);
    poke8(H_OFF + 10, 0xeb); /* jmp .+2 */
    poke8(H_OFF + 11, 0x00);
    poke8(H_OFF + 12, 0xb8);
    poke32(H_IMM, 0);
    poke8(H_OFF + 17, 0xc3);
}

static uint32_t hot(uint32_t view) {
    uint32_t sum = 0;
    for (int i = 0; i < 1000; ++i) sum += CALL(view, F_OFF);
    return sum;
}

int main(void) {
    print("paging_smc_alias: self-modifying code through an alias mapping\n");
    trap_hooks[14] = on_page_fault;
    for (uint32_t i = 0; i < 2048; ++i) identity[i / 1024][i % 1024] = (i << 12) | P | W;
    dir[0] = (uint32_t)identity[0] | P | W;
    dir[1] = (uint32_t)identity[1] | P | W;
    dir[2] = (uint32_t)code_table | P | W;
    code_table[(EXEC_VA >> 12) & 0x3ff] = (uint32_t)code_frame | P;      /* read-only */
    code_table[(WRITE_VA >> 12) & 0x3ff] = (uint32_t)code_frame | P | W; /* the alias */
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    print("paging on: code page at 00800000 (read-only), alias at 00900000 (writable)\n");

    for (uint32_t i = 0; i < 4096; ++i) poke8(i, 0xcc); /* int3 everywhere else */
    emit_f(0x11111111);
    poke8(G_OFF, 0xe9);
    set_g_target(G_TARGET_A);
    poke8(G_TARGET_A, 0xb8);
    poke32(G_TARGET_A + 1, 0xaaaa0001);
    poke8(G_TARGET_A + 5, 0xc3);
    poke8(G_TARGET_B, 0xb8);
    poke32(G_TARGET_B + 1, 0xbbbb0002);
    poke8(G_TARGET_B + 5, 0xc3);
    emit_h();

    print("-- f: mov $imm32, %eax; ret, the immediate patched through the alias --\n");
    gprintf("f() = %08x\n", CALL(EXEC_VA, F_OFF));
    static const uint32_t values[] = {0x22222222, 0x33333333, 0x0badc0de, 0x00000000,
                                      0xffffffff, 0x12345678};
    for (unsigned k = 0; k < sizeof values / sizeof values[0]; ++k) {
        poke32(F_OFF + 1, values[k]);
        uint32_t once = CALL(EXEC_VA, F_OFF);
        uint32_t sum = hot(EXEC_VA);
        uint32_t via_alias = CALL(WRITE_VA, F_OFF);
        gprintf("imm := %08x: f() = %08x, 1000 calls sum %08x, f() through the alias = %08x\n",
                values[k], once, sum, via_alias);
    }

    print("-- g: jmp rel32, the displacement patched --\n");
    for (int k = 0; k < 4; ++k) {
        set_g_target(k & 1 ? G_TARGET_A : G_TARGET_B);
        gprintf("jmp to target %c: g() = %08x, again %08x\n", k & 1 ? 'A' : 'B',
                CALL(EXEC_VA, G_OFF), CALL(EXEC_VA, G_OFF));
    }

    print("-- f's instructions replaced --\n");
    static const uint8_t incs[] = {0x31, 0xc0, 0x40, 0x40, 0x40, 0xc3}; /* xor; inc x3; ret */
    for (unsigned i = 0; i < sizeof incs; ++i) poke8(F_OFF + i, incs[i]);
    gprintf("xor %%eax,%%eax; inc %%eax x3; ret: f() = %08x, 1000 calls sum %08x\n",
            CALL(EXEC_VA, F_OFF), hot(EXEC_VA));
    poke8(F_OFF + 4, 0xc3); /* one inc fewer */
    gprintf("the third inc made a ret: f() = %08x\n", CALL(EXEC_VA, F_OFF));
    emit_f(0x600d600d);
    gprintf("mov $600d600d, %%eax; ret again: f() = %08x\n", CALL(EXEC_VA, F_OFF));

    print("-- h: patches its own next instruction through the alias --\n");
    gprintf("h() with store value 0: %08x\n", CALL(EXEC_VA, H_OFF));
    static const uint32_t stores[] = {0x5e1f0001, 0x5e1f0002, 0xdeadbeef};
    for (unsigned k = 0; k < sizeof stores / sizeof stores[0]; ++k) {
        poke32(H_STORE_IMM, stores[k]);
        uint32_t r1 = CALL(EXEC_VA, H_OFF);
        uint32_t r2 = CALL(EXEC_VA, H_OFF);
        gprintf("store value := %08x: h() = %08x, again %08x, the immediate now %08x\n", stores[k],
                r1, r2, *(volatile uint32_t*)(EXEC_VA + H_IMM));
    }

    print("-- a write through the read-only view --\n");
    uint32_t before = last_trap.count;
    probe_write8(EXEC_VA + F_OFF + 1, 0x99);
    if (last_trap.count != before)
        gprintf("write to 00800001: #PF error %x cr2 %08x\n", last_trap.error, last_trap.eip);
    else
        print("write to 00800001: NO FAULT\n");
    gprintf("f() = %08x\n", CALL(EXEC_VA, F_OFF));

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    print("paging off\n");
    return 0;
}
