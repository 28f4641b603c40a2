/* tpr_site -- the TPR fast path (core/engines/bt_tpr.cpp) used against itself. bt learns the
 * store `movl %eax, %ds:0xfee00080` as a TPR store and translates it as a store to the TPR's
 * slot in the monitor's per-vCPU area. The guest then runs the same instruction with another
 * DS: (1) a base that makes the offset address a buffer in guest RAM - the store must land
 * there, the TPR untouched; (2) a base 0 segment whose limit ends below the offset - #GP(0),
 * nothing stored. A translation that kept aiming at the slot would write the TPR (or the
 * monitor's page) and skip the segment's checks (bt with that check removed: buffer 0, TPR 46,
 * no #GP). Oracle: tpr_site.expected, the architectural answer, on bt and trap; QEMU TCG checks
 * no data-segment limits (tests/fuzz/known_deviations.md, QEMU-2): its store in (2) lands in
 * the TPR (tpr_site.qemu.expected). */
#include "hostile.h"

#define APIC 0xfee00000u
static volatile uint32_t buffer[4] __attribute__((aligned(16)));
static volatile uint32_t gp_count, gp_error;

void tpr_site(uint32_t v); /* v in EAX (regparm-free: loaded by the caller's asm) */
extern char tpr_site_ret[];
__asm__(".text\n"
        ".globl tpr_site, tpr_site_ret\n"
        "tpr_site:\n"
        "    movl %eax, %ds:0xfee00080\n"
        "tpr_site_ret:\n"
        "    ret\n");

static void store_through(uint16_t ds, uint32_t v) {
    __asm__ volatile("mov %w0, %%ds\n call tpr_site\n mov %w2, %%ds"
                     :
                     : "r"(ds), "a"(v), "r"(SEL_DATA)
                     : "memory");
}

static void on_gp(struct frame* f) {
    ++gp_count;
    gp_error = f->error;
    f->eip = (uint32_t)tpr_site_ret; /* skip the store */
}

static uint32_t tpr(void) {
    return *(volatile uint32_t*)(APIC + 0x80) & 0xff;
}

int main(void) {
    print("tpr_site: a learned TPR store run through other segments\n");
    *(volatile uint32_t*)(APIC + 0xf0) = 0x1ff;
    trap_hooks[13] = on_gp;
    for (uint32_t i = 0; i < 8; ++i) store_through(SEL_DATA, 0x30);
    gprintf("flat DS: TPR %02x\n", tpr());
    set_desc(SEL_A, (uint32_t)buffer - 0xfee00080u, 0xfffff, ACC_DATA_RW, FL_G | FL_DB);
    for (uint32_t i = 0; i < 3; ++i) store_through(SEL_A, 0x11223344 + i);
    gprintf("DS based at the buffer: buffer %08x, TPR %02x\n", buffer[0], tpr());
    set_desc(SEL_A, 0, 0xfedff, ACC_DATA_RW, FL_G | FL_DB); /* ends at 0xfedfffff */
    store_through(SEL_A, 0x20);
    gprintf("DS ending below the TPR: %u #GP (error %x), TPR %02x\n", gp_count, gp_error, tpr());
    store_through(SEL_DATA, 0x40);
    gprintf("flat DS again: TPR %02x\n", tpr());
    return 0;
}
