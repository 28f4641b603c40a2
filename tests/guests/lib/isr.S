/* The 256 interrupt/exception entry stubs and their common part. Stub N is at
 * isr_stubs + 16 * N; it pushes a zero error code (unless the CPU pushed one: vectors 8, 10-14,
 * 17, 21), then N, and jumps to isr_common, which saves the registers as struct frame
 * (guest.h), loads the flat data selector into DS/ES and calls isr_dispatch(frame). The
 * dispatcher may change the frame; isr_common restores it and irets. */
#include "guest.h"

    .text
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21
    .else
    pushl $0
    .endif
    pushl $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

    .balign 16
isr_common:
    pusha
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    cld
    push %esp
    call isr_dispatch
    add $4, %esp
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popa
    add $8, %esp                   /* vector, error code */
    iret
