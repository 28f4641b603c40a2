/* The real-mode routine of the `realmode` guest, copied to 0x6000 and entered from 32-bit code
 * with `lcall $SEL_CODE16, $0x6000`. It leaves protected mode (mov to CR0), runs a list of
 * real-mode checks with CS = 0x0600, stores what it saw at 0x7800 (RESULT below), and comes
 * back to protected mode (mov to CR0, or lmsw when the word at 0x7800 is 1) and to the caller
 * with lretl. */
#include "lib/guest.h"

#define LIN(label) (label - realmode_start + 0x6000) /* linear (= the 16-bit PM offset) */
#define RM(label) (label - realmode_start)          /* offset in real-mode CS 0x0600 */
#define RESULT(n) (0x7800 + (n))                    /* DS = 0 */
    .data
    .globl realmode_start, realmode_end
    .code16
realmode_start:
    /* 16-bit protected mode: CS = SEL_CODE16, the stack still the flat 32-bit one. */
    movl %esp, LIN(saved_esp)
    sidtl LIN(saved_idt)
    mov $SEL_DATA, %ax          /* FS keeps a flat 4 GiB segment into real mode (unreal) */
    mov %ax, %fs
    mov $SEL_DATA16, %ax        /* the others 64 KiB, 16-bit, as the SDM (9.9.2) asks */
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %gs
    lidtl LIN(real_idt)
    mov %cr0, %eax
    and $0xfffffffe, %eax
    mov %eax, %cr0
    ljmp $0x0600, $RM(real)
real:
    /* Real mode. FS still holds selector 0x10 with the hidden base 0 of protected mode: its
     * base is not 0x10 * 16 until FS is loaded again. */
    movl %fs:0x7900, %eax
    xor %bx, %bx
    mov %bx, %ds
    mov %eax, RESULT(4)
    mov %bx, %ss
    mov $0x5000, %sp
    /* Segment arithmetic: 1000:0010 and 1001:0000 are one byte; ES and DS are two caches. */
    mov $0x1000, %ax
    mov %ax, %es
    movw $0x5a5a, %es:0x0010
    mov $0x1001, %ax
    mov %ax, %ds
    mov 0, %cx
    xor %ax, %ax
    mov %ax, %ds
    mov %cx, RESULT(8)
    /* Offsets wrap at 64 KiB: [bx+si] = 0xfff0 + 0x0020 is offset 0x0010 of ES. */
    mov $0xfff0, %bx
    mov $0x0020, %si
    movw $0x1234, %es:(%bx,%si)
    mov %es:0x0010, %ax
    mov %ax, RESULT(10)
    /* FFFF:0010 is linear 1 MiB (A20 enabled): the guest's first bytes, not the IVT's. */
    mov $0xffff, %ax
    mov %ax, %es
    movl %es:0x0010, %eax
    mov %eax, RESULT(12)
    /* int n through the IVT: vector 0x60 at 0000:0180. */
    movw $RM(isr60), 0x180
    movw $0x0600, 0x182
    xor %dx, %dx
    sti
    int $0x60
after_int:
    pushf
    pop %ax
    cli
    mov %ax, RESULT(24)
    mov %dx, RESULT(22)
    mov %sp, RESULT(46)
    /* pushf/popf: IF and IOPL are the guest's own in real mode (CPL 0). */
    push $0x0202
    popf
    pushf
    pop %ax
    mov %ax, RESULT(26)
    push $0x3002
    popf
    pushf
    pop %ax
    mov %ax, RESULT(28)
    push $0x0002
    popf
    pushf
    pop %ax
    mov %ax, RESULT(30)
    /* A far call to the same code through another CS:IP (05f0:0100 + offset), lret. */
    lcall $0x05f0, $(RM(farsub) + 0x100)
    mov %ax, RESULT(32)
    /* An indirect far jump through a pointer read with cs:. */
    ljmp *%cs:RM(farptr)
    movw $0xdead, RESULT(34)
jumped:
    movw $0x600d, RESULT(34)
    /* cs: reads a table in the code segment (not DS, which is 0 here), and writes it. */
    mov $2, %bx
    mov %cs:RM(table)(%bx), %ax
    mov %ax, RESULT(36)
    movw $0x4321, %cs:RM(scratch)
    mov LIN(scratch), %ax
    mov %ax, RESULT(38)
    /* Unreal mode: FS loaded again (base 0) keeps its 4 GiB limit; read 2 MiB through it. */
    xor %ax, %ax
    mov %ax, %fs
    mov $0x200000, %ebx
    addr32 movl %fs:(%ebx), %eax
    mov %eax, RESULT(40)
    smsw %ax
    and $0x1f, %ax
    mov %ax, RESULT(44)
    /* The stack wraps at 64 KiB: a push with SP = 0 stores at SS:FFFE. */
    mov %sp, %bp
    mov $0x4000, %ax
    mov %ax, %ss
    xor %sp, %sp
    pushw $0x1357
    mov %sp, %cx
    xor %ax, %ax
    mov %ax, %ss
    mov %bp, %sp
    mov %cx, RESULT(48)
    mov $0x4000, %ax
    mov %ax, %es
    mov %es:0xfffe, %ax
    mov %ax, RESULT(50)
    /* SeaBIOS's interrupt entry: pops and segment stores through [eax] (addr32) in 16-bit
     * code; a mov from a segment register to memory stores 16 bits, 0x66 or not. */
    movl $RESULT(0x60), %eax
    movl $0xaaaaaaaa, 8(%eax)
    movl $0xbbbbbbbb, 12(%eax)
    pushl $0x12345678
    pushw $0x4321
    .byte 0x67, 0x8f, 0x00             /* popw (%eax) */
    .byte 0x67, 0x66, 0x8f, 0x40, 0x04 /* popl 4(%eax) */
    .byte 0x67, 0x66, 0x8c, 0x50, 0x08 /* movl %ss, 8(%eax) */
    .byte 0x67, 0x8c, 0x40, 0x0c       /* movw %es, 12(%eax) */
    mov %sp, RESULT(0x70)
    /* 32-bit near calls in 16-bit code (SeaBIOS's C code): calll pushes 4 bytes, retl pops
     * them; a 16-bit ret $2 releases its bytes from SP. */
    movl $RM(sub32), %ecx
    calll *%ecx
    mov %sp, RESULT(0x72)
    calll sub32
    mov %ax, RESULT(0x74)
    push $0x7777
    call sub16_ret2
    mov %sp, RESULT(0x76)
    /* ESP's upper half survives with a 16-bit SS, across a port read (an exit to the monitor
     * and back). */
    movl $0xabcd5000, %esp
    inb $0x80, %al
    movl %esp, %ebx
    movl $0x5000, %esp
    movl %ebx, RESULT(0x78)
    /* A20 off (the 8042's command 0xdd and port 0x92 bit 1): FFFF:0010 wraps to 0000:0000,
     * a store to FFFF:B010 lands at 0000:B000 (not at 0x10b000); then A20 on again (0xdf). */
    mov $0xdd, %al
    outb %al, $0x64
    inb $0x92, %al
    and $0xfd, %al
    outb %al, $0x92
    mov $0xffff, %ax
    mov %ax, %es
    movl %es:0x0010, %eax
    mov %eax, RESULT(0x80)
    movw $0x2020, %es:0xb010
    mov $0xdf, %al
    outb %al, $0x64
    movl %es:0x0010, %eax
    mov %eax, RESULT(0x84)
    /* Back to protected mode: mov to CR0, or lmsw on the second round. */
    lidtl LIN(saved_idt)
    cmpw $1, RESULT(0)
    je 1f
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    jmp 2f
1:  smsw %ax
    or $1, %ax
    lmsw %ax
2:  ljmp $SEL_CODE16, $LIN(protected)
protected:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    movl LIN(saved_esp), %esp
    mov %cr0, %eax
    mov %ax, RESULT(52)
    lretl

isr60:  /* IF and TF clear here; the frame holds IP, CS, FLAGS */
    pushf
    pop %ax
    mov %ax, RESULT(16)
    mov %sp, %bp
    mov (%bp), %ax
    mov %ax, RESULT(18)
    mov 2(%bp), %ax
    mov %ax, RESULT(20)
    mov $0xbeef, %dx
    iret

farsub:
    mov %cs, %ax
    lret
sub32:
    mov %sp, %ax
    retl
sub16_ret2:
    ret $2

    .p2align 2
farptr:
    .word RM(jumped), 0x0600
table:
    .word 0x1111, 0x2222, 0x3333
scratch:
    .word 0
    .p2align 2
saved_esp:
    .long 0
saved_idt:
    .word 0
    .long 0
real_idt:
    .word 0x3ff
    .long 0
realmode_end:
    .code32

    .section .note.GNU-stack,"",@progbits
