/* smep_smap (-cpu max, prevt and QEMU alike): the supervisor-mode protections against user
 * pages. The kernel's pages are supervisor-only, one page of code and one of data are user
 * pages. With CR4.SMEP a call into the user code page at CPL 0 is #PF (P and I/D, CR2 the
 * target); without it the call runs. With CR4.SMAP a read of the user data page at CPL 0 is
 * #PF (P) while EFLAGS.AC is clear, and reads after stac; after clac it faults again (under bt
 * the mapping made with AC set is taken back: shadowmmu/shadow_privilege.cpp); a popf that sets
 * AC lets it through too. trap (smep_smap.trap.expected) shows two of its leaks: guest code
 * runs natively, so SMEP stops nothing, and a native popf's AC is not seen. */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define U 4u
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t tables[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t user_data[1024] __attribute__((aligned(4096))) = {0x75736572};

uint32_t user_code(void);
__asm__(".text\n"
        ".balign 4096\n"
        ".globl user_code\n"
        "user_code:\n"
        "    mov $0x1234, %eax\n"
        "    ret\n"
        ".balign 4096\n");

static volatile uint32_t faults, fault_error, fault_cr2, trap_resume_at;
static void on_page_fault(struct frame* f) {
    ++faults;
    fault_error = f->error;
    fault_cr2 = READ_CR(2);
    f->eip = trap_resume_at;
}

/* The user data's first word, or 0 after a #PF (the handler resumes past the load). */
static uint32_t __attribute__((noinline)) read_user_data(void) {
    uint32_t v = 0;
    __asm__ volatile("movl $1f, trap_resume_at\n mov %1, %0\n 1:\n"
                     : "+r"(v)
                     : "m"(user_data[0])
                     : "memory");
    return v;
}

static void page(uint32_t a, uint32_t bits) {
    tables[a >> 22][(a >> 12) & 1023] |= bits;
}

int main(void) {
    print("smep_smap: supervisor-mode execution and access prevention\n");
    uint32_t r[4];
    cpuid(0, r);
    uint32_t ebx7 = 0;
    if (r[0] >= 7) {
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(ebx7), "=c"(r[2]), "=d"(r[3]) : "a"(7), "c"(0));
    }
    gprintf("CPUID.7 EBX: SMEP %u SMAP %u\n", (ebx7 >> 7) & 1, (ebx7 >> 20) & 1);
    if (!(ebx7 & (1u << 7)) || !(ebx7 & (1u << 20))) return 0;
    for (uint32_t i = 0; i < 2048; ++i) tables[i / 1024][i % 1024] = (i << 12) | P | W;
    page((uint32_t)user_code, U);
    page((uint32_t)user_data, U);
    dir[0] = (uint32_t)tables[0] | P | W | U;
    dir[1] = (uint32_t)tables[1] | P | W | U;
    trap_hooks[14] = on_page_fault;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);

    gprintf("SMEP off: the user code returns %x\n", user_code());
    WRITE_CR(4, READ_CR(4) | CR4_SMEP);
    uint32_t got = 0;
    __asm__ volatile(
        "movl $1f, trap_resume_at\n"
        "call user_code\n"
        "mov %%eax, %0\n"
        "1:\n"
        : "+r"(got)::"eax", "memory");
    gprintf("SMEP on: %u #PF, error %x, cr2 the user code: %s, eax %x\n", faults, fault_error,
            fault_cr2 == (uint32_t)user_code ? "yes" : "no", got);
    WRITE_CR(4, READ_CR(4) & ~CR4_SMEP);
    gprintf("SMEP off again: the user code returns %x\n", user_code());

    faults = 0;
    gprintf("SMAP off: the user data reads %x\n", user_data[0]);
    WRITE_CR(4, READ_CR(4) | CR4_SMAP);
    __asm__ volatile("clac" ::: "memory");
    uint32_t v = read_user_data();
    gprintf("SMAP on, AC clear: %u #PF, error %x, cr2 the user data: %s, read %x\n", faults,
            fault_error, fault_cr2 == (uint32_t)user_data ? "yes" : "no", v);
    __asm__ volatile("stac\n mov %1, %0\n clac" : "=r"(v) : "m"(user_data[0]) : "memory");
    gprintf("SMAP on, after stac: read %x, %u #PF\n", v, faults);
    v = read_user_data();
    gprintf("SMAP on, after clac: %u #PF, read %x\n", faults, v);
    v = 0;
    __asm__ volatile(
        "movl $1f, trap_resume_at\n"
        "pushf\n orl $0x40000, (%%esp)\n popf\n mov %1, %0\n"
        "1: clac\n"
        : "+r"(v)
        : "m"(user_data[0])
        : "memory");
    gprintf("SMAP on, AC set by popf: read %x, %u #PF\n", v, faults);
    WRITE_CR(4, READ_CR(4) & ~CR4_SMAP);
    return 0;
}
