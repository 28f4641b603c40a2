/* Minimal handlers for the nanobenchmarks: no C, no dispatcher, so that the figures are the
 * virtualization cost and not the guest runtime's. */
    .text
    .globl nb_iret_handler, nb_divide_handler, nb_divide_by_zero, nb_leaf
nb_iret_handler:            /* int $0x80 target: return at once */
    iret
nb_divide_handler:          /* #DE: skip the 2-byte `div %ecx`, return */
    addl $2, (%esp)
    iret
nb_divide_by_zero:          /* eax = 1, edx = 0, ecx = 0: div faults */
    push %ebx
    mov $1, %eax
    xor %edx, %edx
    xor %ecx, %ecx
    div %ecx
    pop %ebx
    ret
nb_leaf:
    ret
    .section .note.GNU-stack,"",@progbits
