/* exceptions: triggers the CPU exceptions a ring-0 guest can meet and prints, for each, the
 * vector, the error code (for the vectors that push one) and the faulting EIP as an offset
 * from the instruction under test (0 for faults, its length for traps): #DE, #BP, #OF, #BR,
 * #UD, #GP/#NP/#SS from segment loads, #NP from a not-present IDT gate, #GP from a vector
 * beyond the IDT limit, and #DF from a #GP whose own gate is not present. After each the
 * handler resumes at the end of the case. */
#include "lib/guest.h"

#define CASE(name) \
    void name(void); \
    extern char name##_at[]
CASE(ex_de);
CASE(ex_bp);
CASE(ex_of);
CASE(ex_br);
CASE(ex_ud);
CASE(ex_gp_limit);
CASE(ex_np_ds);
CASE(ex_ss_np);
CASE(ex_gp_ss_null);
CASE(ex_gp_ss_code);
CASE(ex_gp_ss_dpl3);
CASE(ex_np_gate);
CASE(ex_gp_idt_limit);
CASE(ex_df);

static const char* const kNames[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "09",  "#TS",
    "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};

static int has_error_code(uint32_t v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

/* Runs one case and prints what happened. show_eip = 0 for #DF, whose saved EIP is
 * undefined. */
static void run(const char* what, void (*fn)(void), const char* at, int show_eip) {
    uint32_t before = last_trap.count;
    fn();
    gprintf("%s: ", what);
    if (last_trap.count == before) {
        print("no exception\n");
        return;
    }
    uint32_t v = last_trap.vector;
    gprintf("%s vector %u", v < 32 && kNames[v] ? kNames[v] : "?", v);
    if (has_error_code(v)) gprintf(" error %08x", last_trap.error);
    if (show_eip) {
        int32_t d = (int32_t)(last_trap.eip - (uint32_t)at);
        gprintf(" eip at%s%d", d >= 0 ? "+" : "", d);
    }
    print("\n");
}

/* The #DF handler: the saved CS:EIP of a double fault is undefined, so resume explicitly. */
static void on_double_fault(struct frame* f) {
    last_trap.vector = f->vector;
    last_trap.error = f->error;
    last_trap.count++;
    f->cs = SEL_CODE;
    f->eip = trap_resume;
    trap_resume = 0;
}

int main(void) {
    print("exceptions at CPL 0\n");
    run("div by zero", ex_de, ex_de_at, 1);
    run("int3", ex_bp, ex_bp_at, 1);
    run("into with OF=1", ex_of, ex_of_at, 1);
    run("bound out of range", ex_br, ex_br_at, 1);
    run("ud2", ex_ud, ex_ud_at, 1);
    run("mov 0xc3 to ds (beyond GDT limit)", ex_gp_limit, ex_gp_limit_at, 1);
    run("mov 0x80 to ds (not present)", ex_np_ds, ex_np_ds_at, 1);
    run("mov 0x80 to ss (not present)", ex_ss_np, ex_ss_np_at, 1);
    run("mov 0 to ss (null)", ex_gp_ss_null, ex_gp_ss_null_at, 1);
    run("mov 0x08 to ss (code)", ex_gp_ss_code, ex_gp_ss_code_at, 1);
    run("mov 0x48 to ss (DPL 3)", ex_gp_ss_dpl3, ex_gp_ss_dpl3_at, 1);

    idt_set(0x50, SEL_CODE, isr_stub(0x50), GATE_INT32 & 0x7f); /* P = 0 */
    run("int 0x50 (gate not present)", ex_np_gate, ex_np_gate_at, 1);
    idt_set_default(0x50);

    struct dtr short_idt = {0xff * 8 - 1, IDT_BASE}; /* vectors 0..0xfe */
    lidt(&short_idt);
    run("int 0xff (beyond IDT limit)", ex_gp_idt_limit, ex_gp_idt_limit_at, 1);
    load_idt();

    idt_set(13, SEL_CODE, isr_stub(13), GATE_INT32 & 0x7f); /* #GP gate not present */
    trap_hooks[8] = on_double_fault;
    run("mov 0xc3 to ds, #GP gate not present", ex_df, ex_df_at, 0);
    trap_hooks[8] = 0;
    idt_set_default(13);

    gprintf("segment registers after: cs %04x ds %04x ss %04x\n", READ_SEG(cs), READ_SEG(ds),
            READ_SEG(ss));
    return 0;
}
