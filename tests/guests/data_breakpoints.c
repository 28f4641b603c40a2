/* data_breakpoints: the guest's own data breakpoints (DR7 kind 01 write, 11 read/write; LEN 1,
 * 2, 4 and 8), DR7.GD and DR6.BS. Each access that touches a watched byte traps with #DB after
 * the instruction (EIP past it; inside rep movs/stos after the iteration, EIP still on the
 * instruction while ECX is left), DR6's B0-B3 saying which; a read does not fire a write
 * breakpoint; a disabled one fires nothing and gets no B bit (QEMU TCG's behaviour; a CPU may
 * set it). The watched bytes are in a page of their own, on the stack (a push onto a private
 * stack) and in a page that holds running code. With GD set, the next MOV DR faults (#DB before
 * it, DR6.BD, GD cleared). With DR7 clear nothing fires. Under bt and trap the watched pages
 * admit no native access: the virtual CPU runs the instructions there and checks DR0-DR3
 * (core/engines/data_watch.hpp). Oracle: data_breakpoints.expected, QEMU TCG's output with
 * three lines as the SDM has them (data_breakpoints.qemu.expected is QEMU's own): QEMU does
 * not implement GD; when one access hits two breakpoints it sets the B bit of the first only
 * (its watchpoint check stops at the first match), the SDM one per condition met; and it
 * raises the #DB of a mov %ss right after it, where the SDM holds it over the shadow until the
 * next instruction is done (6.8.3). */
#include "lib/guest.h"

#define TF (1u << 8)
#define W 1u  /* R/W 01 */
#define RW 3u /* R/W 11 */
#define LEN1 0u
#define LEN2 1u
#define LEN8 2u
#define LEN4 3u
/* DR7 for breakpoint n: G n, its kind and length. */
#define BP(n, kind, len) ((2u << (2 * (n))) | ((((len) << 2) | (kind)) << (16 + 4 * (n))))

static uint8_t watched[4096] __attribute__((aligned(4096)));
/* The push's stack: the watched word starts the second page, the #DB frame goes below it. */
static uint8_t stack_area[8192] __attribute__((aligned(4096)));

/* What each #DB saw: DR6 (then cleared), EIP, ECX. */
#define RECORDS 8
static volatile uint32_t hits, rec_dr6[RECORDS], rec_eip[RECORDS], rec_ecx[RECORDS];
static volatile uint32_t clear_tf;
static void on_debug(struct frame* f) {
    uint32_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    if (hits < RECORDS) rec_dr6[hits] = dr6, rec_eip[hits] = f->eip, rec_ecx[hits] = f->ecx;
    ++hits;
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));
    if (clear_tf) f->eflags &= ~TF;
}

static void set_dr(unsigned n, uint32_t v) {
    switch (n) {
        case 0: __asm__ volatile("mov %0, %%dr0" ::"r"(v)); break;
        case 1: __asm__ volatile("mov %0, %%dr1" ::"r"(v)); break;
        case 2: __asm__ volatile("mov %0, %%dr2" ::"r"(v)); break;
        case 3: __asm__ volatile("mov %0, %%dr3" ::"r"(v)); break;
        default: __asm__ volatile("mov %0, %%dr7" ::"r"(v)); break;
    }
}

/* One access (EBX = the watched page) at a labelled point; the label is where the trap lands. */
#define ACCESS(text, after)                                                                   \
    __asm__ volatile("mov %0, %%ebx\n" text "\n.globl " after "\n" after ":\n" ::"r"(watched) \
                     : "eax", "ebx", "ecx", "esi", "edi", "memory", "cc")
extern char after_w1[], after_r1[], after_w1n[], after_w2[], after_w2n[], after_w4[], after_r4[],
    after_w8[], after_w8n[], after_rw_r[], after_rw_w[], after_rw_n[], after_two[], after_dis[],
    after_dis1[], after_push[], rep_stos[], rep_movs[], after_gd[], after_step[], after_off[],
    after_ss_nop[];

static void report(const char* what, const char* after) {
    gprintf("%s: %u #DB", what, hits);
    for (uint32_t i = 0; i < hits && i < RECORDS; ++i)
        gprintf(", DR6 %x at %s", rec_dr6[i] & 0xe00f,
                rec_eip[i] == (uint32_t)after ? "after it" : "elsewhere");
    print("\n");
    hits = 0;
}

static void arm(unsigned n, uint32_t offset, uint32_t dr7) {
    set_dr(n, (uint32_t)watched + offset);
    set_dr(7, dr7);
}

/* One store, run again and again (bt translates it as a callout after a few faults). */
extern char after_again[];
static void __attribute__((noinline)) store_again(void) {
    __asm__ volatile("movl $1, 0x600(%0)\n.globl after_again\nafter_again:\n" ::"r"(watched)
                     : "memory");
}

/* Code and a watched word in one page: the translated (or native) code around it runs on. */
uint32_t code_page_read(void);
extern char code_page_after[];
extern volatile uint32_t code_word;
__asm__(
    ".text\n"
    ".balign 4096\n"
    ".globl code_page_read, code_page_after, code_word\n"
    "code_page_read:\n"
    "    mov code_word, %eax\n"
    "code_page_after:\n"
    "    ret\n"
    ".balign 4\n"
    "code_word: .long 5\n"
    ".balign 4096\n"); /* (the page holds nothing else: under trap its code is emulated) */

int main(void) {
    print("data_breakpoints: DR0-DR3 write and read/write breakpoints, GD, BS\n");
    trap_hooks[1] = on_debug;
    set_dr(7, 0);
    __asm__ volatile("mov %0, %%dr6" ::"r"(0u));

    arm(0, 0x10, BP(0, W, LEN1));
    ACCESS("movb $1, 0x10(%%ebx)", "after_w1");
    report("write 1 at 0x10, byte store", after_w1);
    ACCESS("movb 0x10(%%ebx), %%al", "after_r1");
    report("write 1 at 0x10, byte load", after_r1);
    ACCESS("movb $1, 0x11(%%ebx)", "after_w1n");
    report("write 1 at 0x10, store at 0x11", after_w1n);

    arm(1, 0x20, BP(1, W, LEN2));
    ACCESS("movb $1, 0x21(%%ebx)", "after_w2");
    report("write 2 at 0x20, store at 0x21", after_w2);
    ACCESS("movw $1, 0x22(%%ebx)", "after_w2n");
    report("write 2 at 0x20, word store at 0x22", after_w2n);

    arm(2, 0x40, BP(2, W, LEN4));
    ACCESS("movl $1, 0x3e(%%ebx)", "after_w4");
    report("write 4 at 0x40, dword store at 0x3e (straddles)", after_w4);
    ACCESS("movl 0x40(%%ebx), %%eax", "after_r4");
    report("write 4 at 0x40, dword load", after_r4);

    arm(3, 0x80, BP(3, W, LEN8));
    ACCESS("movb $1, 0x87(%%ebx)", "after_w8");
    report("write 8 at 0x80, store at 0x87", after_w8);
    ACCESS("movb $1, 0x88(%%ebx)", "after_w8n");
    report("write 8 at 0x80, store at 0x88", after_w8n);

    arm(0, 0x100, BP(0, RW, LEN4));
    ACCESS("movl 0x100(%%ebx), %%eax", "after_rw_r");
    report("read/write 4 at 0x100, load", after_rw_r);
    ACCESS("addl $1, 0x102(%%ebx)", "after_rw_w");
    report("read/write 4 at 0x100, add to 0x102", after_rw_w);
    ACCESS("movl 0x104(%%ebx), %%eax", "after_rw_n");
    report("read/write 4 at 0x100, load at 0x104", after_rw_n);

    set_dr(0, (uint32_t)watched + 0x200);
    set_dr(1, (uint32_t)watched + 0x200);
    set_dr(7, BP(0, W, LEN4) | BP(1, RW, LEN1));
    ACCESS("movl $2, 0x200(%%ebx)", "after_two");
    report("two at 0x200 (B0, B1)", after_two);

    /* DR3 the same address but not enabled: only B0. */
    set_dr(3, (uint32_t)watched + 0x200);
    set_dr(7, BP(0, W, LEN4) | (((LEN4 << 2) | W) << 28));
    ACCESS("movl $3, 0x200(%%ebx)", "after_dis");
    report("enabled DR0 and disabled DR3 at 0x200", after_dis);
    set_dr(7, ((LEN4 << 2) | W) << 28);
    ACCESS("movl $3, 0x200(%%ebx)", "after_dis1");
    report("disabled DR3 alone", after_dis1);

    /* A push onto a private stack (the handler's frame goes below the watched word). */
    set_dr(2, (uint32_t)stack_area + 4096);
    set_dr(7, BP(2, W, LEN4));
    __asm__ volatile(
        "mov %%esp, %%ebx\n"
        "mov %0, %%esp\n"
        "push $0x1234\n"
        ".globl after_push\n"
        "after_push:\n"
        "mov %%ebx, %%esp\n" ::"r"(stack_area + 4096 + 4)
        : "ebx", "memory");
    report("write 4 on the stack, push", after_push);

    /* rep stosl over 0x300-0x31f with DR1 on 0x308: one #DB after the third iteration, EIP on
     * the instruction, ECX 5 left. rep movsb from 0x400 to 0x500 (16 bytes): DR0 reads 0x404,
     * DR3 writes 0x50c: two #DB, ECX 11 and 3 left. */
    set_dr(1, (uint32_t)watched + 0x308);
    set_dr(7, BP(1, W, LEN4));
    ACCESS(
        "lea 0x300(%%ebx), %%edi\n mov $8, %%ecx\n mov $7, %%eax\n cld\n"
        ".globl rep_stos\nrep_stos:\n rep stosl",
        "after_stos");
    gprintf("rep stosl: %u #DB", hits);
    for (uint32_t i = 0; i < hits && i < RECORDS; ++i)
        gprintf(", DR6 %x at %s ECX %u", rec_dr6[i] & 0xe00f,
                rec_eip[i] == (uint32_t)rep_stos ? "it" : "elsewhere", rec_ecx[i]);
    print("\n");
    hits = 0;
    set_dr(0, (uint32_t)watched + 0x404);
    set_dr(3, (uint32_t)watched + 0x50c);
    set_dr(7, BP(0, RW, LEN1) | BP(3, W, LEN1));
    ACCESS(
        "lea 0x400(%%ebx), %%esi\n lea 0x500(%%ebx), %%edi\n mov $16, %%ecx\n cld\n"
        ".globl rep_movs\nrep_movs:\n rep movsb",
        "after_movs");
    gprintf("rep movsb: %u #DB", hits);
    for (uint32_t i = 0; i < hits && i < RECORDS; ++i)
        gprintf(", DR6 %x at %s ECX %u", rec_dr6[i] & 0xe00f,
                rec_eip[i] == (uint32_t)rep_movs ? "it" : "elsewhere", rec_ecx[i]);
    print("\n");
    hits = 0;

    /* The same store ten times: ten #DB, each after it; moved away, none. */
    arm(0, 0x600, BP(0, W, LEN4));
    uint32_t at_label = 0;
    for (int i = 0; i < 10; ++i) {
        store_again();
        at_label += hits && rec_eip[0] == (uint32_t)after_again;
        hits = 0;
    }
    gprintf("one store ten times: %u #DB after it\n", at_label);
    arm(0, 0x700, BP(0, W, LEN4));
    for (int i = 0; i < 10; ++i) store_again();
    report("  the breakpoint moved to 0x700", after_again);

    /* A watched word in a page of running code: read by the code there, written from here. */
    set_dr(0, (uint32_t)&code_word);
    set_dr(7, BP(0, RW, LEN4));
    const uint32_t v = code_page_read();
    report("read/write 4 in a code page, load", code_page_after);
    code_word = 9;
    const uint32_t store_hits = hits, store_dr6 = hits ? rec_dr6[0] & 0xe00f : 0;
    hits = 0;
    set_dr(7, 0);
    gprintf("  then a store from elsewhere: %u #DB, DR6 %x; read %u, then %u\n", store_hits,
            store_dr6, v, code_page_read());

    /* mov %ss from a watched word: the #DB is held over the shadow, after the next one. */
    __asm__ volatile("mov %%ss, %%ax\n movw %%ax, 0x800(%0)" ::"r"(watched) : "eax", "memory");
    arm(0, 0x800, BP(0, RW, LEN2));
    ACCESS("movw 0x800(%%ebx), %%ss\n nop\n.globl after_ss_nop\nafter_ss_nop:\n nop", "after_ss");
    gprintf("mov %%ss from the word: %u #DB, DR6 %x, at %s\n", hits, hits ? rec_dr6[0] & 0xe00f : 0,
            hits && rec_eip[0] == (uint32_t)after_ss_nop       ? "the end of the next instruction"
            : hits && rec_eip[0] == (uint32_t)after_ss_nop - 1 ? "the end of the mov"
                                                               : "elsewhere");
    hits = 0;
    set_dr(7, 0);

    /* DR7.GD: the next MOV DR faults before it, DR6.BD, GD cleared; the mov then runs. */
    uint32_t dr0 = 0;
    set_dr(0, 0x1234);
    set_dr(7, 1u << 13);
    __asm__ volatile(".globl after_gd\nafter_gd:\n mov %%dr0, %0" : "=r"(dr0));
    uint32_t dr7;
    __asm__ volatile("mov %%dr7, %0" : "=r"(dr7));
    gprintf("GD: %u #DB, DR6 %x at %s, DR0 read %x, DR7 GD after %u\n", hits,
            hits ? rec_dr6[0] & 0xe00f : 0,
            hits && rec_eip[0] == (uint32_t)after_gd ? "the mov" : "elsewhere", dr0,
            (dr7 >> 13) & 1);
    hits = 0;
    set_dr(7, 0); /* (QEMU keeps GD set) */

    /* EFLAGS.TF: a single-step trap after the instruction, DR6.BS. */
    clear_tf = 1;
    __asm__ volatile(
        "pushf\n orl $0x100, (%%esp)\n popf\n nop\n"
        ".globl after_step\nafter_step:\n" ::
            : "memory", "cc");
    clear_tf = 0;
    report("TF: single step", after_step);

    /* DR7 clear: nothing fires. */
    set_dr(0, (uint32_t)watched + 0x10);
    set_dr(1, (uint32_t)watched + 0x100);
    set_dr(7, 0);
    ACCESS(
        "movb $1, 0x10(%%ebx)\n movl 0x100(%%ebx), %%eax\n movl $5, 0x100(%%ebx)\n"
        " lea 0x300(%%ebx), %%edi\n mov $8, %%ecx\n rep stosl",
        "after_off");
    report("DR7 clear: stores, loads, rep stosl", after_off);
    return 0;
}
