/* A boot sector (MIT licence) for the BIOS path (docs/real-mode.md): SeaBIOS loads it from the
 * floppy to 0000:7C00 and jumps there in real mode. It calls the BIOS through the IVT (int 12h
 * memory size, int 13h drive parameters and a sector read, int 16h keyboard status), checks
 * what it reads, prints on COM1 (port 0x3f8, polled) and ends through isa-debug-exit (0xf4).
 * The image is this sector, then sector 2 filled with the bytes 0x00, 0x01, ... 0xff, 0x00...
 * (bootsector_image.sh). */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    ljmp $0, $1f                /* CS:IP = 0000:7Cxx whatever the BIOS used */
1:  sti
    mov %dl, boot_drive
    mov $msg_hello, %si
    call puts
    movzbw boot_drive, %ax
    call puthex
    call newline
    /* int 12h: conventional memory in KiB. */
    mov $msg_mem, %si
    call puts
    int $0x12
    call puthex
    call newline
    /* int 13h AH=08h: the drive's geometry (CX: cylinders and sectors, DH: last head). */
    mov $msg_geom, %si
    call puts
    mov $0x08, %ah
    movb boot_drive, %dl
    xor %di, %di
    int $0x13
    mov %cx, %ax
    call puthex
    mov $' ', %al
    call putc
    mov %dx, %ax
    call puthex
    call newline
    /* int 13h AH=02h: sector 2 (C 0, H 0, S 2) to 0800:0000 (linear 0x8000): segment:offset
     * arithmetic by the BIOS and the floppy's DMA. */
    mov $msg_read, %si
    call puts
    mov $0x0800, %ax
    mov %ax, %es
    xor %bx, %bx
    mov $0x0201, %ax
    mov $0x0002, %cx
    xor %dh, %dh
    movb boot_drive, %dl
    int $0x13
    setc %al
    movzbw %al, %ax
    call puthex                 /* CF: 0 */
    mov $' ', %al
    call putc
    mov %es:0x00fe, %ax         /* bytes 0xfe, 0xff */
    call puthex
    mov $' ', %al
    call putc
    xor %cx, %cx                /* the sum of the 512 bytes: 2 * (0 + ... + 255) */
    xor %dx, %dx
    xor %bx, %bx
2:  movzbw %es:(%bx), %ax
    add %ax, %dx
    inc %bx
    cmp $512, %bx
    jne 2b
    mov %dx, %ax
    call puthex
    call newline
    /* int 16h AH=01h: no key waiting (ZF set). */
    mov $msg_key, %si
    call puts
    mov $0x01, %ah
    int $0x16
    setz %al
    movzbw %al, %ax
    call puthex
    call newline
    mov $msg_done, %si
    call puts
    mov $0x10, %al              /* exit status (0x10 << 1) | 1 = 33 */
    outb %al, $0xf4
    cli
3:  hlt
    jmp 3b

putc:                           /* AL to COM1, polling the line status register */
    push %dx
    push %ax
    mov $0x3fd, %dx
4:  inb %dx, %al
    test $0x20, %al
    jz 4b
    pop %ax
    mov $0x3f8, %dx
    outb %al, %dx
    pop %dx
    ret
puts:                           /* the NUL-terminated string at DS:SI */
    lodsb
    test %al, %al
    jz 5f
    call putc
    jmp puts
5:  ret
newline:
    mov $'\n', %al
    jmp putc
puthex:                         /* AX as 4 hex digits */
    push %cx
    mov $4, %cx
6:  rol $4, %ax
    push %ax
    and $0xf, %al
    add $'0', %al
    cmp $'9', %al
    jbe 7f
    add $('a' - '9' - 1), %al
7:  call putc
    pop %ax
    loop 6b
    pop %cx
    ret

msg_hello: .asciz "boot sector at 0000:7c00, boot drive "
msg_mem:   .asciz "int 12h: KiB "
msg_geom:  .asciz "int 13h/08h: cx dx "
msg_read:  .asciz "int 13h/02h sector 2: cf, bytes fe-ff, sum "
msg_key:   .asciz "int 16h/01h: no key (zf) "
msg_done:  .asciz "done\n"
boot_drive: .byte 0
    .org 510
    .byte 0x55, 0xaa
