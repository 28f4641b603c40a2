/* sensitive: a far call and a far jump to the guest's own code selector (see sensitive.c). */
#include "lib/guest.h"

    .text
/* void sens_lcall(uint32_t out[2]): out[0] = CS in the target, out[1] = CS after lret. */
    .globl sens_lcall
    .balign 16
sens_lcall:
    mov 4(%esp), %edx
    lcall $SEL_CODE, $1f
    mov %cs, %eax
    mov %eax, 4(%edx)
    ret
1:  mov %cs, %eax
    mov %eax, (%edx)
    lret

/* uint32_t sens_ljmp(void): CS after ljmp $0x08. */
    .globl sens_ljmp
    .balign 16
sens_ljmp:
    ljmp $SEL_CODE, $1f
1:  mov %cs, %eax
    ret

    .section .note.GNU-stack, "", @progbits
