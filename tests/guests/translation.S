/* Code for the `translation` guest: shapes that stress a binary translator. */
#include "lib/guest.h"

    .text
/* smc_target: returns its immediate; the guest rewrites the immediate between calls. */
    .globl smc_target, smc_imm
    .balign 16
smc_target:
    .byte 0xb8              /* mov $imm32,%eax */
smc_imm:
    .long 1
    ret

/* smc_same_block: stores into an instruction later in its own block, then runs it. */
    .globl smc_same_block
smc_same_block:
    movb $0x42, 1f + 1
1:  mov $0x00, %al          /* b0 00: the store above makes it b0 42 */
    movzbl %al, %eax
    ret

/* mid_block: two entry points; the second is in the middle of the first's block. */
    .globl mid_block, mid_block_inner
mid_block:
    mov $1, %eax
    add $2, %eax
mid_block_inner:
    add $10, %eax
    ret

/* prefixes: 16-bit operand and address sizes in 32-bit code; returns a checksum in eax. */
    .globl prefixes
prefixes:
    push %ebx
    push %esi
    xor %eax, %eax
    mov $0x1234, %ax        /* 66 b8 */
    addw $0x1111, %ax       /* 66 05 */
    mov $0x20, %ebx
    mov $0x03, %esi
    addr16 lea 0x10(%bx,%si), %cx   /* 67 66?: 16-bit addressing */
    movzwl %cx, %ecx
    add %ecx, %eax
    pushw $0x7777           /* 66 6a/68 */
    popw %dx                /* 66 5a */
    movzwl %dx, %edx
    add %edx, %eax
    mov $0x10000, %ecx      /* cx = 0: jcxz (addr16) is taken, jecxz would not be */
    jcxz 1f                 /* 67 e3 in 32-bit code */
    add $0x100000, %eax
1:  mov $3, %ecx
2:  add $1, %eax            /* loop with a 16-bit counter */
    addr16 loop 2b
    pop %esi
    pop %ebx
    ret

/* page_straddle: an instruction that crosses a page boundary, then its immediate is
 * rewritten on the second page. */
    .section .text.straddle, "ax"
    .balign 4096
    .skip 4093
    .globl straddle, straddle_imm
straddle:
    .byte 0xb8              /* mov $imm32,%eax: 1 byte on this page, 4 on the next */
straddle_imm:
    .long 0x11111111
    ret

    .text
/* data_beside_code(n): increments a word on its own code page n times, returns it. The store
 * never touches the loop's bytes: a translator must not drop the loop (sub-page precision),
 * and after a few write faults should stop faulting (adaptive translation). */
    .globl data_beside_code
    .balign 4096
data_beside_code:
    mov 4(%esp), %ecx
    movl $0, code_page_word
1:  incl code_page_word
    dec %ecx
    jnz 1b
    mov code_page_word, %eax
    ret
    .balign 64
code_page_word:
    .long 0
    .balign 4096

    .section .note.GNU-stack,"",@progbits

