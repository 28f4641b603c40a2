/* farcall: far control transfers at CPL 0 to the guest's own code selectors: lcall ptr16:32
 * and m16:32, ljmp ptr16:32 and m16:32, lret, lret $8 with two parameters, and a far call
 * and a far jump into a second code segment whose base is 1 MiB (its code sits at linear
 * 0x102000, so it sees EIP 0x2000 + n). Prints the CS each target sees (mov %cs), the pushed
 * return address (EIP as an offset from the call, CS), and CS after returning. */
#include "lib/guest.h"

extern volatile uint32_t fc[8];

#define CASE(name) \
    void name(void); \
    extern char name##_at[]
CASE(fc_lcall_imm);
CASE(fc_lcall_mem);
CASE(fc_ljmp_imm);
CASE(fc_ljmp_mem);
CASE(fc_lret8);
CASE(fc_based_call);
CASE(fc_based_jmp);

static void clear(void) {
    for (int i = 0; i < 8; ++i) fc[i] = 0xdeadbeef;
}

static void call_case(const char* what, void (*fn)(void), const char* at) {
    clear();
    fn();
    gprintf("%s: target cs %04x; pushed cs %04x eip at+%u; cs after lret %04x\n", what,
            fc[0] & 0xffff, fc[2] & 0xffff, fc[1] - (uint32_t)at, fc[3] & 0xffff);
}

static void jmp_case(const char* what, void (*fn)(void)) {
    clear();
    fn();
    gprintf("%s: cs after %04x\n", what, fc[3] & 0xffff);
}

int main(void) {
    print("far calls, jumps and returns at CPL 0\n");
    call_case("lcall $0x08,target (ptr16:32)", fc_lcall_imm, fc_lcall_imm_at);
    call_case("lcall *mem (m16:32)", fc_lcall_mem, fc_lcall_mem_at);
    jmp_case("ljmp $0x08,label (ptr16:32)", fc_ljmp_imm);
    jmp_case("ljmp *mem (m16:32)", fc_ljmp_mem);

    clear();
    fc_lret8();
    gprintf("lcall with 2 parameters, lret $8: target cs %04x; parameters %08x %08x; "
            "esp change %d; cs after %04x\n",
            fc[0] & 0xffff, fc[5], fc[6], (int32_t)fc[7], fc[3] & 0xffff);

    clear();
    fc_based_call();
    gprintf("lcall $0x18 (base %08x): target cs %04x eip %08x; pushed cs %04x eip at+%u; "
            "cs after lret %04x\n",
            CODE_BASED_BASE, fc[0] & 0xffff, fc[4], fc[2] & 0xffff,
            fc[1] - (uint32_t)fc_based_call_at, fc[3] & 0xffff);

    clear();
    fc_based_jmp();
    gprintf("ljmp $0x18 and back: target cs %04x eip %08x; cs after %04x\n", fc[0] & 0xffff,
            fc[4], fc[3] & 0xffff);
    return 0;
}
