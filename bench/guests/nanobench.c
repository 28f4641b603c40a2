/* nanobench: the Adams & Agesen (ASPLOS 2006) style nanobenchmarks, measured inside the guest
 * with rdtsc: host cycles per operation for a privileged instruction (cli+sti), a port read
 * (in from port 0x80), a guest system call (int $0x80 + iret), a divide-by-zero delivered to
 * the guest, a call/ret pair, and a CPU-bound loop. One machine-readable line per figure:
 *   BENCH|name|cycles per operation|iterations
 * bench/run_nanobench.sh runs it on every engine and on QEMU, and writes docs/benchmarks.md. */
#include "lib/guest.h"

void nb_iret_handler(void);
void nb_divide_handler(void);
void nb_divide_by_zero(void);
void nb_leaf(void);

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* 64-by-32-bit division without libgcc (freestanding): shift and subtract. */
static uint64_t divide(uint64_t a, uint32_t b) {
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; --i) {
        r = (r << 1) | ((a >> i) & 1);
        if (r >= b) {
            r -= b;
            q |= 1ull << i;
        }
    }
    return q;
}

static void report(const char* name, uint64_t cycles, uint32_t n) {
    const uint64_t per_op = divide(cycles, n);
    if (per_op >> 32) gprintf("BENCH|%s|%u000000|%u\n", name, (uint32_t)divide(per_op, 1000000), n);
    else gprintf("BENCH|%s|%u|%u\n", name, (uint32_t)per_op, n);
}

#define MEASURE(name, n, body)                         \
    do {                                               \
        uint64_t t0_ = rdtsc();                        \
        for (uint32_t i_ = 0; i_ < (n); ++i_) { body; } \
        report(name, rdtsc() - t0_, (n));              \
    } while (0)

#include "../../bench/guests/workload.h"

volatile uint32_t sink;

int main(void) {
    print("prevt nanobench\n");
    idt_set(0x80, SEL_CODE, (uint32_t)nb_iret_handler, GATE_TRAP32);
    idt_set(0, SEL_CODE, (uint32_t)nb_divide_handler, GATE_INT32);
    /* Cheapest to emulate first: kvm-pvm's instruction emulator (no VT-x/SVM) cannot run
     * int/iret in protected mode, so on such a host the run ends at int80_iret. */
    MEASURE("cli_sti", 20000, { __asm__ volatile("cli; sti"); });
    MEASURE("in_port", 20000, { sink = inb(0x80); });
    MEASURE("call_ret", 1000000, { nb_leaf(); });
    uint64_t t0 = rdtsc();
    const uint32_t r = workload();
    sink = r;
    report("cpu_loop", rdtsc() - t0, 1);
    gprintf("checksum %08x\n", r);
    MEASURE("int80_iret", 20000, { __asm__ volatile("int $0x80" ::: "memory"); });
    MEASURE("divide_by_zero", 20000, { nb_divide_by_zero(); });
    return 0;
}
