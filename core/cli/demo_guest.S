# The demo guest (tests/guests/demo) and the nanobenchmark guest (bench/guests), embedded in
# the prevt binary for `prevt demo`.
    .section .rodata
    .globl prevt_demo_guest
    .globl prevt_demo_guest_end
    .balign 16
prevt_demo_guest:
    .incbin PREVT_DEMO_GUEST_ELF
prevt_demo_guest_end:
    .globl prevt_nanobench_guest
    .globl prevt_nanobench_guest_end
    .balign 16
prevt_nanobench_guest:
    .incbin PREVT_NANOBENCH_GUEST_ELF
prevt_nanobench_guest_end:
    .section .note.GNU-stack,"",@progbits
