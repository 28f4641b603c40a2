/* host_checks32: which bytes of a 32-bit FXSAVE image the host CPU writes (known_deviations.md,
 * QEMU-31 and README.md's feature `fxsave`). host_checks.c is a 64-bit program, whose fxsave
 * also stores XMM8-15 at 288-415; the guest's fxsave runs in 32-bit code. Not built by CMake;
 * by hand on the fuzzing host (no 32-bit libc needed):
 *
 *   gcc -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -O1 \
 *       -o /tmp/host_checks32 tests/fuzz/host_checks32.c && /tmp/host_checks32
 *
 * It fills the image with 0xaa, then with 0x55, runs `fninit; fld1; fxsave` and prints the
 * byte ranges that kept the fill (this host: 288-511 both times). */
static unsigned char fx[512] __attribute__((aligned(16)));
static char out[600];

static void say(const char* s, int n) {
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(s), "d"(n) : "memory");
}
static int put(char* p, const char* s) {
    int n = 0;
    while (s[n]) p[n] = s[n], ++n;
    return n;
}
static int num(char* p, unsigned v) {
    char b[12];
    int n = 0, k = 0;
    do b[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) p[k++] = b[--n];
    return k;
}

void _start(void) {
    for (int pass = 0; pass < 2; ++pass) {
        const unsigned char f = pass ? 0x55 : 0xaa;
        for (int i = 0; i < 512; ++i) fx[i] = f;
        __asm__ volatile("fninit; fld1; fxsave %0" : "=m"(fx));
        int n = put(out, pass ? "fxsave (32-bit), 0x55 fill, not written:" : "fxsave (32-bit), 0xaa fill, not written:");
        for (int i = 0, st = -1; i <= 512; ++i) {
            const int kept = i < 512 && fx[i] == f;
            if (kept && st < 0) st = i;
            if (!kept && st >= 0) {
                n += put(out + n, " "), n += num(out + n, (unsigned)st);
                n += put(out + n, "-"), n += num(out + n, (unsigned)i - 1);
                st = -1;
            }
        }
        n += put(out + n, "\n");
        say(out, n);
    }
    __asm__ volatile("int $0x80" ::"a"(1), "b"(0));
    for (;;) {
    }
}
