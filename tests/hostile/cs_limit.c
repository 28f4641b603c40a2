/* cs_limit -- the code segment's limit under bt: control transfers and fetches at the end of
 * a 32-bit code segment (base 0, limit 0x1fffff, G=1) whose bytes beyond the limit are RAM
 * holding `ret`. SDM vol. 2 (JMP, CALL, RET, Jcc, LOOP): a target beyond CS's limit raises
 * #GP(0) at the branch (nothing pushed); SDM vol. 3A 5.3: a fetch of a byte beyond the limit
 * raises #GP(0) at the instruction. bt never checks CS's limit when it translates or chains
 * (core/engines/bt_cache.cpp read_code reads linear bytes; bt/transfers.cpp retarget and the
 * lookup take any target), so every case runs. A guest kernel that confines user code with a
 * CS limit (OpenBSD's i386 W^X, exec-shield) is defeated: its processes run data as code.
 * Golden: the trap engine's output (the host CPU checks the shadow CS limit natively); QEMU
 * TCG does not check CS limits either (cs_limit.qemu.expected). */
#include "hostile.h"

#define LIM 0x1fffffu
uint32_t saved_esp;
extern char resume_here[];

static void run(const char* name, const uint8_t* code, uint32_t n, uint32_t at, uint32_t eax) {
    memset((void*)0x1fff00, 0x90, 0x100);
    *(volatile uint8_t*)0x200000 = 0xc3; /* ret, beyond the limit */
    *(volatile uint8_t*)0x200010 = 0xc3;
    memcpy((void*)at, code, n);
    last_trap.count = 0;
    uint32_t ecx = 3;
    trap_resume = (uint32_t)resume_here;
    __asm__ volatile("push %%ebx\n push %%esi\n push %%edi\n push %%ebp\n"
                     "mov %%esp, saved_esp\n"
                     "call *%%edx\n"
                     "jmp 2f\n"
                     ".globl resume_here\n resume_here:\n"
                     "mov saved_esp, %%esp\n"
                     "2: pop %%ebp\n pop %%edi\n pop %%esi\n pop %%ebx\n"
                     : "+a"(eax), "+c"(ecx) : "d"(at) : "memory", "cc");
    trap_resume = 0;
    if (last_trap.count)
        gprintf("%s: %s(%x) at %08x\n", name, trap_name(last_trap.vector), last_trap.error,
                last_trap.eip);
    else
        gprintf("%s: no fault\n", name);
}

int main(void) {
    print("branches and fetches at the end of CS (limit 0x1fffff)\n");
    set_desc(SEL_A, 0, LIM >> 12, 0x9b, FL_G | FL_DB);
    __asm__ volatile("ljmp %0, $1f\n 1:" ::"i"(SEL_A));
    static const uint8_t jmp_ind[] = {0xff, 0xe0};                        /* jmp *%eax */
    static const uint8_t jmp_rel[] = {0xe9, 0x0b, 0x00, 0x00, 0x00};     /* jmp 0x200000 */
    static const uint8_t call_rel[] = {0xe8, 0x0b, 0x00, 0x00, 0x00};    /* call 0x200000 */
    static const uint8_t push_ret[] = {0x68, 0x00, 0x00, 0x20, 0x00, 0xc3};
    static const uint8_t jz_rel[] = {0x31, 0xc0, 0x0f, 0x84, 0x08, 0x00, 0x00, 0x00};
    static const uint8_t jnz_rel[] = {0x31, 0xc0, 0x0f, 0x85, 0x08, 0x00, 0x00, 0x00, 0xc3};
    static const uint8_t loop_rel[] = {0xe2, 0x0e};                       /* loop 0x200000 */
    static const uint8_t movimm[] = {0xb8, 1, 2, 3, 4};
    static const uint8_t nops[] = {0x90, 0x90, 0x90, 0x90};
    static const uint8_t call_ind[] = {0xff, 0xd0};
    run("jmp *%eax to 0x200000", jmp_ind, 2, 0x1ffff0, 0x200000);
    run("jmp *%eax to 0x1fffff", jmp_ind, 2, 0x1ffff0, 0x1fffff);
    run("jmp rel32 to 0x200000", jmp_rel, 5, 0x1ffff0, 0);
    run("call rel32 to 0x200000", call_rel, 5, 0x1ffff0, 0);
    run("call *%eax to 0x200010", call_ind, 2, 0x1ffff0, 0x200010);
    run("push; ret to 0x200000", push_ret, 6, 0x1ffff0, 0);
    run("jz taken to 0x200000", jz_rel, 8, 0x1ffff0, 0);
    run("jnz not taken", jnz_rel, 9, 0x1ffff0, 0);
    run("loop to 0x200000", loop_rel, 2, 0x1ffff0, 0);
    run("nops into 0x200000", nops, 4, 0x1ffffc, 0);
    run("mov imm32 across the limit", movimm, 5, 0x1ffffd, 0);
    __asm__ volatile("ljmp %0, $1f\n 1:" ::"i"(SEL_CODE));
    return 0;
}
