/* farcall: the far control transfers under test (see farcall.c). Results go to fc[]:
 *   fc[0] CS in the target   fc[1] pushed EIP   fc[2] pushed CS   fc[3] CS after return
 *   fc[4] EIP the target sees (segment-relative)  fc[5], fc[6] parameters  fc[7] ESP change */
#include "lib/guest.h"

    .bss
    .balign 4
    .globl fc
fc: .skip 32

    .data
    .balign 4
ptr_target:     .long far_target
                .word SEL_CODE
ptr_jmp:        .long ljmp_mem_landing
                .word SEL_CODE

    .text
/* A far-call target in the flat code segment: records CS and the return address. */
    .balign 16
far_target:
    push %eax
    mov %cs, %eax
    mov %eax, fc + 0
    mov 4(%esp), %eax
    mov %eax, fc + 4
    mov 8(%esp), %eax
    mov %eax, fc + 8
    pop %eax
    lret

/* A far-call target that takes two parameters and pops them with lret $8. */
    .balign 16
far_target_ret8:
    mov %cs, %eax
    mov %eax, fc + 0
    mov 8(%esp), %eax              /* the last parameter pushed */
    mov %eax, fc + 20
    mov 12(%esp), %eax             /* the first */
    mov %eax, fc + 24
    lret $8

.macro CASE name
    .globl \name, \name\()_at
    .balign 16
\name:
.endm
.macro CS_AFTER
    mov %cs, %eax
    mov %eax, fc + 12
    ret
.endm

CASE fc_lcall_imm                  /* lcall ptr16:32 */
fc_lcall_imm_at:
    lcall $SEL_CODE, $far_target
    CS_AFTER

CASE fc_lcall_mem                  /* lcall m16:32 */
fc_lcall_mem_at:
    lcall *ptr_target
    CS_AFTER

CASE fc_ljmp_imm                   /* ljmp ptr16:32 */
fc_ljmp_imm_at:
    ljmp $SEL_CODE, $1f
1:  CS_AFTER

CASE fc_ljmp_mem                   /* ljmp m16:32 */
fc_ljmp_mem_at:
    ljmp *ptr_jmp
ljmp_mem_landing:
    CS_AFTER

CASE fc_lret8                      /* lcall with two parameters, lret $8 */
    push %esi
    mov %esp, %esi
    push $0x11111111
    push $0x22222222
fc_lret8_at:
    lcall $SEL_CODE, $far_target_ret8
    sub %esp, %esi
    mov %esi, fc + 28
    pop %esi
    CS_AFTER

CASE fc_based_call                 /* lcall into the code segment based at 1 MiB */
fc_based_call_at:
    lcall $SEL_CODE_BASED, $(based_target - CODE_BASED_BASE)
    CS_AFTER

CASE fc_based_jmp                  /* ljmp into it, and ljmp back */
fc_based_jmp_at:
    ljmp $SEL_CODE_BASED, $(based_jmp_target - CODE_BASED_BASE)
based_jmp_back:
    CS_AFTER

/* Code in the segment based at 1 MiB: at FIXED_BASE (0x102000), i.e. offset 0x2000 in it.
 * Only relative control transfers and flat data accesses. */
    .section .fixed, "ax"
based_target:
    push %eax
    mov %cs, %eax
    mov %eax, fc + 0
    call 1f
1:  pop %eax
    mov %eax, fc + 16              /* EIP of 1b, relative to the segment base */
    mov 4(%esp), %eax
    mov %eax, fc + 4
    mov 8(%esp), %eax
    mov %eax, fc + 8
    pop %eax
    lret

based_jmp_target:
    mov %cs, %eax
    mov %eax, fc + 0
    call 1f
1:  pop %eax
    mov %eax, fc + 16
    ljmp $SEL_CODE, $based_jmp_back

    .section .note.GNU-stack, "", @progbits
