/* The runtime shared by the prevt test guests (tests/guests/lib): the guest's own GDT, LDT,
 * TSS and IDT at fixed addresses, exception stubs that call a C dispatcher, COM1 output,
 * guest_exit(). Included by C and by GNU as (.S) files. */
#ifndef PREVT_GUEST_H
#define PREVT_GUEST_H

/* ---- Fixed addresses of the system tables (see guest.ld) -------------------------------- */
#define GDT_BASE 0x00101000
#define GDT_ENTRIES 24
#define GDT_LIMIT (GDT_ENTRIES * 8 - 1) /* 0xbf */
#define LDT_BASE 0x00101100
#define LDT_ENTRIES 4
#define LDT_LIMIT (LDT_ENTRIES * 8 - 1) /* 0x1f */
#define TSS_BASE 0x00101200
#define TSS_LIMIT 0x67
#define IDT_BASE 0x00101800
#define IDT_LIMIT 0x7ff
#define FIXED_BASE 0x00102000 /* the .fixed section */

/* ---- Selectors of the guest's GDT --------------------------------------------------------
 * GDT indices 4-6 and 12-15 stay null on purpose: in an x86-64 Linux host's GDT those are the
 * DPL 3 user and TLS segments, so a trap-and-emulate monitor that runs guest code natively
 * would see a guest load of such a selector succeed against the host's descriptor (it does
 * not trap). Every other guest selector either traps natively (DPL 0 or system descriptors
 * at indices 1-3 and 7-11, beyond the host GDT's limit from index 16) or is emulated, so the
 * guests behave the same on every host. */
#define SEL_CODE 0x08       /* flat 32-bit code, DPL 0 */
#define SEL_DATA 0x10       /* flat 32-bit data, DPL 0 */
#define SEL_CODE_BASED 0x18 /* 32-bit code, DPL 0, base CODE_BASED_BASE */
#define SEL_LDT 0x38        /* LDT descriptor: LDT_BASE, LDT_LIMIT */
#define SEL_TSS 0x40        /* 32-bit available TSS: TSS_BASE, TSS_LIMIT */
#define SEL_DATA_DPL3 0x48  /* flat 32-bit data, DPL 3 */
#define SEL_CODE_DPL3 0x50  /* flat 32-bit code, DPL 3 */
#define SEL_DATA_NP 0x80    /* 32-bit data, not present */
#define SEL_CODE16 0x88     /* 16-bit code, base 0, limit 0xffff */
#define SEL_DATA16 0x90     /* 16-bit data, base 0, limit 0xffff */
#define CODE_BASED_BASE 0x00100000

/* Selectors of the guest's LDT (TI = 1). */
#define LSEL_DATA 0x04 /* flat 32-bit data, DPL 0 */
#define LSEL_CODE 0x0c /* flat 32-bit code, DPL 0 */

/* CR0 as the runtime leaves it at main(): PE | ET. */
#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_EM 0x00000004
#define CR0_TS 0x00000008
#define CR0_ET 0x00000010
#define CR0_NE 0x00000020
#define CR0_WP 0x00010000
#define CR0_AM 0x00040000
#define CR0_NW 0x20000000
#define CR0_CD 0x40000000
#define CR0_PG 0x80000000
#define CR0_INITIAL (CR0_PE | CR0_ET)

#define EFLAGS_CF 0x0001
#define EFLAGS_ZF 0x0040
#define EFLAGS_TF 0x0100
#define EFLAGS_IF 0x0200
#define EFLAGS_OF 0x0800

/* IDT gate types (with P = 1, DPL 0). */
#define GATE_INT32 0x8e
#define GATE_TRAP32 0x8f

#define MULTIBOOT_MAGIC 0x2badb002
#define DEBUG_EXIT_PORT 0xf4
#define COM1 0x3f8

#ifndef __ASSEMBLER__

#include <stdarg.h>
#include <stdint.h>

/* ---- Boot ------------------------------------------------------------------------------- */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB, valid if flags bit 0 */
    uint32_t mem_upper;
};
extern uint32_t mb_magic; /* EAX at entry */
extern uint32_t mb_info;  /* EBX at entry (physical address of struct multiboot_info) */

/* Provided by each guest; its return value V is passed to guest_exit(V). */
int main(void);

/* ---- System tables ---------------------------------------------------------------------- */
extern uint64_t gdt[GDT_ENTRIES]; /* at GDT_BASE */
extern uint64_t ldt[LDT_ENTRIES]; /* at LDT_BASE */
extern uint32_t tss[26];          /* at TSS_BASE */
extern uint64_t idt[256];         /* at IDT_BASE */

/* A descriptor from its parts; access = P|DPL|S|type byte, flags = G|D/B|L|AVL nibble. */
uint64_t make_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
/* An IDT gate: type_attr e.g. GATE_INT32, GATE_TRAP32, or 0x0e for a not-present gate. */
uint64_t make_gate(uint16_t selector, uint32_t offset, uint8_t type_attr);
/* Flat 4 GiB descriptors where sysenter/sysexit look (SYSENTER_CS = `selector`): kernel code
 * and data (DPL 0) at selector and +8, user code and data (DPL 3) at +16 and +24. */
void set_sysenter_descriptors(uint16_t selector);
void idt_set(unsigned vector, uint16_t selector, uint32_t offset, uint8_t type_attr);
/* The address of the runtime's entry stub for a vector (it calls the C dispatcher). */
uint32_t isr_stub(unsigned vector);
/* Point a vector back at its runtime stub as a 32-bit interrupt gate. */
void idt_set_default(unsigned vector);
/* lgdt/lidt of the runtime's own tables (e.g. after a guest loaded others). */
void load_gdt(void);
void load_idt(void);

/* Called by _start before main(): masks the 8259 PICs, serial_init(), every vector to its
 * stub (32-bit interrupt gates), lidt. */
void runtime_init(void);

/* ---- Exceptions and interrupts ---------------------------------------------------------- */
/* What the stubs save; the dispatcher may change any field (eip to resume elsewhere). */
struct frame {
    uint32_t gs, fs, es, ds;                         /* only the low 16 bits are meaningful */
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax; /* pusha order */
    uint32_t vector, error;                          /* error is 0 if the CPU pushed none */
    uint32_t eip, cs, eflags;                        /* pushed by the CPU (cs: low 16 bits) */
};
typedef void (*trap_hook)(struct frame* f);
/* Per-vector hook; if set, the dispatcher calls it and does nothing else. */
extern trap_hook trap_hooks[256];
void isr_dispatch(struct frame* f); /* called by the stubs */

/* The default dispatch: if trap_resume is non-zero, record the exception in last_trap,
 * resume at trap_resume (and clear it); otherwise print "unexpected exception" and exit
 * with V = 0x7f. */
struct trap_record {
    uint32_t count; /* incremented on every recorded exception */
    uint32_t vector, error, eip, cs, eflags;
};
extern volatile uint32_t trap_resume;
extern volatile struct trap_record last_trap;

/* ---- Output ----------------------------------------------------------------------------- */
void serial_init(void);
void serial_putc(char c);
void print(const char* s);
void print_hex(uint32_t v);               /* 8 hex digits */
void print_hex_n(uint32_t v, int digits); /* the low `digits` hex digits */
void print_dec(uint32_t v);
/* A small printf: %s %c %d %u %x %X %%, with optional '0' flag and width (e.g. %08x). */
void gprintf(const char* fmt, ...);
void gvprintf(const char* fmt, va_list ap);

/* Writes V to the debug-exit port (as QEMU's isa-debug-exit: status (V<<1)|1), then
 * cli; hlt forever. */
__attribute__((noreturn)) void guest_exit(uint32_t v);

/* ---- Instructions ----------------------------------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v) {
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v) {
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v) {
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* The 8259A pair initialised as a PC BIOS does (edge-triggered, cascaded through IRQ 2, 8086
 * mode) but with IRQ 0-7 at vectors 0x20-0x27 and IRQ 8-15 at 0x28-0x2f, then the masks
 * (a set bit masks its IRQ). */
static inline void pic_init(uint8_t master_mask, uint8_t slave_mask) {
    outb(0x20, 0x11), outb(0x21, 0x20), outb(0x21, 0x04), outb(0x21, 0x01);
    outb(0xa0, 0x11), outb(0xa1, 0x28), outb(0xa1, 0x02), outb(0xa1, 0x01);
    outb(0x21, master_mask), outb(0xa1, slave_mask);
}
static inline uint16_t inw(uint16_t port) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline uint32_t read_eflags(void) {
    uint32_t v;
    __asm__ volatile("pushfl; popl %0" : "=r"(v)::"memory");
    return v;
}
#define READ_CR(n)                                              \
    ({                                                          \
        uint32_t v_;                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)::"memory"); \
        v_;                                                     \
    })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n ::"r"((uint32_t)(v)) : "memory")
#define READ_DR(n)                                              \
    ({                                                          \
        uint32_t v_;                                            \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_)::"memory"); \
        v_;                                                     \
    })
#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%db" #n ::"r"((uint32_t)(v)) : "memory")
#define READ_SEG(s)                                             \
    ({                                                          \
        uint32_t v_;                                            \
        __asm__ volatile("mov %%" #s ", %0" : "=r"(v_)::"memory"); \
        v_ & 0xffff;                                            \
    })
static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}
struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint32_t base;
};
static inline struct dtr sgdt(void) {
    struct dtr d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    return d;
}
static inline struct dtr sidt(void) {
    struct dtr d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return d;
}
static inline void lgdt(const struct dtr* d) { __asm__ volatile("lgdt %0" ::"m"(*d) : "memory"); }
static inline void lidt(const struct dtr* d) { __asm__ volatile("lidt %0" ::"m"(*d) : "memory"); }

/* Small string helpers (freestanding). */
void* memcpy(void* d, const void* s, uint32_t n);
void* memset(void* d, int c, uint32_t n);

#endif /* __ASSEMBLER__ */

/* ---- Assembly helpers for guests that report where an exception hit ---------------------
 * CASE_BEGIN name      defines the C-callable void name(void); sets trap_resume to the
 *                      case's end, so an exception resumes there (the stack as at the fault)
 * CASE_AT name         the label name_at, put before the instruction under test
 * CASE_END name        name_resume: clears trap_resume and returns */
/* clang-format off: assembler macros (clang-format would join their lines) */
#ifdef __ASSEMBLER__
.macro CASE_BEGIN name
    .text
    .globl \name, \name\()_at
    .type \name, @function
    .balign 16
\name:
    push %ebx
    push %esi
    push %edi
    push %ebp
    movl $\name\()_resume, trap_resume
.endm
.macro CASE_AT name
\name\()_at:
.endm
.macro CASE_END name
\name\()_resume:
    movl $0, trap_resume
    pop %ebp
    pop %edi
    pop %esi
    pop %ebx
    ret
    .size \name, . - \name
.endm
#endif
/* clang-format on */

#endif /* PREVT_GUEST_H */
