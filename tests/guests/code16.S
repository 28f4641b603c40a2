/* The 16-bit routine of the `code16` guest, copied to 0x7000 and entered with
 * `lcall $SEL_CODE16, $0x7000` (a 16-bit code segment, base 0, limit 0xffff). */
#include "lib/guest.h"

#define AT(label) (label - code16_start + 0x7000)
    .data
    .globl code16_start, code16_end
    .code16
code16_start:
    mov $0x7800, %bx
    xor %si, %si
    movw $0x1234, (%bx,%si)
    mov (%bx,%si), %ax
    add $0x1111, %ax            /* 0x2345 */
    mov $5, %cx
1:  add %cx, %ax                /* + 5 + 4 + 3 + 2 + 1: loop uses CX */
    loop 1b
    call sub16                  /* near call: a 16-bit return address */
    push %ax
    pop %dx
    mov $0x7800, %si
    mov $0x7810, %di
    mov $4, %cx
    cld
    rep movsb                   /* SI, DI, CX */
    jcxz 2f
    mov $0xdead, %dx
2:  mov $AT(table), %bx
    call *(%bx)                 /* indirect near call through memory */
    call *2(%bx)
    mov %cs, %cx                /* the guest's selector */
    pushf
    popf
    inb $0x80, %al              /* a callout from 16-bit code */
    mov %ax, 0x7820
    mov %dx, 0x7822
    mov %cx, 0x7824
    movl $0x89abcdef, %eax      /* 32-bit operands in 16-bit code (0x66) */
    rol $8, %eax
    mov %eax, 0x7828
    lretl
sub16:
    xor $0x00ff, %ax
    ret
sub16_b:
    inc %dx
    ret
sub16_c:
    add $0x100, %dx
    ret
table:
    .word AT(sub16_b), AT(sub16_c)
code16_end:
    .code32

    .section .note.GNU-stack,"",@progbits
