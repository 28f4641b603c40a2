/* teach: the entry of the teaching guest (teach.h): the section named by the Multiboot command
 * line, the way to CPL 3 the sections share, and the frequently written register (tpr). */
#include "teach/teach.h"

volatile uint32_t sink;

static uint32_t ring3_stack[1024] __attribute__((aligned(16)));

void enter_ring3(void (*user)(void), trap_hook done) {
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x81, SEL_CODE, isr_stub(0x81), 0xee); /* DPL 3 interrupt gate */
    trap_hooks[0x81] = done;
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile(
        "push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(SEL_DATA_DPL3 | 3),
        "r"(ring3_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user));
    __builtin_unreachable();
}

void keep_cycles(volatile uint32_t kept[2], uint64_t cycles) {
    kept[0] = (uint32_t)cycles;
    kept[1] = (uint32_t)(cycles >> 32);
}
uint64_t kept_cycles(const volatile uint32_t kept[2]) {
    return kept[0] | ((uint64_t)kept[1] << 32);
}

/* The LAPIC's task-priority register, written as often as a Windows kernel changes IRQL:
 * each write is an access to the MMIO page, which no native engine can let through. The
 * figures beside it: a store to RAM (what the write costs natively) and an EOI. */
void teach_tpr(void) {
    apic_write(APIC_SPIV, 0x1ff); /* software-enabled, spurious vector 0xff */
    apic_write(APIC_TPR, 0x20);
    result_hex("tpr_read_back", apic_read(APIC_TPR), 0x20);
    apic_write(APIC_TPR, 0);
    MEASURE("ram_store", 2000, { sink = i_; });
    MEASURE("tpr_write", 2000, { apic_write(APIC_TPR, (i_ & 1) << 4); });
    MEASURE("tpr_read", 2000, { sink = apic_read(APIC_TPR); });
    MEASURE("eoi_write", 2000, { apic_write(APIC_EOI, 0); });
}

static int same(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

int main(void) {
    const uint32_t* info = (const uint32_t*)mb_info;
    const char* section = (info[0] & 4) ? (const char*)info[4] : "";
    /* The command line may start with the guest's path: the section is its last word. */
    for (const char* p = section; *p; ++p)
        if (*p == ' ') section = p + 1;
    gprintf("prevt teaching guest: %s\n", section);
    if (same(section, "sensitive"))
        teach_sensitive();
    else if (same(section, "rings"))
        teach_rings();
    else if (same(section, "compression"))
        teach_compression();
    else if (same(section, "paging"))
        teach_paging();
    else if (same(section, "syscalls"))
        teach_syscalls();
    else if (same(section, "interrupts"))
        teach_interrupts();
    else if (same(section, "tpr"))
        teach_tpr();
    else {
        print("unknown section (sensitive rings compression paging syscalls interrupts tpr)\n");
        return 2;
    }
    return 0;
}
