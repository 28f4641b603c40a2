# The world switch between the monitor (64-bit) and guest code (32-bit compatibility mode,
# host ring 3, LDT segments). Layout of NativeContext: see native_context.hpp.
#
# Entry: prevt_enter_guest saves the monitor's callee-saved registers and stack pointer,
# loads the guest's x87/SSE state, data segments and registers, and enters with iretq.
# Exit: a signal or (bt) a callout. The signal handler (prevt_signal_entry) restores the host
# FS/GS bases before any C++ runs, records the guest state, and rewrites the signal frame so
# that sigreturn lands in prevt_exit_trampoline, in 64-bit mode on the monitor's stack; a bt
# callout gets there through prevt_bt_callout_entry. The trampoline saves the guest's x87/SSE
# state, resets the control words for the monitor, and makes prevt_enter_guest return.

#include "asm_offsets.h"  // generated from the C++ structs (core/native/asm_offsets.cpp)

    .text
    .globl prevt_enter_guest
    .type prevt_enter_guest, @function
prevt_enter_guest:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rdi, prevt_active_ctx(%rip)
    mov %rsp, CTX_MONITOR_RSP(%rdi)
    mov CTX_GUEST_FPU(%rdi), %rax          # the guest's x87/SSE state (the monitor's needs no saving:
    testl $1, CTX_CALLOUT_EXIT(%rdi)          # it only needs sane control words, reset on every exit)
    jnz 1f
    fxrstor64 (%rax)
    jmp 3f
1:                              # after a callout only XMM0-7 and MXCSR were saved: the
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7  # x87 registers never left the hardware
    movaps FXSAVE_XMM0 + 16 * \n(%rax), %xmm\n
    .endr
    cmpl $0x1f80, FXSAVE_MXCSR(%rax)
    je 3f
    ldmxcsr FXSAVE_MXCSR(%rax)
3:  pushfq                      # IRETQ with NT set raises #GP: the guest's NT (a native
    testl $0x4000, (%rsp)       # popf, then a callout) must not reach it
    jz 2f
    andl $~0x4000, (%rsp)
    popfq
    jmp 3f
2:  add $8, %rsp
3:  movzwl CTX_SS(%rdi), %eax       # iretq frame: ss, rsp, rflags, cs, rip
    push %rax
    mov CTX_ESP(%rdi), %eax
    push %rax
    mov CTX_EFLAGS(%rdi), %eax
    push %rax
    movzwl CTX_CS(%rdi), %eax
    push %rax
    mov CTX_EIP(%rdi), %eax
    push %rax
    .globl prevt_enter_critical_start
prevt_enter_critical_start:
    # From here to iretq the FS/GS bases are the guest's: a signal arriving here returns
    # with them as they were (prevt_signal_entry keeps the interrupted bases).
    testl $2, CTX_CALLOUT_EXIT(%rdi)
    jnz 4f
    movw CTX_DS(%rdi), %ds
    movw CTX_ES(%rdi), %es
    movw CTX_FS(%rdi), %fs
    movw CTX_GS(%rdi), %gs
    jmp 5f
4:  # A callout left DS/ES/FS/GS loaded, their shadow descriptors unchanged (the engine
    # checked) and GS's base untouched: reload only FS (its base is the host's now) and a
    # data selector that differs (a selector load costs tens of cycles).
    movw CTX_FS(%rdi), %fs
    mov %ds, %eax
    cmpw CTX_DS(%rdi), %ax
    je 6f
    movw CTX_DS(%rdi), %ds
6:  mov %es, %eax
    cmpw CTX_ES(%rdi), %ax
    je 5f
    movw CTX_ES(%rdi), %es
5:  movl $0, CTX_CALLOUT_EXIT(%rdi)
    mov CTX_EAX(%rdi), %eax
    mov CTX_ECX(%rdi), %ecx
    mov CTX_EDX(%rdi), %edx
    mov CTX_EBX(%rdi), %ebx
    mov CTX_EBP(%rdi), %ebp
    mov CTX_ESI(%rdi), %esi
    mov CTX_EDI(%rdi), %edi
    iretq
    .globl prevt_enter_critical_end
prevt_enter_critical_end:
    .size prevt_enter_guest, .-prevt_enter_guest

    .globl prevt_exit_trampoline
    .type prevt_exit_trampoline, @function
prevt_exit_trampoline:
    # Arrived by sigreturn: 64-bit CS, monitor stack, FPU holds the guest's state.
    mov prevt_active_ctx(%rip), %rdi
    mov CTX_GUEST_FPU(%rdi), %rax
    fxsave64 (%rax)
    fninit                      # the monitor's C++ gets default x87 and SSE control words;
    ldmxcsr prevt_default_mxcsr(%rip)  # its SSE registers are scratch to it
    
    # The guest's selectors stay in DS/ES/FS/GS (64-bit code ignores DS/ES; loading a
    # selector costs tens of cycles): only the FS/GS bases the monitor uses are restored.
    # The kernel saves and restores selector and base separately on a context switch.
    mov prevt_host_fsbase(%rip), %rax
    wrfsbase %rax
    mov prevt_host_gsbase(%rip), %rax
    wrgsbase %rax
prevt_return_to_monitor:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size prevt_exit_trampoline, .-prevt_exit_trampoline

    # bt engine: translated code called out (`ljmp *%gs:far_offset` -> the stub page -> here), in
    # 64-bit mode, with the guest's registers live, RAX parked at %gs:VCPU_SAVE_RAX, RSP the guest's.
    .globl prevt_bt_callout_entry
    .type prevt_bt_callout_entry, @function
prevt_bt_callout_entry:
    mov prevt_active_ctx(%rip), %rax
    mov %ecx, CTX_ECX(%rax)
    mov %edx, CTX_EDX(%rax)
    mov %ebx, CTX_EBX(%rax)
    mov %esp, CTX_ESP(%rax)
    mov %ebp, CTX_EBP(%rax)
    mov %esi, CTX_ESI(%rax)
    mov %edi, CTX_EDI(%rax)
    mov %gs:VCPU_SAVE_RAX, %rcx
    mov %ecx, CTX_EAX(%rax)
    movw %ss, CTX_SS(%rax)
    movw %ds, CTX_DS(%rax)
    movw %es, CTX_ES(%rax)
    movw %fs, CTX_FS(%rax)
    mov $0x2b, %ecx
    mov %ecx, %ss
    mov CTX_MONITOR_RSP(%rax), %rsp
    pushfq
    pop %rcx
    mov %ecx, CTX_EFLAGS(%rax)
    test $0x40000, %ecx         # the C++ ABI wants AC clear (a guest popf may have set it:
    jz 7f                       # alignment checks at ring 3 would kill the monitor's SSE
    btr $18, %rcx               # code) ...
    push %rcx
    popfq
7:  cld                         # ... and DF clear, after that popfq (which reloads the
                                # guest's DF from %rcx); the guest's flags are saved above
    movl $0, CTX_EVENT_SIGNAL(%rax)           # event.signal = 0: a callout, not a signal
    # The monitor executes no x87 instruction (it has no long double): the guest's x87 state
    # stays in the hardware across a callout. Its SSE registers are scratch to C++: save the
    # eight a 32-bit guest can see, and MXCSR, in their FXSAVE slots (52: the marker).
    mov CTX_GUEST_FPU(%rax), %rcx
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7
    movaps %xmm\n, FXSAVE_XMM0 + 16 * \n(%rcx)
    .endr
    stmxcsr FXSAVE_MXCSR(%rcx)
    movl $3, CTX_CALLOUT_EXIT(%rax)           # FPU partly saved, segments still loaded
    cmpl $0x1f80, FXSAVE_MXCSR(%rcx)
    je 1f
    ldmxcsr prevt_default_mxcsr(%rip)
    # C++ needs the host's FS base (TLS); nothing in the monitor's 64-bit code uses GS, so
    # GS keeps the per-vCPU area's base for the re-entry.
1:  mov prevt_host_fsbase(%rip), %rax
    wrfsbase %rax
    jmp prevt_return_to_monitor
    .globl prevt_bt_callout_entry_end
prevt_bt_callout_entry_end:
    .size prevt_bt_callout_entry, .-prevt_bt_callout_entry

    .globl prevt_signal_entry
    .type prevt_signal_entry, @function
prevt_signal_entry:
    # On the alternate stack, at any instruction of guest code, of the world switch or of the
    # monitor. FS/GS bases may be the guest's: the interrupted ones are kept on this stack and
    # the host's loaded before any C++ runs (TLS, the stack protector's canary at %fs:0x28);
    # they are put back exactly before returning, so that every instruction boundary of the
    # entry, exit and signal paths is safe: the handler changes nothing it does not restore.
    # A guest popf may have set AC (alignment checks at host ring 3): the C++ ABI needs it
    # clear, and DF (the kernel clears DF for a handler). sigreturn restores the interrupted
    # RFLAGS from the frame.
    rdfsbase %r10
    rdgsbase %r11
    push %r10
    push %r11
    mov prevt_host_fsbase(%rip), %rax
    wrfsbase %rax
    mov prevt_host_gsbase(%rip), %rax
    wrgsbase %rax
    pushfq
    andl $~0x40400, (%rsp)
    popfq
    sub $8, %rsp
    call prevt_handle_signal
    add $8, %rsp
    # Guest code interrupted: the handler rewrote the frame to return into the exit
    # trampoline, which loads the host's bases itself. Anything else resumes where it was,
    # with the bases it had.
    pop %r11
    pop %r10
    wrgsbase %r11
    wrfsbase %r10
    ret
    .size prevt_signal_entry, .-prevt_signal_entry

    .section .rodata
    .balign 4
prevt_default_mxcsr:
    .long 0x1f80

    .section .note.GNU-stack,"",@progbits
