/* farptr_ldt_user -- mechanisms 1 and 8: a hostile process inside the guest. The guest kernel
 * runs a ring-3 process under paging that asks for an LDT entry through a system call (as a
 * Linux process does with modify_ldt): DPL 3, expand-down, writable, limit 0 -- which Linux
 * grants. At CPL 3 the process loads it into ES, reads the far pointer's selector through it
 * (host 0xfe001010 under bt), then stores PAYLOAD_HOST over the far pointer (host
 * 0xfe00100c) and makes a system call (a callout). Paging maps guest frames with a known
 * pattern at 0xfdff0000.., so on real hardware the read gives the frame's pattern and the
 * store lands in the frame; the kernel checks both. (Under paging guest RAM is not host-
 * executable today, so a redirected far pointer faults in 64-bit mode instead of running
 * the payload; the read alone proves the reach.) Oracle: no "ESCAPED", status 1 with "read
 * the guest's frame: yes" and "the store landed in the guest's frame: yes"; golden: QEMU's. */
#include "hostile.h"

#define SEL_USER_CODE (SEL_CODE_DPL3 | 3)
#define SEL_USER_DATA (SEL_DATA_DPL3 | 3)
#define LDT_SEL (LSEL_A | 3)

static uint32_t user_stack[1024] __attribute__((aligned(16)));
volatile uint32_t user_read;
void user_entry(void);

__asm__(".text\n"
        "user_entry:\n"
        "    mov $0x4b, %ax\n"        /* the iret nulled DS (DPL 0 < CPL 3) */
        "    mov %ax, %ds\n"
        "    mov $1, %eax\n"          /* modify_ldt: the kernel returns the selector */
        "    int $0x80\n"
        "    mov %ax, %es\n"
        "    mov %es:" "0xfdff1010" ", %ebx\n"
        "    mov %ebx, user_read\n"
        "    movl $" "0x200000" ", %es:0xfdff100c\n"  /* PAYLOAD_HOST over the far pointer */
        "    mov $2, %eax\n"          /* exit: a callout */
        "    int $0x80\n"
        "1:  jmp 1b\n");

static void on_syscall(struct frame* f) {
    if (f->eax == 1) {
        /* What Linux's modify_ldt grants a process: a DPL 3 data segment, any base/limit. */
        set_desc(LSEL_A, 0, 0, ACC_DATA_RW_DOWN | ACC_DPL3, FL_DB);
        __asm__ volatile("lldt %w0" ::"r"(SEL_LDT));
        f->eax = LDT_SEL;
        return;
    }
    const volatile uint32_t* frame_word = (const volatile uint32_t*)0xfdff100cu;
    gprintf("user read through its LDT segment at linear fdff1010: %s\n",
            user_read == PATTERN(0xfdff1010u) ? "the guest's frame: yes" : "SOMETHING ELSE");
    gprintf("the store landed in the guest's frame: %s\n",
            *frame_word == PAYLOAD_HOST ? "yes" : "no");
    guest_exit(0);
}

int main(void) {
    print("a ring-3 process with a DPL-3 expand-down LDT entry (paging)\n");
    install_payload();
    paging_on(1);
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    trap_hooks[0x80] = on_syscall;
    __asm__ volatile("push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(SEL_USER_DATA),
                     "r"(user_stack + 1024), "i"(SEL_USER_CODE), "r"(user_entry));
    return 1;
}
