/* bios_state: what the firmware left for a Multiboot kernel, as QEMU's SeaBIOS leaves it
 * (docs/real-mode.md, "The state a BIOS leaves"): the 8259As' masks at entry (IRQ 0, 1, 2, 8
 * and the others SeaBIOS opened), their vector bases (IRQ 0 arrives at vector 0x08, the RTC's
 * IRQ 8 at 0x70), PIT channel 0's mode (read back: mode 2, lobyte/hibyte, binary) and that it
 * ticks, the real-mode IVT (every entry in the F000 segment but 0x60-0x66 and 0x79; the
 * hardware vectors away from the default iret), and the BIOS data area (COM1's port, the
 * EBDA's segment, the conventional memory size, a tick count below a day's). Addresses inside
 * the F000 segment differ between BIOSes and are not printed. */
#include "lib/guest.h"

#define TICKS_PER_DAY 0x1800b0u

/* The ELF entry (PREVT_GUEST_ENTRY_bios_state): the masks the boot left, read before the
 * kit's _start and runtime_init mask every IRQ. In .data: _start zeroes .bss. EAX and EBX
 * (the Multiboot magic and information) go on to _start unchanged. */
uint8_t boot_pic_masks[2] = {0x5a, 0x5a};
void bios_state_entry(void);
__asm__(
    ".text\n"
    ".globl bios_state_entry\n"
    "bios_state_entry:\n"
    "    mov %eax, %ecx\n"
    "    inb $0x21, %al\n"
    "    movb %al, boot_pic_masks\n"
    "    inb $0xa1, %al\n"
    "    movb %al, boot_pic_masks + 1\n"
    "    mov %ecx, %eax\n"
    "    jmp _start\n");
volatile uint32_t irq0_count;
static volatile uint32_t irq8_count;

/* IRQ 0 arrives at vector 0x08, which the kit's stubs treat as #DF (with an error code): its
 * own stub, which counts the tick and sends the master a non-specific EOI. */
void irq0_entry(void);
__asm__(
    ".text\n"
    "irq0_entry:\n"
    "    push %eax\n"
    "    incl irq0_count\n"
    "    mov $0x20, %al\n"
    "    outb %al, $0x20\n"
    "    pop %eax\n"
    "    iret\n");

static void on_irq8(struct frame* f) {
    (void)f;
    ++irq8_count;
    outb(0x70, 0x0c); /* CMOS register C: reading it acknowledges the RTC */
    (void)inb(0x71);
    outb(0xa0, 0x20), outb(0x20, 0x20);
}

static uint32_t ivt(unsigned v) {
    return *(volatile uint32_t*)(v * 4);
}

static void print_ivt(unsigned from, unsigned to) {
    gprintf("IVT %02x-%02x segments:", from, to);
    for (unsigned v = from; v <= to; ++v) gprintf(" %04x", ivt(v) >> 16);
    print("\n");
}

int main(void) {
    print("the state the BIOS left\n");
    gprintf("8259A masks at entry: master %02x slave %02x\n", boot_pic_masks[0], boot_pic_masks[1]);

    outb(0x43, 0xe2); /* read-back: status of counter 0 */
    gprintf("PIT channel 0 status (without OUT and null count): %02x\n", inb(0x40) & 0x3f);

    print_ivt(0x00, 0x07);
    print_ivt(0x08, 0x0f);
    print_ivt(0x10, 0x1f);
    print_ivt(0x60, 0x67);
    print_ivt(0x70, 0x77);
    print_ivt(0x78, 0x7f);
    const uint32_t iret_default = ivt(0x20);
    gprintf("the default vector 0x20 is also 0x1c's: %s\n",
            ivt(0x1c) == iret_default ? "yes" : "no");
    print("hardware vectors away from the default:");
    for (unsigned v = 0x08; v <= 0x0f; ++v) gprintf(" %s", ivt(v) != iret_default ? "y" : "n");
    for (unsigned v = 0x70; v <= 0x77; ++v) gprintf(" %s", ivt(v) != iret_default ? "y" : "n");
    print("\n");

    const volatile uint8_t* bda = (const volatile uint8_t*)0x400;
    gprintf("BDA: COM1 %04x, EBDA segment %04x, base memory %u KiB\n",
            *(const volatile uint16_t*)bda, *(const volatile uint16_t*)(bda + 0x0e),
            *(const volatile uint16_t*)(bda + 0x13));
    const uint32_t ticks = *(const volatile uint32_t*)(bda + 0x6c);
    gprintf("BDA tick count below a day's: %s\n", ticks < TICKS_PER_DAY ? "yes" : "no");

    /* IRQ 0 at the master's base, with the masks the BIOS left. */
    idt_set(0x08, SEL_CODE, (uint32_t)irq0_entry, GATE_INT32);
    idt_set(0x70, SEL_CODE, isr_stub(0x70), GATE_INT32);
    trap_hooks[0x70] = on_irq8;
    outb(0x21, boot_pic_masks[0]), outb(0xa1, boot_pic_masks[1]);
    sti();
    while (irq0_count < 4) __asm__ volatile("hlt");
    /* The RTC's periodic interrupt (IRQ 8, at the slave's base) while four more ticks pass. */
    irq8_count = 0;
    outb(0x70, 0x0b);
    const uint8_t reg_b = inb(0x71);
    outb(0x70, 0x0b), outb(0x71, reg_b | 0x40); /* PIE */
    const uint32_t start = irq0_count;
    while (irq0_count < start + 4) __asm__ volatile("hlt");
    cli();
    outb(0x70, 0x0b), outb(0x71, reg_b);
    /* (How many: QEMU TCG on a loaded host loses RTC interrupts, 112-198 of some 220.) */
    gprintf("IRQ 0 at vector 08, IRQ 8 at vector 70: %s\n", irq8_count ? "yes" : "no IRQ 8");
    return 0;
}
