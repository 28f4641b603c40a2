/* Entry of every prevt test guest: the Multiboot v1 header, the system tables at fixed
 * addresses, and _start, which loads the guest's own GDT and IDT before anything else and
 * calls main(). Nothing the boot loader left (its GDT, selectors, EFLAGS, CR0, the stack) is
 * relied on: only EAX and EBX. */
#include "guest.h"

#define MB_HEADER_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* page-align modules, memory information */

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)

/* ---- System tables (addresses in guest.h; guest.ld puts .systables at GDT_BASE) --------- */
/* A descriptor: base, limit (20 bits), access byte, flags nibble (G, D/B). */
#define DESC(base, limit, access, flags)                                  \
    .word ((limit) & 0xffff), ((base) & 0xffff);                          \
    .byte (((base) >> 16) & 0xff), (access),                              \
        ((((flags) & 0xf) << 4) | (((limit) >> 16) & 0xf)), (((base) >> 24) & 0xff)

    .section .systables, "aw"
    .globl gdt, ldt, tss, idt
gdt:                                       /* GDT_BASE; selectors in guest.h */
    .quad 0                                /* 0x00 null */
    DESC(0, 0xfffff, 0x9b, 0xc)            /* 0x08 code, flat, 32-bit, DPL 0 (accessed) */
    DESC(0, 0xfffff, 0x93, 0xc)            /* 0x10 data, flat, 32-bit, DPL 0 */
    DESC(CODE_BASED_BASE, 0xfffff, 0x9b, 0xc) /* 0x18 code, base 1 MiB */
    .org 7 * 8                             /* 0x20-0x37 null (see guest.h) */
    DESC(LDT_BASE, LDT_LIMIT, 0x82, 0x0)   /* 0x38 LDT */
    DESC(TSS_BASE, TSS_LIMIT, 0x89, 0x0)   /* 0x40 32-bit TSS, available */
    DESC(0, 0xfffff, 0xf3, 0xc)            /* 0x48 data, flat, DPL 3 */
    DESC(0, 0xfffff, 0xfb, 0xc)            /* 0x50 code, flat, DPL 3 */
    .org 16 * 8                            /* 0x58-0x7f null (see guest.h) */
    DESC(0, 0xfffff, 0x13, 0xc)            /* 0x80 data, NOT present */
    DESC(0, 0xffff, 0x9b, 0x0)             /* 0x88 code, 16-bit, limit 0xffff */
    DESC(0, 0xffff, 0x93, 0x0)             /* 0x90 data, 16-bit, limit 0xffff */
    .org GDT_ENTRIES * 8                   /* 0x98-0xbf free */

    .org LDT_BASE - GDT_BASE
ldt:                                       /* LDT_BASE */
    DESC(0, 0xfffff, 0x93, 0xc)            /* 0x04 data, flat, DPL 0 */
    DESC(0, 0xfffff, 0x9b, 0xc)            /* 0x0c code, flat, DPL 0 */
    .fill LDT_ENTRIES - 2, 8, 0

    .org TSS_BASE - GDT_BASE
tss:                                       /* TSS_BASE; ss0/esp0 set by _start */
    .fill 26, 4, 0

    .org IDT_BASE - GDT_BASE
idt:                                       /* IDT_BASE; filled by runtime_init() */
    .fill 256, 8, 0

/* ---- Entry ------------------------------------------------------------------------------- */
    .section .text.entry, "ax"
    .globl _start
    .type _start, @function
_start:
    mov %eax, %ebp                 /* the Multiboot magic; EBX holds the info address */
    cld
    lgdt gdt_pointer
    ljmp $SEL_CODE, $1f
1:  mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    /* Zero .bss (the stack is in it) before using any of it. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov $stack_top, %esp
    pushl $0x2                     /* EFLAGS: IF, DF, TF, AC and the rest clear */
    popfl
    mov $CR0_INITIAL, %eax         /* CR0: PE | ET; no caching quirks, TS/EM/MP clear */
    mov %eax, %cr0
    xor %eax, %eax
    mov %eax, %cr4
    lldt %ax                       /* LDTR = null */
    mov %ebp, mb_magic
    mov %ebx, mb_info
    movl $SEL_DATA, tss + 8        /* ss0 */
    movl $stack_top, tss + 4       /* esp0 */
    movw $104, tss + 102           /* I/O map base: none */
    call runtime_init
    call main
    push %eax
    call guest_exit
    .size _start, . - _start

    .section .rodata
    .balign 4
    .word 0
gdt_pointer:
    .word GDT_LIMIT
    .long GDT_BASE

    .bss
    .balign 16
    .globl stack_bottom, stack_top
stack_bottom:
    .skip 16384
stack_top:
