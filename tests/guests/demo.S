/* demo: far transfers and iret for the demo guest (see demo.c). */
#include "lib/guest.h"

    .text
/* uint32_t demo_lcall(void): lcall $SEL_CODE; returns the CS the call pushed. */
    .globl demo_lcall
    .balign 16
demo_lcall:
    lcall $SEL_CODE, $1f
    ret
1:  movzwl 4(%esp), %eax
    lret

/* uint32_t demo_lret(void): a far return to SEL_CODE_BASED (base 1 MiB) at demo_lret_seen;
 * returns the EIP the code there sees for demo_lret_seen (0x2000 + n: it is in .fixed). */
    .globl demo_lret
    .balign 16
demo_lret:
    pushl $SEL_CODE_BASED
    pushl $(demo_lret_target - CODE_BASED_BASE)
    lret
demo_lret_back:
    ret

/* void demo_iret(void): cli, then iret to SEL_CODE with IF set in the popped EFLAGS. */
    .globl demo_iret
    .balign 16
demo_iret:
    cli
    pushf
    orl $EFLAGS_IF, (%esp)
    pushl $SEL_CODE
    pushl $1f
    iret
1:  ret

    .section .fixed, "ax"
    .globl demo_lret_target, demo_lret_seen
demo_lret_target:
    call demo_lret_seen
demo_lret_seen:
    pop %eax
    ljmp $SEL_CODE, $demo_lret_back

    .section .note.GNU-stack, "", @progbits
