/* runaway: prints one line, then spins forever with interrupts off. prevt must stop it at
 * --timeout with status 124 (tests/cli). Not a golden-file guest: it never ends by itself. */
#include "lib/guest.h"

int main(void) {
    print("running away\n");
    for (volatile unsigned i = 0;; ++i) {
    }
    return 0;
}
