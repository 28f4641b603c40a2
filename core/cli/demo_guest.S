# The demo guest (tests/guests/demo), embedded in the prevt binary.
    .section .rodata
    .globl prevt_demo_guest
    .globl prevt_demo_guest_end
    .balign 16
prevt_demo_guest:
    .incbin PREVT_DEMO_GUEST_ELF
prevt_demo_guest_end:
    .section .note.GNU-stack,"",@progbits
