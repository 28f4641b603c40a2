#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ROL(x,c) (((x) << (c)) | ((x) >> (32 - (c))))
static const uint32_t K[64] = {
0xd76aa478,0xe8c7b756,0x242070db,0xc1bdceee,0xf57c0faf,0x4787c62a,0xa8304613,0xfd469501,0x698098d8,0x8b44f7af,0xffff5bb1,0x895cd7be,0x6b901122,0xfd987193,0xa679438e,0x49b40821,
0xf61e2562,0xc040b340,0x265e5a51,0xe9b6c7aa,0xd62f105d,0x02441453,0xd8a1e681,0xe7d3fbc8,0x21e1cde6,0xc33707d6,0xf4d50d87,0x455a14ed,0xa9e3e905,0xfcefa3f8,0x676f02d9,0x8d2a4c8a,
0xfffa3942,0x8771f681,0x6d9d6122,0xfde5380c,0xa4beea44,0x4bdecfa9,0xf6bb4b60,0xbebfbc70,0x289b7ec6,0xeaa127fa,0xd4ef3085,0x04881d05,0xd9d4d039,0xe6db99e5,0x1fa27cf8,0xc4ac5665,
0xf4292244,0x432aff97,0xab9423a7,0xfc93a039,0x655b59c3,0x8f0ccc92,0xffeff47d,0x85845dd1,0x6fa87e4f,0xfe2ce6e0,0xa3014314,0x4e0811a1,0xf7537e82,0xbd3af235,0x2ad7d2bb,0xeb86d391};
static const int R[64] = {7,12,17,22,7,12,17,22,7,12,17,22,7,12,17,22,5,9,14,20,5,9,14,20,5,9,14,20,5,9,14,20,4,11,16,23,4,11,16,23,4,11,16,23,4,11,16,23,6,10,15,21,6,10,15,21,6,10,15,21,6,10,15,21};
__attribute__((noinline)) static void block(uint32_t* h, const uint32_t* w) {
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f; int g;
        if (i < 16) { f = (b & c) | (~b & d); g = i; }
        else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
        else { f = c ^ (b | ~d); g = (7 * i) & 15; }
        uint32_t t = d; d = c; c = b; b = b + ROL(a + f + K[i] + w[g], R[i]); a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
}

#include <fcntl.h>
#include <unistd.h>
struct ctx { uint32_t h[4]; uint64_t total; unsigned char w[64]; };
static void hash(struct ctx* c, const unsigned char* p, size_t len) {
    unsigned pos = c->total & 63; c->total += len;
    while (1) {
        unsigned rem = 64 - pos; if (rem > len) rem = len;
        memcpy(c->w + pos, p, rem); len -= rem; p += rem; pos += rem;
        pos -= 64; if (pos != 0) break;
        block(c->h, (const uint32_t*)c->w);
    }
}
int main(int argc, char** argv) {
    int reps = atoi(argv[2]); int bad = 0; uint32_t first[4];
    for (int r = 0; r < reps; r++) {
        char pad[r % 61 * 16 + 1]; pad[0] = 1;   /* vary the stack position */
        struct ctx c = {{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, 0, {0}};
        unsigned char* b = malloc(4096 + (r % 7) * 100);
        int fd = open(argv[1], O_RDONLY), k;
        while ((k = read(fd, b, 4096)) > 0) hash(&c, b, k);
        close(fd); free(b);
        if (r == 0) memcpy(first, c.h, 16);
        else if (memcmp(first, c.h, 16)) { bad++; printf("own_md5: rep %d differs (pad %d)\n", r, (int)sizeof pad); }
        asm volatile("" :: "r"(pad) : "memory");
    }
    printf("own_md5: RESULT %d of %d differ from the first\n", bad, reps);
    return 0;
}
