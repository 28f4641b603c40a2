/* descriptor_reach -- mechanism 1, read-only: segments a guest can build whose shadow under
 * bt reaches the monitor area (host 0xfe000000-0xffffffff = guest linear 0xfdff0000-...),
 * swept over expand direction, granularity, D/B, GDT and LDT, DPL 0 and 3, conforming code,
 * wrap-around bases, and DS/ES/FS/SS. Each case loads the segment and reads through it at the
 * offset that lands on the vCPU area's far pointer (0x33 at host 0xfe001010, 0xfe000000 at
 * 0xfe00100c) or on the stub's `movabs` immediate (host 0xfe00000b: prevt's own address --
 * an ASLR leak). Paging maps guest frames of a known pattern (PATTERN(L)) at 0xfdff0000,
 * 0xfe000000 and 0xffff0000, so real hardware reads PATTERN(linear) in every case: "ok".
 * Oracle: each line says "ok" (the guest's own frame) -- a "MONITOR" line prints what was
 * read instead; the golden is QEMU's. Nothing is written. */
#include "hostile.h"

#define PROBE(seg)                                                                       \
    static uint32_t probe_##seg(uint16_t sel, uint32_t off, int byte, uint32_t* val) {   \
        uint32_t fault = 1, v = 0;                                                       \
        __asm__ volatile("movl $1f, trap_resume\n"                                       \
                         "mov %w3, %%" #seg "\n"                                         \
                         "test %5, %5\n"                                                 \
                         "jz 2f\n"                                                       \
                         "movzbl %%" #seg ":(%4), %1\n"                                  \
                         "jmp 3f\n"                                                      \
                         "2: movl %%" #seg ":(%4), %1\n"                                 \
                         "3: movl $0, %0\n"                                              \
                         "1: mov %w2, %%" #seg "\n"                                      \
                         "movl $0, trap_resume\n"                                        \
                         : "+r"(fault), "+r"(v)                                          \
                         : "r"(SEL_DATA), "r"(sel), "r"(off), "r"(byte)                  \
                         : "memory");                                                    \
        *val = v;                                                                        \
        return fault;                                                                    \
    }
PROBE(ds)
PROBE(es)
PROBE(fs)
PROBE(ss)

struct probe {
    const char* what;
    char seg;          /* 'd' 'e' 'f' 's' */
    uint16_t sel;      /* GDT or LDT selector (RPL in the low bits) */
    uint32_t base, limit;
    uint8_t access, flags;
    uint32_t off;      /* the offset read */
    int byte;          /* 1: a byte, else a dword */
};

#define LIN(p) ((p)->base + (p)->off)
static uint32_t pattern_byte(uint32_t l) { return (PATTERN(l) >> (8 * (l & 3))) & 0xff; }
static const struct probe probes[] = {
    {"expand-down, limit 0, B=1, ES", 'e', SEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB,
     MON_GUEST(HOST_FAR_SEL), 0},
    {"expand-down, limit 0, B=1, DS", 'd', SEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB,
     MON_GUEST(HOST_FAR_PTR), 0},
    {"expand-down, limit 0, B=1, FS, stub immediate", 'f', SEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB,
     MON_GUEST(HOST_STUB + 11), 0},
    {"expand-down, limit 0, B=1, SS", 's', SEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB,
     MON_GUEST(HOST_FAR_SEL), 0},
    {"expand-down, limit 0, G=1, B=1, ES", 'e', SEL_B, 0, 0, ACC_DATA_RW_DOWN, FL_DB | FL_G,
     MON_GUEST(HOST_FAR_SEL), 0},
    {"expand-down 16-bit, base 0xfdff0000, ES", 'e', SEL_C, MON_GUEST(HOST_STUB), 0,
     ACC_DATA_RW_DOWN, 0, HOST_FAR_SEL - HOST_STUB, 0},
    {"expand-down, DPL 3, limit 0xfffff, ES", 'e', SEL_D | 3, 0, 0xfffff,
     ACC_DATA_RW_DOWN | ACC_DPL3, FL_DB, MON_GUEST(HOST_FAR_SEL), 0},
    {"expand-down, base 0xffff0000 (wraps), FS", 'f', SEL_E, 0xffff0000u, 0, ACC_DATA_RW_DOWN,
     FL_DB, MON_GUEST(HOST_FAR_SEL) + 0x10000u, 0},
    {"expand-up, base 0xfdff1010, limit 0, byte", 'e', SEL_A, MON_GUEST(HOST_FAR_SEL), 0,
     ACC_DATA_RW, FL_DB, 0, 1},
    {"expand-up, base 0xfdff1010, limit 0, G=1, dword", 'f', SEL_B, MON_GUEST(HOST_FAR_SEL), 0,
     ACC_DATA_RW, FL_DB | FL_G, 0, 0},
    {"expand-up 16-bit, base 0xfdff1000, dword at 0x10", 'e', SEL_C, MON_GUEST(HOST_FAR_SEL) - 0x10,
     0xffff, ACC_DATA_RW, 0, 0x10, 0},
    {"expand-up, base 0xffff0000 (wraps), at 0xfe001010", 'e', SEL_D, 0xffff0000u, 0xfffff,
     ACC_DATA_RW, FL_DB | FL_G, HOST_FAR_SEL, 0},
    {"LDT expand-down, limit 0, ES", 'e', LSEL_A, 0, 0, ACC_DATA_RW_DOWN, FL_DB,
     MON_GUEST(HOST_FAR_SEL), 0},
    {"LDT expand-down, DPL 3, FS", 'f', LSEL_B | 3, 0, 0, ACC_DATA_RW_DOWN | ACC_DPL3, FL_DB,
     MON_GUEST(HOST_FAR_SEL), 0},
    {"LDT expand-up, base 0xfdff100c, limit 3", 'e', LSEL_A, MON_GUEST(HOST_FAR_PTR), 3,
     ACC_DATA_RW, FL_DB, 0, 0},
    /* Last: today these two end the guest under bt (modify_ldt refuses a present
     * conforming code segment; the wrapped read stops as "the monitor's reserved area"). */
    {"conforming code, base 0xfdff1010, limit 0, FS", 'f', SEL_E, MON_GUEST(HOST_FAR_SEL), 0,
     ACC_CODE_CONF_R, FL_DB, 0, 1},
    {"expand-up, base 0xffff0000 (wraps), 4 GiB, at 0xfffc", 'f', SEL_D, 0xffff0000u, 0xfffff,
     ACC_DATA_RW, FL_DB | FL_G, 0xfffc, 0},
};

int main(void) {
    print("descriptors that would reach the monitor under bt (paging; pattern frames)\n");
    paging_on(1);
    __asm__ volatile("lldt %w0" ::"r"(SEL_LDT));
    unsigned reached = 0;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; ++i) {
        const struct probe* p = &probes[i];
        set_desc(p->sel, p->base, p->limit, p->access, p->flags);
        uint32_t v, f;
        switch (p->seg) {
        case 'd': f = probe_ds(p->sel, p->off, p->byte, &v); break;
        case 'e': f = probe_es(p->sel, p->off, p->byte, &v); break;
        case 'f': f = probe_fs(p->sel, p->off, p->byte, &v); break;
        default: f = probe_ss(p->sel, p->off, p->byte, &v); break;
        }
        uint32_t want = 0;
        for (int b = p->byte ? 0 : 3; b >= 0; --b) want = (want << 8) | pattern_byte(LIN(p) + b);
        if (f)
            gprintf("%2u %s: %s %04x\n", i, p->what, trap_name(last_trap.vector), last_trap.error);
        else if (v == want)
            gprintf("%2u %s: ok\n", i, p->what);
        else {
            gprintf("%2u %s: MONITOR %08x (linear %08x holds %08x)\n", i, p->what, v, LIN(p), want);
            ++reached;
        }
    }
    __asm__ volatile("lldt %w0" ::"r"(0));
    paging_off();
    gprintf("%u reads reached something other than the guest's frame\n", reached);
    return reached ? 1 : 0;
}
