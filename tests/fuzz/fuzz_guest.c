/* The differential fuzzer's guest: runs every generated sequence (fuzz_seqs.S, from
 * fuzz_gen) from a state derived from its seed, under paging with a not-present and a
 * read-only page, and prints one line per sequence on COM1:
 *
 *   seq N: eax ecx edx ebx esp ebp esi edi eflags vector error offset cr2 es.fs.gs.ds.ss cr0
 *          memory fcw fsw ftw mxcsr st xmm fdp fop
 *
 * eflags and fsw have the bits the sequence leaves undefined (the generator's masks, per the
 * SDM) cleared, also in the EFLAGS image of an exception frame; offset is the faulting EIP
 * minus the sequence's start; memory, st and xmm are FNV-1a hashes (scratch area, the x87
 * registers in use, XMM0-7). FIP/FCS/FDS are not compared here (see README.md). */
#include "lib/guest.h"
#include "fuzz.h"

struct fuzz_seq {
    uint32_t start, index, seed, undef_fl, undef_fsw;
};
struct fuzz_in {
    uint32_t target, eax, ecx, edx, eflags;
};
extern const struct fuzz_seq fuzz_seq_table[];
extern const uint32_t fuzz_seq_count;
extern char fuzz_vectors[];
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
}

static void run_one(const struct fuzz_seq* q) {
    uint32_t s = q->seed;
    for (uint32_t* p = (uint32_t*)FUZZ_SCRATCH; p < (uint32_t*)(FUZZ_SCRATCH + FUZZ_SCRATCH_SIZE);
         ++p)
        *p = xorshift(&s);
    for (int i = 0; i < 32; ++i) ((uint32_t*)fuzz_xinit)[i] = xorshift(&s);
    struct fuzz_in in = {q->start, xorshift(&s), xorshift(&s), xorshift(&s), 0};
    in.eflags = 0x2 | (xorshift(&s) & 0x8d5) | (xorshift(&s) % 8 == 0 ? 0x400 : 0);
    if (xorshift(&s) % 4 == 0) in.ecx &= 0x1f; /* some shift counts below 32 */
    outb(FUZZ_IO_PORT2, 0);
    WRITE_CR(2, 0); /* no #PF address left from the previous sequence */
    /* Low memory (a flat FS/ES/GS plus a small offset reaches it): zeros, not the BIOS's. */
    __asm__ volatile("cld; rep stosl" ::"D"(0), "c"(FUZZ_LOW_SIZE / 4), "a"(0) : "memory");
    __asm__ volatile("rep stosl" ::"D"(FUZZ_ALIAS), "c"(FUZZ_ALIAS_SIZE / 4), "a"(0) : "memory");
    fuzz_run(&in);

    uint32_t* o = fuzz_out;
    const uint32_t vec = o[9], esp = o[4];
    const uint32_t undef = q->undef_fl;
    /* The CPU's exception frame: its EFLAGS image gets the same mask. */
    if (vec != 0xff && esp - 4 >= FUZZ_SCRATCH && esp < FUZZ_SCRATCH + FUZZ_SCRATCH_SIZE)
        *(uint32_t*)(esp - 4) &= ~undef;
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
            "%04x.%04x.%04x.%04x.%04x %08x %08x %04x %04x %02x %08x %08x %08x %08x %04x\n",
            q->index, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8] & ~undef, vec,
            o[10], vec == 0xff ? 0 : o[11] - q->start, vec == 14 ? o[12] : 0, sel[0], sel[1],
            sel[2], sel[3], sel[4], o[13], mem, fcw, fsw & ~q->undef_fsw, ftw,
            *(uint32_t*)(fuzz_fx + 24), st, xmm, *(uint32_t*)(fuzz_fx + 16),
            *(uint16_t*)(fuzz_fx + 6));
}

int main(void) {
    setup();
    gprintf("fuzz: %u sequences\n", fuzz_seq_count);
    for (uint32_t i = 0; i < fuzz_seq_count; ++i) run_one(&fuzz_seq_table[i]);
    print("fuzz: done\n");
    return 0;
}
