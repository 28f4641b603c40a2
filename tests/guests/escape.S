/* escape: a far jump to selector 0x33, the x86-64 Linux host's 64-bit user code segment.
 * For the guest 0x33 is GDT index 6, which its GDT leaves null: real hardware raises #GP(0x30).
 * The bt engine emulates the jump against the guest's GDT and gets that #GP; the trap engine
 * runs it natively, lands in 64-bit mode (the escape a hostile guest would use), and must stop
 * the guest with a clear message and status 3 at the next signal. */
#include "lib/guest.h"

CASE_BEGIN escape_jump
CASE_AT escape_jump
    ljmp $0x33, $escape_target
CASE_END escape_jump

    .text
escape_target:
    hlt                     /* in 64-bit mode too: #GP at host ring 3, the next signal */
    jmp escape_target

    .section .note.GNU-stack,"",@progbits
