/* idt_gates: the int instructions under test (see idt_gates.c) and a handler that runs in
 * the code segment whose base is 1 MiB. */
#include "lib/guest.h"

    .text
/* uint32_t NAME(void): executes `int $VEC` with IF set (sti) or clear (cli) before it and
 * returns EFLAGS after the handler's iret. NAME_at labels the int instruction. */
.macro INT_CASE name, vec, ifop
    .globl \name, \name\()_at
    .balign 16
\name:
    \ifop
\name\()_at:
    int $\vec
    pushf
    pop %eax
    cli
    ret
.endm

    INT_CASE int40_sti, 0x40, sti
    INT_CASE int40_cli, 0x40, cli
    INT_CASE int41_sti, 0x41, sti
    INT_CASE int41_cli, 0x41, cli
    INT_CASE int42_sti, 0x42, sti

/* The handler of vector 0x42, reached through a gate whose selector is SEL_CODE_BASED (base
 * 1 MiB): it runs at offset based_handler - 1 MiB = 0x2000 in that segment (guest.ld puts
 * .fixed at 0x102000). It records what it sees and irets; only relative control transfers
 * and flat data accesses, so the segment base does not matter to it. */
    .section .fixed, "ax"
    .globl based_handler, based_seen
based_handler:
    push %eax
    mov %cs, %eax
    mov %eax, based_seen + 0       /* CS in the handler */
    call 1f
1:  pop %eax
    mov %eax, based_seen + 4       /* EIP of 1b as the handler sees it */
    pushf
    pop %eax
    mov %eax, based_seen + 8       /* EFLAGS in the handler */
    mov 4(%esp), %eax
    mov %eax, based_seen + 12      /* pushed EIP */
    mov 8(%esp), %eax
    mov %eax, based_seen + 16      /* pushed CS */
    mov 12(%esp), %eax
    mov %eax, based_seen + 20      /* pushed EFLAGS */
    pop %eax
    iret

    .bss
    .balign 4
based_seen:
    .skip 24

    .section .note.GNU-stack, "", @progbits
