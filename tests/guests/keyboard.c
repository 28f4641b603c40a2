/* keyboard: for --display text (tests/cli/display_test.py): shows a prompt on the VGA text
 * screen, then prints every byte the 8042's keyboard sends (set 2: the command byte leaves
 * translation off at power-on) on COM1 and on the screen, and ends at Enter's make code (0x5a
 * not after 0xf0) with V = 0. Not a golden-file guest: it waits for keys. */
#include "lib/guest.h"

static volatile uint8_t* const screen = (volatile uint8_t*)0xb8000;

static void put(unsigned cell, const char* s) {
    for (; *s; ++s, ++cell) screen[2 * cell] = (uint8_t)*s, screen[2 * cell + 1] = 0x07;
}

int main(void) {
    for (unsigned i = 0; i < 80 * 25; ++i) screen[2 * i] = ' ', screen[2 * i + 1] = 0x07;
    put(0, "keyboard guest: type, then Enter");
    static const char hex[] = "0123456789abcdef";
    unsigned cell = 80;
    int after_break = 0;
    for (;;) {
        if (!(inb(0x64) & 0x01)) continue;
        const uint8_t b = inb(0x60);
        gprintf("%02x ", b);
        const char text[4] = {hex[b >> 4], hex[b & 15], ' ', 0};
        put(cell, text);
        cell += 3;
        if (b == 0x5a && !after_break) break;
        after_break = b == 0xf0;
    }
    print("\n");
    return 0;
}
