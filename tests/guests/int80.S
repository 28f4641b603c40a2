/* int80: the system-call instructions under test (see int80.c). */
#include "lib/guest.h"

CASE_BEGIN int80_int                /* Linux i386 getpid: eax = 20, int $0x80 */
    mov $20, %eax
CASE_AT int80_int
    int $0x80
CASE_END int80_int

CASE_BEGIN int80_syscall            /* syscall (0f 05): #UD on an i686 */
CASE_AT int80_syscall
    syscall
CASE_END int80_syscall

CASE_BEGIN int80_sysenter_gp        /* sysenter with SYSENTER_CS = 0: #GP(0) */
CASE_AT int80_sysenter_gp
    sysenter
CASE_END int80_sysenter_gp

/* void int80_sysenter(void): sti, sysenter; at SYSENTER_EIP (sysenter_target) record CS, SS,
 * ESP and EFLAGS in se[0..3], then return on the caller's stack. */
    .globl int80_sysenter, sysenter_target, se
    .text
    .balign 16
int80_sysenter:
    push %ebx
    push %esi
    push %edi
    push %ebp
    mov %esp, saved_esp
    sti
    sysenter
    .balign 16
sysenter_target:
    mov %cs, %eax
    mov %eax, se + 0
    mov %ss, %eax
    mov %eax, se + 4
    mov %esp, se + 8
    pushf
    popl se + 12
    mov saved_esp, %esp
    cli
    pop %ebp
    pop %edi
    pop %esi
    pop %ebx
    ret

    .bss
    .balign 4
saved_esp:
    .skip 4
se: .skip 16

    .section .note.GNU-stack, "", @progbits
