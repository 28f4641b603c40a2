/* The differential fuzzer's guest: runs every generated sequence (fuzz_seqs.S, from
 * fuzz_gen) from a state derived from its seed, under paging with a not-present and a
 * read-only page, and prints one line per sequence on COM1:
 *
 *   seq N: eax ecx edx ebx esp ebp esi edi eflags vector error offset cr2 es.fs.gs.ds.ss cr0
 *          memory fcw fsw ftw mxcsr st xmm fdp fop img
 *
 * eflags and fsw have the bits the sequence leaves undefined (the generator's masks, per the
 * SDM) cleared, also in the EFLAGS image of an exception frame; offset is the faulting EIP
 * minus the sequence's start; memory, st and xmm are FNV-1a hashes (scratch area, the x87
 * registers in use, XMM0-7). FIP/FCS/FDS of the end state are not compared (see README.md);
 * img has the pointer fields of every x87 image the sequence stored (fnstenv, fnsave, fxsave:
 * the generator records where), which are left out of the memory hash:
 *
 *   img = -                                  no image
 *       | START:FIP0/IMAGE/IMAGE...          the sequence's address, fuzz_fip0's; per image
 *   IMAGE = e|s D0.D4.D8.D12.D16.D20.D24     fnstenv/fnsave: the header's seven dwords
 *                                            (FCW, FSW, FTW, FIP, FCS|FOP, FDP, FDS)
 *         | x D0.D4.D8.D12.D16.D20.PAD.HIGH  fxsave: bytes 0-23 as dwords (FCW|FSW, FTW|FOP,
 *                                            FIP, FCS, FDP, FDS), the register slots' bytes
 *                                            10-15 and bytes 288-511: u (as refilled), z
 *                                            (zeros) or their FNV hash
 */
#include "lib/guest.h"
#include "fuzz.h"

struct fuzz_seq {
    uint32_t start, index, seed, undef_fl, undef_fsw;
    const uint32_t* env; /* {linear address, 'e'/'s'/'x'} pairs, 0-ended; or null */
};
struct fuzz_in {
    uint32_t target, eax, ecx, edx, eflags;
};
extern const struct fuzz_seq fuzz_seq_table[];
extern const uint32_t fuzz_seq_count;
extern char fuzz_vectors[], fuzz_fip0[];
extern uint8_t fuzz_fx[512], fuzz_xinit[128];
extern uint32_t fuzz_out[32], fuzz_cr0_init;
void fuzz_run(const struct fuzz_in* in);

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[2][1024] __attribute__((aligned(4096)));

static uint32_t xorshift(uint32_t* s) {
    uint32_t x = *s;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return *s = x;
}

static uint32_t fnv(uint32_t h, const uint8_t* p, uint32_t n) {
    while (n--) h = (h ^ *p++) * 16777619u;
    return h;
}

void fuzz_unexpected(void) {
    gprintf("fuzz: unexpected exception %02x outside a sequence at eip %08x\n", fuzz_out[9],
            fuzz_out[11]);
    guest_exit(0x7e);
}

/* The kit's system tables (GDT, LDT, TSS, IDT: fuzz.h FUZZ_TABLES) as setup() left them. A
 * segment based at 1 MiB (selector 0x18) with a small offset reaches them; QEMU lets such a
 * store through (QEMU-9), and a changed IDT would make every later sequence differ (once,
 * `mov $0x18,%eax; mov %ax,%fs; inc %fs:0x186f` moved the #GP handler 16 MiB up). So the guest
 * puts back any word that changed before each sequence. */
static uint32_t tables_copy[FUZZ_TABLES_SIZE / 4];

static void restore_tables(void) {
    uint32_t* t = (uint32_t*)FUZZ_TABLES;
    for (uint32_t i = 0; i < FUZZ_TABLES_SIZE / 4; ++i)
        if (t[i] != tables_copy[i]) t[i] = tables_copy[i];
}

static void setup(void) {
    gdt[FUZZ_SEL_FS / 8] = make_descriptor(FUZZ_SCRATCH, FUZZ_FS_LIMIT, 0x93, 0x4);
    for (unsigned v = 0; v < 256; ++v)
        idt_set(v, SEL_CODE, (uint32_t)fuzz_vectors + 32 * v, GATE_INT32);
    uint32_t s = 0x12345678;
    for (uint32_t* p = (uint32_t*)FUZZ_RO; p < (uint32_t*)(FUZZ_RO + 4096); ++p)
        *p = xorshift(&s);
    for (uint32_t i = 0; i < 2048; ++i) {
        const uint32_t addr = i << 12;
        uint32_t pte = addr | 0x3; /* P | W */
        if (addr == FUZZ_HOLE) pte = 0;
        if (addr == FUZZ_RO) pte = addr | 0x1;
        page_tables[i / 1024][i % 1024] = pte;
    }
    page_dir[0] = (uint32_t)page_tables[0] | 0x3;
    page_dir[1] = (uint32_t)page_tables[1] | 0x3;
    WRITE_CR(3, page_dir);
    WRITE_CR(4, (1u << 9) | (1u << 10)); /* OSFXSR | OSXMMEXCPT */
    fuzz_cr0_init = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    WRITE_CR(0, fuzz_cr0_init);
    for (uint32_t i = 0; i < FUZZ_TABLES_SIZE / 4; ++i)
        tables_copy[i] = ((const uint32_t*)FUZZ_TABLES)[i];
}

/* The scratch area as refilled before the sequence (an fxsave image's untouched bytes). */
static uint32_t scratch_init[FUZZ_SCRATCH_SIZE / 4];

/* An fxsave region's state: 'u' as the refill left it, 'z' zeros, else an FNV hash (hex). */
static void region(char* out, const uint8_t* p, uint32_t n, uint32_t stride, uint32_t len) {
    int untouched = 1, zero = 1;
    uint32_t h = 2166136261u;
    for (uint32_t at = 0; at < n; at += stride)
        for (uint32_t k = 0; k < len; ++k) {
            const uint32_t a = (uint32_t)p + at + k - FUZZ_SCRATCH;
            const uint8_t b = p[at + k];
            untouched &= b == (uint8_t)(scratch_init[a / 4] >> (8 * (a % 4)));
            zero &= b == 0;
            h = (h ^ b) * 16777619u;
        }
    if (untouched || zero) {
        out[0] = untouched ? 'u' : 'z', out[1] = 0;
        return;
    }
    for (int k = 7; k >= 0; --k, h >>= 4) out[k] = "0123456789abcdef"[h & 0xf];
    out[8] = 0;
}

static void run_one(const struct fuzz_seq* q) {
    uint32_t s = q->seed;
    for (uint32_t i = 0; i < FUZZ_SCRATCH_SIZE / 4; ++i)
        ((uint32_t*)FUZZ_SCRATCH)[i] = scratch_init[i] = xorshift(&s);
    for (int i = 0; i < 32; ++i) ((uint32_t*)fuzz_xinit)[i] = xorshift(&s);
    struct fuzz_in in = {q->start, xorshift(&s), xorshift(&s), xorshift(&s), 0};
    in.eflags = 0x2 | (xorshift(&s) & 0x8d5) | (xorshift(&s) % 8 == 0 ? 0x400 : 0);
    if (xorshift(&s) % 4 == 0) in.ecx &= 0x1f; /* some shift counts below 32 */
    restore_tables();
    outb(FUZZ_IO_PORT2, 0);
    WRITE_CR(2, 0); /* no #PF address left from the previous sequence */
    /* Low memory (a flat FS/ES/GS plus a small offset reaches it): zeros, not the BIOS's. */
    __asm__ volatile("cld; rep stosl" ::"D"(0), "c"(FUZZ_LOW_SIZE / 4), "a"(0) : "memory");
    __asm__ volatile("rep stosl" ::"D"(FUZZ_ALIAS), "c"(FUZZ_ALIAS_SIZE / 4), "a"(0) : "memory");
    /* QEMU-7r: QEMU's own EFLAGS with reserved bits set, left by an earlier sequence; every
     * later digest would differ. The driver resumes this sequence in a fresh QEMU. */
    uint32_t fl;
    __asm__ volatile("pushfl; popl %0" : "=r"(fl));
    if (fl & 0xffc08028u) {
        gprintf("fuzz: EFLAGS %08x before sequence %u: reserved bits set\n", fl, q->index);
        guest_exit(0x7d);
    }
    fuzz_run(&in);

    uint32_t* o = fuzz_out;
    const uint32_t vec = o[9], esp = o[4];
    const uint32_t undef = q->undef_fl;
    /* The CPU's exception frame: its EFLAGS image gets the same mask. */
    if (vec != 0xff && esp - 4 >= FUZZ_SCRATCH && esp < FUZZ_SCRATCH + FUZZ_SCRATCH_SIZE)
        *(uint32_t*)(esp - 4) &= ~undef;
    /* The x87 images' control words and pointer fields: read them all (FSW's C0/C2/C3
     * masked as in the digest's fsw, the generator's mask), then zero them for the hash. */
    enum { MAX_IMAGES = 8 };
    uint32_t img[MAX_IMAGES][7];
    char kind[MAX_IMAGES], pad[MAX_IMAGES][9], high[MAX_IMAGES][9];
    uint32_t n_img = 0;
    for (const uint32_t* e = q->env; e && e[0] && n_img < MAX_IMAGES; e += 2, ++n_img) {
        const uint8_t* p = (const uint8_t*)e[0];
        const uint32_t fsw_mask = e[1] == 'x' ? q->undef_fsw << 16 : 0;
        kind[n_img] = (char)e[1];
        if (e[1] == 'x') {
            region(pad[n_img], p + 32 + 10, 128, 16, 6); /* bytes 10-15 of each ST slot */
            region(high[n_img], p + 288, 224, 224, 224); /* the reserved and available end */
            img[n_img][0] = *(const uint32_t*)p & ~fsw_mask;
            img[n_img][1] = *(const uint32_t*)(p + 4);
            for (int k = 0; k < 4; ++k) img[n_img][2 + k] = *(const uint32_t*)(p + 8 + 4 * k);
        } else {
            for (int k = 0; k < 7; ++k) img[n_img][k] = *(const uint32_t*)(p + 4 * k);
            img[n_img][1] &= ~q->undef_fsw;
        }
    }
    for (const uint32_t* e = q->env; e && e[0]; e += 2) {
        uint8_t* p = (uint8_t*)e[0];
        if (e[1] == 'x') {
            for (uint32_t k = 0; k < 24; ++k) p[k] = 0;
            for (uint32_t k = 32; k < 160; k += 16)
                for (uint32_t j = 10; j < 16; ++j) p[k + j] = 0;
            for (uint32_t k = 288; k < 512; ++k) p[k] = 0;
        } else {
            for (uint32_t k = 0; k < 28; ++k) p[k] = 0;
        }
    }
    uint32_t mem = fnv(2166136261u, (const uint8_t*)FUZZ_SCRATCH, FUZZ_SCRATCH_SIZE);
    mem = fnv(mem, (const uint8_t*)FUZZ_ALIAS, FUZZ_ALIAS_SIZE); /* fuzz.h */
    for (uint32_t a = 0; a < FUZZ_LOW_SIZE; a += 4) { /* 0..FUZZ_LOW_SIZE, word by word */
        uint32_t w;
        __asm__ volatile("movl (%1), %0" : "=r"(w) : "r"(a));
        mem = (mem ^ w) * 16777619u;
    }
    const uint16_t fcw = *(uint16_t*)(fuzz_fx + 0), fsw = *(uint16_t*)(fuzz_fx + 2);
    const uint8_t ftw = fuzz_fx[4];
    const uint32_t top = (fsw >> 11) & 7;
    uint32_t st = 2166136261u;
    for (uint32_t j = 0; j < 8; ++j)
        if (ftw & (1u << ((top + j) & 7))) st = fnv(st, fuzz_fx + 32 + 16 * j, 10);
    const uint32_t xmm = fnv(2166136261u, fuzz_fx + 160, 128);
    const uint16_t* sel = (const uint16_t*)&o[14];
    gprintf("seq %u: %08x %08x %08x %08x %08x %08x %08x %08x %08x %02x %08x %08x %08x "
            "%04x.%04x.%04x.%04x.%04x %08x %08x %04x %04x %02x %08x %08x %08x %08x %04x ",
            q->index, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8] & ~undef, vec,
            o[10], vec == 0xff ? 0 : o[11] - q->start, vec == 14 ? o[12] : 0, sel[0], sel[1],
            sel[2], sel[3], sel[4], o[13], mem, fcw, fsw & ~q->undef_fsw, ftw,
            *(uint32_t*)(fuzz_fx + 24), st, xmm, *(uint32_t*)(fuzz_fx + 16),
            *(uint16_t*)(fuzz_fx + 6));
    if (!n_img) {
        print("-\n");
        return;
    }
    gprintf("%08x:%08x", q->start, (uint32_t)fuzz_fip0);
    for (uint32_t i = 0; i < n_img; ++i) {
        const uint32_t* v = img[i];
        if (kind[i] == 'x')
            gprintf("/x%08x.%08x.%08x.%08x.%08x.%08x.%s.%s", v[0], v[1], v[2], v[3], v[4], v[5],
                    pad[i], high[i]);
        else
            gprintf("/%c%08x.%08x.%08x.%08x.%08x.%08x.%08x", kind[i], v[0], v[1], v[2], v[3], v[4],
                    v[5], v[6]);
    }
    print("\n");
}

int main(void) {
    setup();
    gprintf("fuzz: %u sequences\n", fuzz_seq_count);
    for (uint32_t i = 0; i < fuzz_seq_count; ++i) run_one(&fuzz_seq_table[i]);
    print("fuzz: done\n");
    return 0;
}
