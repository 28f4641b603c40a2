/* smp_ipi's AP start-up code. ap_trampoline..ap_trampoline_end is copied to 0x7000 (the SIPI
 * vector 0x07): the AP starts there in real mode, CS = 0x0700, IP = 0; it loads the kit's GDT
 * (GDT_BASE fits the 24 bits a 16-bit lgdt takes), sets CR0.PE and far-jumps to ap_start32,
 * which loads the flat data selectors, the AP's own stack and calls ap_main (smp_ipi.c). */
#include "lib/guest.h"

    .section .text
    .code16
    .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    lgdtl %cs:(ap_gdt_descriptor - ap_trampoline)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE, $ap_start32
ap_gdt_descriptor:
    .word GDT_LIMIT
    .long GDT_BASE
ap_trampoline_end:

    .code32
ap_start32:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $ap_stack_top, %esp
    call ap_main
1:  hlt
    jmp 1b
