#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
/* busybox's own md5 block function, mapped at its address from the busybox binary */
struct bbctx { unsigned char w[64]; void* fn; uint64_t total; uint32_t h[4]; } __attribute__((packed));
static void map_range(int fd, uint32_t va, uint32_t len, uint32_t file_off_base, uint32_t va_base) {
    uint32_t p = va & ~4095u, e = (va + len + 4095) & ~4095u;
    void* m = mmap((void*)p, e - p, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { perror("mmap"); exit(1); }
    pread(fd, (void*)p, e - p, file_off_base + (p - va_base));
}
int main(int argc, char** argv) {
    int fd = open(argv[1], O_RDONLY); int reps = atoi(argv[2]); uint32_t D = argc > 3 ? strtoul(argv[3], 0, 0) : 0;
    /* text: file 0x1000 <-> va 0x8049000; rodata: file 0x185000 <-> 0x81cd000 */
    map_range(fd, 0x8131000 + D, 0x1000, 0x1000, 0x8049000 + D);   /* pc thunks */
    map_range(fd, 0x81c1000 + D, 0x2000, 0x1000, 0x8049000 + D);   /* md5 block */
    map_range(fd, 0x81cd000 + D, 0x3e456, 0x185000, 0x81cd000 + D);  /* rodata */
    static uint32_t data[1 << 16];
    for (unsigned i = 0; i < 1 << 16; i++) data[i] = i * 2654435761u;
    uint32_t ref[4] = {0};
    int bad = 0;
    for (int r = 0; r <= reps; r++) {
        char pad[r % 61 * 16 + 1]; pad[0] = 1;
        struct bbctx c; memset(&c, 0, sizeof c);
        c.h[0] = 0x67452301; c.h[1] = 0xefcdab89; c.h[2] = 0x98badcfe; c.h[3] = 0x10325476;
        for (unsigned i = 0; i < 1 << 16; i += 16) {
            memcpy(c.w, data + i, 64);
            asm volatile("call *%1" : "+a"(*(struct bbctx**)&(struct bbctx*){&c}) : "r"(0x81c15a1 + D) : "ecx", "edx", "memory", "cc");
        }
        if (r == 0) memcpy(ref, c.h, 16);
        else if (memcmp(ref, c.h, 16)) { bad++; printf("busybox_md5_block: rep %d differs\n", r); }
        asm volatile("" :: "r"(pad) : "memory");
    }
    printf("busybox_md5_block: RESULT delta %x: %d of %d differ (%08x)\n", D, bad, reps, ref[0]);
    return 0;
}
