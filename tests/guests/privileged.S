/* privileged: rdmsr/wrmsr of an MSR that does not exist (see privileged.c). */
#include "lib/guest.h"

CASE_BEGIN priv_rdmsr_unknown
    mov $0x12345678, %ecx
    xor %eax, %eax
    xor %edx, %edx
CASE_AT priv_rdmsr_unknown
    rdmsr
CASE_END priv_rdmsr_unknown

CASE_BEGIN priv_wrmsr_unknown
    mov $0x12345678, %ecx
    xor %eax, %eax
    xor %edx, %edx
CASE_AT priv_wrmsr_unknown
    wrmsr
CASE_END priv_wrmsr_unknown

/* void priv_reload_segments(void): far jump to SEL_CODE, reload the data selectors. */
    .globl priv_reload_segments
    .balign 16
priv_reload_segments:
    ljmp $SEL_CODE, $1f
1:  mov $SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    ret

    .section .note.GNU-stack, "", @progbits
