# The guests of `prevt demo`, embedded in the prevt binary: the sensitive-instruction guest
# (tests/guests/demo) and the teaching guest (tests/guests/teach).
    .section .rodata
    .globl prevt_demo_guest
    .globl prevt_demo_guest_end
    .balign 16
prevt_demo_guest:
    .incbin PREVT_DEMO_GUEST_ELF
prevt_demo_guest_end:
    .globl prevt_teach_guest
    .globl prevt_teach_guest_end
    .balign 16
prevt_teach_guest:
    .incbin PREVT_TEACH_GUEST_ELF
prevt_teach_guest_end:
    .section .note.GNU-stack,"",@progbits
