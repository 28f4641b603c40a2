/* smp_startup's AP code, copied to 0x9000 (SIPI vector 0x09): in real mode, CS = 0x0900, it
 * counts itself in (a locked increment of the word at 0x9000 + count offset) and stops in
 * cli; hlt, where only an INIT can reach it. */
    .section .text
    .code16
    .globl startup_code, startup_code_end, startup_count_offset
startup_code:
    cli
    lock incw %cs:(startup_counter - startup_code)
1:  hlt
    jmp 1b
    .p2align 1
startup_counter:
    .word 0
startup_code_end:
    .code32
    .section .rodata
startup_count_offset:
    .long startup_counter - startup_code
