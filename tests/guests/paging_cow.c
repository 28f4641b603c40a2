/* paging_cow: copy-on-write done by the guest kernel, as after fork(). Four shared frames are
 * each mapped read-only at two user pages, a "parent" view (0x800000 + 4 KiB * i) and a
 * "child" view (0x810000 + 4 KiB * i), the PTEs marked copy-on-write in an available bit.
 * Checked:
 *  - CR0.WP: a supervisor write to a read-only page faults (#PF, error P|W) with WP = 1 and
 *    goes through with WP = 0; WP set again, it faults again;
 *  - a supervisor write to a copy-on-write page (as copy_to_user does): #PF P|W, the handler
 *    copies the frame, maps the copy writable, invlpg, and the retried write lands in it;
 *  - ring 3 reads each child page (a read-only translation gets cached), then writes it:
 *    #PF P|W|U, the same copy, transparent to the user; a second write to the copied page
 *    does not fault; the copy keeps the rest of the original page;
 *  - a write to a parent page whose frame has no other user left: the handler only sets W;
 *  - afterwards the parent pages still show the original frames, unchanged, and the child
 *    pages their private copies.
 * A shadow MMU that keeps a stale read-only or old-frame translation after the guest's PTE
 * change and invlpg loops on the fault or writes into the shared frame. */
#include "lib/guest.h"

#define P 1u
#define W 2u
#define U 4u
#define COW 0x200u /* an available bit: this read-only page is copy-on-write */

#define NPAGES 4
#define PARENT_VA 0x00800000u
#define CHILD_VA 0x00810000u
#define RO_VA 0x00820000u /* a supervisor read-only page, not copy-on-write */
#define PARENT(i) (PARENT_VA + 0x1000u * (i))
#define CHILD(i) (CHILD_VA + 0x1000u * (i))
#define WORD(va, k) (((volatile uint32_t*)(va))[k])

static uint32_t dir[1024] __attribute__((aligned(4096)));
static uint32_t identity[2][1024] __attribute__((aligned(4096)));
static uint32_t user_table[1024] __attribute__((aligned(4096)));
static uint32_t shared[NPAGES][1024] __attribute__((aligned(4096)));
static uint32_t pool[8][1024] __attribute__((aligned(4096)));
static volatile uint32_t ro_frame[1024] __attribute__((aligned(4096)));
static uint32_t user_stack[1024] __attribute__((aligned(4096)));

static uint32_t refcount[NPAGES];
static uint32_t pool_used;
static uint32_t cow_faults, user_cow_faults;
volatile uint32_t results[NPAGES][8];
volatile uint32_t child_sum;

static uint32_t* pte_of(uint32_t va) { return &user_table[(va >> 12) & 0x3ff]; }
static void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

static int shared_index(uint32_t frame) {
    for (int i = 0; i < NPAGES; ++i)
        if (frame == (uint32_t)shared[i]) return i;
    return -1;
}

static void on_page_fault(struct frame* f) {
    uint32_t cr2 = READ_CR(2);
    uint32_t page = cr2 & ~0xfffu;
    int in_user_table = (cr2 >> 22) == (PARENT_VA >> 22);
    uint32_t* pte = pte_of(page);
    if (in_user_table && (f->error & 3) == 3 && (*pte & (P | W | COW)) == (P | COW)) {
        int s = shared_index(*pte & ~0xfffu);
        const char* view = page >= CHILD_VA ? "child" : "parent";
        uint32_t n = (page - (page >= CHILD_VA ? CHILD_VA : PARENT_VA)) >> 12;
        ++cow_faults;
        if ((f->cs & 3) == 3) ++user_cow_faults;
        if (s < 0) {
            gprintf("#PF error %x cr2 %08x: copy-on-write PTE without a shared frame\n", f->error, cr2);
            guest_exit(0x7e);
        }
        if (refcount[s] > 1) {
            uint32_t* copy = pool[pool_used++];
            memcpy(copy, shared[s], 4096);
            *pte = (uint32_t)copy | P | W | U;
            --refcount[s];
            gprintf("#PF error %x cr2 %08x cpl %u: %s page %u, shared frame %u copied to fresh frame %u\n",
                    f->error, cr2, f->cs & 3, view, n, s, pool_used - 1);
        } else {
            *pte = (*pte & ~COW) | W;
            gprintf("#PF error %x cr2 %08x cpl %u: %s page %u, last user of shared frame %u: made writable\n",
                    f->error, cr2, f->cs & 3, view, n, s);
        }
        invlpg(page);
        return; /* the write is retried */
    }
    if (trap_resume) {
        last_trap.error = f->error;
        last_trap.eip = cr2;
        last_trap.cs = f->cs & 0xffff;
        last_trap.count++;
        f->eip = trap_resume;
        trap_resume = 0;
        return;
    }
    gprintf("unexpected #PF: error %x cr2 %08x eip %08x cs %04x\n", f->error, cr2, f->eip, f->cs & 0xffff);
    guest_exit(0x7f);
}

void probe_write(uint32_t addr, uint32_t v);
__asm__(".text\n"
        ".globl probe_write\n"
        "probe_write: movl $2f, trap_resume\n"
        "             mov 4(%esp), %eax\n"
        "             mov 8(%esp), %ecx\n"
        "             mov %ecx, (%eax)\n"
        "             movl $0, trap_resume\n"
        "2:           ret\n");

static void kernel_write(const char* what, uint32_t va, uint32_t v) {
    uint32_t before = last_trap.count;
    probe_write(va, v);
    if (last_trap.count != before)
        gprintf("%s: #PF error %x cr2 %08x\n", what, last_trap.error, last_trap.eip);
    else
        gprintf("%s: no fault\n", what);
}

/* Ring 3: runs with the user's DS/ES; no I/O, no privileged instruction. */
__attribute__((noreturn)) void user_main(void) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < NPAGES; ++i) sum += WORD(CHILD(i), 0); /* read-only translations */
    child_sum = sum;
    for (uint32_t i = 0; i < NPAGES; ++i) WORD(CHILD(i), 1) = 0xc0de0000u | i; /* copy on write */
    for (uint32_t i = 0; i < NPAGES; ++i) WORD(CHILD(i), 2) = 0xc0de1000u | i; /* no fault */
    WORD(PARENT(0), 3) = 0xfa0000u; /* the last user of shared frame 0: made writable */
    WORD(PARENT(0), 4) = 0xfa0001u;
    for (uint32_t i = 0; i < NPAGES; ++i) {
        results[i][0] = WORD(PARENT(i), 1);
        results[i][1] = WORD(PARENT(i), 2);
        results[i][2] = WORD(PARENT(i), 3);
        results[i][3] = WORD(CHILD(i), 1);
        results[i][4] = WORD(CHILD(i), 2);
        results[i][5] = WORD(CHILD(i), 3);
        results[i][6] = WORD(CHILD(i), 0x3ff);
        results[i][7] = WORD(PARENT(i), 4);
    }
    __asm__ volatile("int $0x80");
    for (;;) {
    }
}

static void on_user_done(struct frame* f) {
    gprintf("int 0x80 from cs %04x: copy-on-write faults %u (from ring 3: %u), fresh frames used %u\n",
            f->cs & 0xffff, cow_faults, user_cow_faults, pool_used);
    gprintf("user read the child pages before writing: word 0 sum %08x\n", child_sum);
    for (int i = 0; i < NPAGES; ++i) {
        gprintf("page %u: parent w1 %08x w2 %08x w3 %08x w4 %08x | child w1 %08x w2 %08x w3 %08x w3ff %08x\n",
                i, results[i][0], results[i][1], results[i][2], results[i][7], results[i][3],
                results[i][4], results[i][5], results[i][6]);
    }
    for (int i = 0; i < NPAGES; ++i) {
        uint32_t c = *pte_of(CHILD(i)), p = *pte_of(PARENT(i));
        int cs = shared_index(c & ~0xfffu), ps = shared_index(p & ~0xfffu);
        gprintf("page %u PTEs: parent -> %s %d, writable %u; child -> %s, writable %u\n", i,
                ps >= 0 ? "shared frame" : "a copy", ps, !!(p & W), cs >= 0 ? "shared frame" : "a copy",
                !!(c & W));
    }
    uint32_t untouched = 1;
    for (int i = 1; i < NPAGES; ++i)
        for (int k = 0; k < 1024; ++k)
            if (shared[i][k] != (0x50000000u | ((uint32_t)i << 16) | (uint32_t)k)) untouched = 0;
    gprintf("shared frames 1-3 unchanged: %u; shared frame 0 words 3, 4: %08x %08x\n", untouched,
            shared[0][3], shared[0][4]);
    guest_exit(0);
}

int main(void) {
    print("paging_cow: copy-on-write by the guest kernel\n");
    for (uint32_t i = 0; i < 2048; ++i) identity[i / 1024][i % 1024] = (i << 12) | P | W | U;
    dir[0] = (uint32_t)identity[0] | P | W | U;
    dir[1] = (uint32_t)identity[1] | P | W | U;
    dir[2] = (uint32_t)user_table | P | W | U;
    for (uint32_t i = 0; i < NPAGES; ++i) {
        for (uint32_t k = 0; k < 1024; ++k) shared[i][k] = 0x50000000u | (i << 16) | k;
        *pte_of(PARENT(i)) = (uint32_t)shared[i] | P | U | COW;
        *pte_of(CHILD(i)) = (uint32_t)shared[i] | P | U | COW;
        refcount[i] = 2;
    }
    *pte_of(RO_VA) = (uint32_t)ro_frame | P; /* supervisor, read-only */
    ro_frame[0] = 0x11110000;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    idt_set(0x80, SEL_CODE, isr_stub(0x80), 0xee);
    trap_hooks[14] = on_page_fault;
    trap_hooks[0x80] = on_user_done;
    WRITE_CR(3, (uint32_t)dir);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    print("paging on, CR0.WP = 1\n");

    gprintf("supervisor read of the read-only page: %08x\n", WORD(RO_VA, 0));
    kernel_write("supervisor write to the read-only page, WP = 1", RO_VA, 0x22220000);
    gprintf("  the frame holds %08x\n", ro_frame[0]);
    WRITE_CR(0, READ_CR(0) & ~CR0_WP);
    kernel_write("supervisor write to the read-only page, WP = 0", RO_VA, 0x33330000);
    gprintf("  the frame holds %08x\n", ro_frame[0]);
    WRITE_CR(0, READ_CR(0) | CR0_WP);
    kernel_write("supervisor write to the read-only page, WP = 1 again", RO_VA + 4, 0x44440000);
    gprintf("  the frame holds %08x %08x\n", ro_frame[0], ro_frame[1]);

    gprintf("supervisor read of child page 3: %08x\n", WORD(CHILD(3), 0));
    WORD(CHILD(3), 3) = 0x5c0de003; /* copy-on-write from ring 0 */
    gprintf("supervisor wrote child page 3 word 3: it reads %08x, shared frame 3 word 3 %08x\n",
            WORD(CHILD(3), 3), shared[3][3]);

    print("entering ring 3\n");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_DATA_DPL3 | 3));
    __asm__ volatile("push %0\n push %1\n pushl $0x2\n push %2\n push %3\n iret" ::"i"(
                         SEL_DATA_DPL3 | 3),
                     "r"(user_stack + 1024), "i"(SEL_CODE_DPL3 | 3), "r"(user_main));
    return 1;
}
