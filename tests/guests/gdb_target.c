/* gdb_target: the guest the gdb stub's test drives (tests/cli/gdb_test.py; docs/debugging.md).
 * gdb_loop (gdb_target.S) adds n, n-1, ..., 1 into EAX with EBX holding a marker, counting
 * each pass in gdb_counter (a watchpoint's target); gdb_data holds four known words for x/4x.
 * Run alone it prints the sum and the count and exits with V = 0 (status 1). */
#include "lib/guest.h"

extern unsigned gdb_loop(unsigned n);
volatile unsigned gdb_counter;

int main(void) {
    const unsigned sum = gdb_loop(5);
    gprintf("gdb_loop(5) = %u, gdb_counter = %u\n", sum, gdb_counter);
    return sum == 15 && gdb_counter == 5 ? 0 : 1;
}
