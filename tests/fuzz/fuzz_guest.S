/* The fuzz guest's assembly half: fuzz_run() enters one generated sequence from a fixed
 * state; the sequence ends with `jmp fuzz_capture`, or an exception enters fuzz_vector_N
 * (256 stubs, their own IDT entries). Both paths store the registers, EFLAGS, the segment
 * selectors, CR0 and an FXSAVE image in fuzz_out without touching the sequence's stack or
 * scratch memory (beyond the CPU's own exception frame), then return to C. DS and SS are
 * never changed by a sequence (the generator loads only ES, FS and GS). */
#include "lib/guest.h"
#include "fuzz.h"

#define OUT_EAX 0
#define OUT_ESP 16
#define OUT_EFL 32
#define OUT_VEC 36
#define OUT_ERR 40
#define OUT_EIP 44
#define OUT_CR2 48
#define OUT_CR0 52
#define OUT_SEL 56 /* es fs gs ds ss: five words */

    .text
    .globl fuzz_run, fuzz_capture, fuzz_vectors, fuzz_fip0
/* void fuzz_run(const struct fuzz_in* in): in = {target, eax, ecx, edx, eflags} */
fuzz_run:
    push %ebx
    push %esi
    push %edi
    push %ebp
    mov %esp, fuzz_host_esp
    mov 20(%esp), %esi
    mov (%esi), %eax
    mov %eax, fuzz_target
    movl $0xff, fuzz_out + OUT_VEC
    movl $0, fuzz_out + OUT_ERR
    movl $0, fuzz_out + OUT_EIP
    movl $0, fuzz_out + OUT_CR2
    /* x87: every physical register gets a known value, then three are in use */
    fninit
    .irp i, 0, 1, 2, 3, 4, 5, 6, 7
    fldl fuzz_fconst + 8 * \i
    .endr
    fninit
    fldl fuzz_fconst + 8 * 3
    fldl fuzz_fconst + 8 * 5
fuzz_fip0:                        /* FIP of a sequence that runs no x87 instruction before it stores an image */
    fldl fuzz_fconst + 8 * 6
    ldmxcsr fuzz_mxcsr_init
    .irp i, 0, 1, 2, 3, 4, 5, 6, 7
    movdqu fuzz_xinit + 16 * \i, %xmm\i
    .endr
    mov $FUZZ_SEL_FS, %ax
    mov %ax, %fs
    mov $SEL_DATA, %ax
    mov %ax, %gs
    mov %ax, %es
    movl $1, fuzz_active
    pushl 16(%esi)
    popfl
    mov 8(%esi), %ecx
    mov 12(%esi), %edx
    mov 4(%esi), %eax
    mov $FUZZ_EBX, %ebx
    mov $FUZZ_ESI, %esi
    mov $FUZZ_EDI, %edi
    mov $FUZZ_EBP, %ebp
    /* Enter by ret, not jmp *: bt translates an indirect jmp as a push below ESP (README). */
    mov $FUZZ_ESP - 4, %esp
    pushl fuzz_target
    popl (%esp)
    ret

/* The end of every sequence. */
fuzz_capture:
    mov %esp, fuzz_out + OUT_ESP
    mov $fuzz_stack_top, %esp
    pushfl
    popl fuzz_out + OUT_EFL
    jmp capture_regs

/* Exception stubs: the vector, the error code if the CPU pushed one, EIP/CS/EFLAGS. */
    .balign 32
fuzz_vectors:
    .set vec, 0
    .rept 256
    .balign 32
    movl $vec, fuzz_out + OUT_VEC
    .if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17
    popl fuzz_out + OUT_ERR
    .endif
    jmp exception
    .set vec, vec + 1
    .endr

exception:
    popl fuzz_out + OUT_EIP
    popl fuzz_fault_cs
    popl fuzz_out + OUT_EFL
    mov %esp, fuzz_out + OUT_ESP
    mov %eax, fuzz_out + OUT_EAX
    mov %cr2, %eax
    mov %eax, fuzz_out + OUT_CR2
    mov fuzz_out + OUT_EAX, %eax
    mov $fuzz_stack_top, %esp
    cmpl $0, fuzz_active
    jne capture_regs
    call fuzz_unexpected          /* an exception outside a sequence: prints, exits */

capture_regs:
    mov %eax, fuzz_out + OUT_EAX
    mov %ecx, fuzz_out + 4
    mov %edx, fuzz_out + 8
    mov %ebx, fuzz_out + 12
    mov %ebp, fuzz_out + 20
    mov %esi, fuzz_out + 24
    mov %edi, fuzz_out + 28
    mov %es, fuzz_out + OUT_SEL
    mov %fs, fuzz_out + OUT_SEL + 2
    mov %gs, fuzz_out + OUT_SEL + 4
    mov %ds, fuzz_out + OUT_SEL + 6
    mov %ss, fuzz_out + OUT_SEL + 8
    mov $SEL_DATA, %ax
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %cr0, %eax
    mov %eax, fuzz_out + OUT_CR0
    mov fuzz_cr0_init, %eax       /* undo lmsw (EM/TS would make fxsave fault) */
    mov %eax, %cr0
    cld
    pushl $2
    popfl
    fxsave fuzz_fx
    fninit
    movl $0, fuzz_active
    mov fuzz_host_esp, %esp
    pop %ebp
    pop %edi
    pop %esi
    pop %ebx
    ret

    .data
    .balign 8
    .globl fuzz_fconst, fuzz_mxcsr_init
fuzz_fconst:                      /* 1.5, -2.25, pi, 1e10, 3.0, 0.1, -7.0, 1e-300 */
    .double 1.5, -2.25, 3.141592653589793, 1e10, 3.0, 0.1, -7.0, 1e-300
fuzz_mxcsr_init:
    .long 0x1f80

    .bss
    .balign 16
    .globl fuzz_out, fuzz_fx, fuzz_xinit, fuzz_active, fuzz_cr0_init
fuzz_fx:
    .skip 512
fuzz_xinit:
    .skip 128
fuzz_out:
    .skip 128
fuzz_host_esp:
    .skip 4
fuzz_target:
    .skip 4
fuzz_fault_cs:
    .skip 4
fuzz_active:
    .skip 4
fuzz_cr0_init:
    .skip 4
    .balign 16
    .skip 4096
fuzz_stack_top:
