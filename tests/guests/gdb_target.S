/* gdb_target's loop (see gdb_target.c): known instructions at known symbols.
 *   gdb_loop_body: add %ecx,%eax (2 bytes); incl gdb_counter; dec %ecx; jnz gdb_loop_body */
    .text
    .globl gdb_loop
gdb_loop:
    push %ebx
    mov 8(%esp), %ecx
    mov $0x1234abcd, %ebx
    xor %eax, %eax
    .globl gdb_loop_body
gdb_loop_body:
    add %ecx, %eax
    incl gdb_counter
    dec %ecx
    jnz gdb_loop_body
    pop %ebx
    ret

    .data
    .balign 4
    .globl gdb_data
gdb_data:
    .long 0xdeadbeef, 0x01234567, 0x89abcdef, 0xcafef00d
