/* exceptions: the instructions under test, one case each (see exceptions.c). Each case is
 * a C-callable function; an exception resumes at its end (CASE_BEGIN/CASE_AT/CASE_END in
 * lib/guest.h), and name_at labels the instruction, so the reported EIP is an offset. */
#include "lib/guest.h"

    .data
    .balign 8
bounds:
    .long 0, 10                    /* bound: 0 <= index <= 10 */

CASE_BEGIN ex_de                   /* #DE: divide by zero */
    xor %edx, %edx
    xor %ecx, %ecx
    mov $1, %eax
CASE_AT ex_de
    divl %ecx
CASE_END ex_de

CASE_BEGIN ex_bp                   /* #BP: int3 is a trap, EIP after it */
CASE_AT ex_bp
    int3
CASE_END ex_bp

CASE_BEGIN ex_of                   /* #OF: into with OF = 1 is a trap */
    mov $0x7fffffff, %eax
    add $1, %eax
CASE_AT ex_of
    into
CASE_END ex_of

CASE_BEGIN ex_br                   /* #BR: bound, index out of range */
    mov $20, %eax
CASE_AT ex_br
    bound %eax, bounds
CASE_END ex_br

CASE_BEGIN ex_ud                   /* #UD: ud2 */
CASE_AT ex_ud
    ud2
CASE_END ex_ud

CASE_BEGIN ex_gp_limit             /* #GP(0xc0): selector 0xc3 beyond the GDT limit */
    mov $0xc3, %eax
CASE_AT ex_gp_limit
    mov %ax, %ds
CASE_END ex_gp_limit

CASE_BEGIN ex_np_ds                /* #NP(0x80): DS <- a not-present data segment */
    mov $SEL_DATA_NP, %eax
CASE_AT ex_np_ds
    mov %ax, %ds
CASE_END ex_np_ds

CASE_BEGIN ex_ss_np                /* #SS(0x80): SS <- a not-present data segment */
    mov $SEL_DATA_NP, %eax
CASE_AT ex_ss_np
    mov %ax, %ss
CASE_END ex_ss_np

CASE_BEGIN ex_gp_ss_null           /* #GP(0): SS <- the null selector */
    xor %eax, %eax
CASE_AT ex_gp_ss_null
    mov %ax, %ss
CASE_END ex_gp_ss_null

CASE_BEGIN ex_gp_ss_code           /* #GP(0x08): SS <- a code segment */
    mov $SEL_CODE, %eax
CASE_AT ex_gp_ss_code
    mov %ax, %ss
CASE_END ex_gp_ss_code

CASE_BEGIN ex_gp_ss_dpl3           /* #GP(0x48): SS <- a DPL 3 data segment at CPL 0 */
    mov $SEL_DATA_DPL3, %eax
CASE_AT ex_gp_ss_dpl3
    mov %ax, %ss
CASE_END ex_gp_ss_dpl3

CASE_BEGIN ex_np_gate              /* #NP((0x50<<3)|2): int through a not-present gate */
CASE_AT ex_np_gate
    int $0x50
CASE_END ex_np_gate

CASE_BEGIN ex_gp_idt_limit         /* #GP((0xff<<3)|2): int beyond the IDT limit */
CASE_AT ex_gp_idt_limit
    int $0xff
CASE_END ex_gp_idt_limit

CASE_BEGIN ex_df                   /* #DF(0): #GP whose gate is not present: #NP, then #DF */
    mov $0xc3, %eax
CASE_AT ex_df
    mov %ax, %ds
CASE_END ex_df

    .section .note.GNU-stack, "", @progbits
