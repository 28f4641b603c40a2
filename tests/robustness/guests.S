/* The robustness script's guests (tests/robustness/bad_input.sh), one per GUEST_* symbol:
 * freestanding, flat, entered by the Multiboot loader (EAX/EBX ignored). Built by
 * tests/robustness/CMakeLists.txt with -DGUEST_NAME, each into its own ELF. */
#define MB_MAGIC 0x1badb002

#if defined(GUEST_KLUDGE_BAD) || defined(GUEST_KLUDGE_OK)
#define MB_FLAGS 0x00010003 /* the a.out kludge: the address fields below are valid */
#else
#define MB_FLAGS 0x00000003
#endif

    .section .text
    .code32
    .globl start
    .balign 4
header:
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
#if defined(GUEST_KLUDGE_BAD)
    /* nonsense: load_addr above header_addr, the end below the start */
    .long 0x00100000, 0x7ff00000, 0x00000010, 0x00000004, 0xdeadbeef
#elif defined(GUEST_KLUDGE_OK)
    /* the file from offset 0 loaded at 1 MiB (where the ELF puts it too), no bss */
    .long header, header, image_end, 0, start
#endif

start:
#if defined(GUEST_FLOOD)
    /* COM1 output forever: a consumer that stops reading blocks or fails the host write */
    mov $0x3f8, %dx
1:  mov $'x', %al
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    jmp 1b
#elif defined(GUEST_LOADS)
    /* loads from 100000 distinct pages of unassigned memory (all-ones, each mapped on first
     * touch): more than vm.max_map_count allows at once, then "ok" */
    mov $0xc0000000, %edi
    mov $100000, %ecx
1:  movl (%edi), %eax
    cmp $0xffffffff, %eax
    jne 2f
    add $4096, %edi
    dec %ecx
    jnz 1b
    jmp ok
2:  hlt
#elif defined(GUEST_REP_FOREVER)
    /* one rep outsb with ECX = 0xffffffff to port 0x80, then rep stosb as long: a single
     * instruction that the virtual CPU runs, which must still end at --timeout */
    mov $0x80, %dx
    mov $0xffffffff, %ecx
    mov $0x100000, %esi
    cld
    rep outsb
    jmp ok
#elif defined(GUEST_STORES) || defined(GUEST_STORES_FOREVER)
    /* stores beyond guest RAM (unassigned memory: dropped, as on a PC bus), each page
     * touched first by a store: 100000 of them then "ok", or forever */
    mov $0xc0000000, %edi
    mov $100000, %ecx
1:  movl $0x12345678, (%edi)
    add $4, %edi
    and $0xc0ffffff, %edi
#if defined(GUEST_STORES)
    dec %ecx
    jnz 1b
    jmp ok
#else
    jmp 1b
#endif
#endif
#if !defined(GUEST_FLOOD) && !defined(GUEST_STORES_FOREVER)
ok:
    /* prints "ok" and exits with isa-debug-exit value 0 (status 1) */
    mov $0x3f8, %dx
    mov $'o', %al
    outb %al, %dx
    mov $'k', %al
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    xor %eax, %eax
    mov $0xf4, %dx
    outl %eax, %dx
1:  hlt
    jmp 1b
#endif
image_end:
    .section .note.GNU-stack, "", @progbits
