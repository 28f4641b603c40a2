/* nanobench: the Adams & Agesen (ASPLOS 2006) style nanobenchmarks, measured inside the guest
 * with rdtsc: host cycles per operation for a privileged instruction (cli+sti), a port read
 * (in from port 0x80), a local APIC TPR write and EOI (the xAPIC's MMIO page at 0xfee00000:
 * the guest's most frequent access to privileged state), a guest system call (int $0x80 +
 * iret), a divide-by-zero delivered to the guest, a call/ret pair, and a CPU-bound loop. One
 * machine-readable line per figure:
 *   BENCH|name|cycles per operation|iterations
 * bench/run_nanobench.sh runs it on every engine and on QEMU, and writes docs/benchmarks.md. */
#include "lib/guest.h"
#include "../../bench/guests/bench.h"

void nb_iret_handler(void);
void nb_divide_handler(void);
void nb_divide_by_zero(void);
void nb_leaf(void);


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
    /* The TPR written 0 (nothing waits, so nothing is delivered) and an EOI with the ISR
     * empty: the register accesses alone. */
    MEASURE("lapic_tpr_write", 20000, { *(volatile uint32_t*)0xfee00080 = 0; });
    MEASURE("lapic_eoi", 20000, { *(volatile uint32_t*)0xfee000b0 = 0; });
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
