/* The 64-bit payload of the hostile guests: position-independent code that install_payload()
 * copies to PAYLOAD_GUEST (host PAYLOAD_HOST under bt). If a guest ever gets it run on the
 * host (a far pointer 0x33:PAYLOAD_HOST), it proves it beyond doubt:
 *   1. it finds prevt's ELF image from the callout stub's `movabs $prevt_bt_callout_entry`
 *      (host 0xfe00000b), walks back to the ELF header, and through PT_DYNAMIC and the PLT
 *      relocations finds libc's syscall() in prevt's GOT;
 *   2. calls syscall(SYS_write, 1, "ESCAPED: ...", n) -- from above 4 GiB, so the seccomp
 *      filter lets it through -- and syscall(SYS_exit_group, 42): status 42, even, which no
 *      guest exit can give ((V<<1)|1 is odd);
 *   3. if the lookup fails, makes the same system calls itself (below 4 GiB: SIGSYS under
 *      the filter; if that is gone, status 43) and then executes ud2.
 * The oracle of every guest that uses it: "ESCAPED" never appears, status is never 42/43. */
#include "hostile.h"

    .text
    .globl install_payload
install_payload:
    push %esi
    push %edi
    mov $payload64, %esi
    mov $PAYLOAD_GUEST, %edi
    mov $(payload64_end - payload64), %ecx
    cld
    rep movsb
    pop %edi
    pop %esi
    ret

    .balign 16
    .code64
payload64:
    mov $(PAYLOAD_HOST + 0x8000), %esp   /* a stack in the guest frames after the payload */
    mov $0xfe00000b, %eax
    mov (%rax), %rbx                     /* prevt_bt_callout_entry */
    and $-4096, %rbx
1:  cmpl $0x464c457f, (%rbx)             /* "\x7fELF" at the image's first page */
    je 2f
    sub $4096, %rbx
    jmp 1b
2:  mov 0x20(%rbx), %rsi                 /* e_phoff */
    add %rbx, %rsi
    movzwl 0x38(%rbx), %ecx              /* e_phnum */
3:  cmpl $2, (%rsi)                      /* PT_DYNAMIC */
    je 4f
    add $56, %rsi
    dec %ecx
    jnz 3b
    jmp fallback
4:  mov 16(%rsi), %rsi                   /* p_vaddr */
    add %rbx, %rsi
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
5:  mov (%rsi), %rax
    test %rax, %rax
    jz 7f
    mov 8(%rsi), %rdx
    cmp $0x17, %rax                      /* DT_JMPREL */
    cmove %rdx, %r8
    cmp $2, %rax                         /* DT_PLTRELSZ */
    cmove %rdx, %r9
    cmp $6, %rax                         /* DT_SYMTAB */
    cmove %rdx, %r10
    cmp $5, %rax                         /* DT_STRTAB */
    cmove %rdx, %r11
    add $16, %rsi
    jmp 5b
7:  test %r8, %r8
    jz fallback
    cmp %rbx, %r8                        /* ld.so may or may not have relocated them */
    jae 8f
    add %rbx, %r8
8:  cmp %rbx, %r10
    jae 9f
    add %rbx, %r10
9:  cmp %rbx, %r11
    jae 10f
    add %rbx, %r11
10: movabs $0x006c6c6163737973, %rdx     /* "syscall\0" */
11: mov 8(%r8), %rax                     /* r_info */
    shr $32, %rax
    imul $24, %rax, %rax
    mov (%r10,%rax), %eax                /* st_name */
    cmp %rdx, (%r11,%rax)
    je 12f
    add $24, %r8
    sub $24, %r9
    ja 11b
    jmp fallback
12: mov (%r8), %rax                      /* r_offset: the GOT slot */
    mov (%rbx,%rax), %r12                /* libc's syscall() */
    mov $1, %edi                         /* SYS_write */
    mov $1, %esi
    lea msg(%rip), %rdx
    mov $(msg_end - msg), %ecx
    xor %eax, %eax
    call *%r12
    mov $231, %edi                       /* SYS_exit_group */
    mov $42, %esi
    xor %eax, %eax
    call *%r12
fallback:
    mov $1, %eax
    mov $1, %edi
    lea msg(%rip), %rsi
    mov $(msg_end - msg), %edx
    syscall
    mov $231, %eax
    mov $43, %edi
    syscall
    ud2
msg:
    .ascii "ESCAPED: guest code ran on the host in 64-bit mode\n"
msg_end:
    .code32
payload64_end:

    .section .note.GNU-stack,"",@progbits
