// `prevt demo rings` and `prevt demo syscalls`: privilege levels under ring compression.
// rings: the guest's CPL 0 and CPL 3 both run at the host's CPL 3 (0/3/3): what the guest then
// reads of its own privilege, which instructions change behaviour and what they cost; and
// why the 0/1/3 of the literature needs a kernel: shown by asking Linux for an LDT entry.
// syscalls: int $0x80 against sysenter from guest CPL 3 (the teaching guest, teach_cpl.c).
#include <asm/ldt.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cli/demos/demo_table.hpp"
#include "core/cli/demos/demos.hpp"

namespace prevt::cli::demos {

namespace {

uint16_t host_cs() {
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs;
}

// The DPL of a code descriptor this process asks Linux to install in its LDT (modify_ldt's
// user_desc has no DPL field), read back with lar; -1 if the host refused. In a child: the
// entry must not stay in prevt's own LDT.
int ldt_entry_dpl() {
    const pid_t pid = fork();
    if (pid == 0) {
        user_desc d{};
        d.entry_number = 0;
        d.limit = 0xfffff;
        d.seg_32bit = 1;
        d.contents = 2;  // code
        d.limit_in_pages = 1;
        if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) _exit(255);
        uint32_t ar = 0;
        uint8_t ok = 0;
        __asm__ volatile("lar %2, %0\n setz %1" : "+r"(ar), "=q"(ok) : "r"(7u) : "cc");
        _exit(ok ? (ar >> 13) & 3 : 255);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) > 3) return -1;
    return WEXITSTATUS(st);
}

}  // namespace

int demo_rings(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "rings", c.engines, c.host.tsc_mhz);
    const uint16_t cs = host_cs();
    printf(
        "prevt demo rings: ring compression 0/3/3, the guest's CPL 0 and 3 at the host's CPL 3\n");
    printf("host: prevt's own CS is 0x%02x, so the host CPL is %d for every guest instruction\n\n",
           cs, cs & 3);
    printf("What the guest reads of its own privilege:\n");
    print_results(r, {{"cpl0_cs_rpl", "CS.RPL: the CPL it reads"},
                      {"cpl0_cs_dpl", "CS.DPL by lar (ff: refused)"},
                      {"cpl0_if_after_cli", "IF by pushf after cli"},
                      {"cpl3_cs_rpl", "at CPL 3 everyone agrees"}});
    printf("\nWhat the instructions whose meaning depends on the CPL cost (ns per operation):\n");
    print_costs(r, {{"read_cs", "native, wrong, under trap"},
                    {"load_ds", "DPL 0 selector: #GP at CPL 3"},
                    {"lar", "native, wrong, under trap"},
                    {"cli_sti", "CPL 3 > IOPL: #GP, a trap"},
                    {"in_port", "CPL 3 > IOPL: #GP, a trap"}});
    print_failures(r);
    const int dpl = ldt_entry_dpl();
    printf("\n");
    print_wrapped(
        "Why not 0/1/3 (the guest kernel at ring 1, as VMware's and Xen's 32-bit monitors did)? "
        "Ring 1 code needs a DPL 1 code descriptor in the GDT or LDT. A process can only ask "
        "for LDT entries (modify_ldt), whose user_desc has no DPL field: asked here for one, "
        "Linux installed it with DPL " +
        (dpl < 0 ? std::string("(refused)") : std::to_string(dpl)) +
        " (read back with lar). Only a kernel module could install DPL 1, so the guest's "
        "kernel shares CPL 3 with its user code, and the shadow MMU keeps a kernel view and a "
        "user view of its pages instead of the U/S bit (docs/shadow-mmu.md).");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

int demo_syscalls(const DemoContext& c) {
    const Runs r = run_all(c.base, Guest::kTeach, "syscalls", c.engines, c.host.tsc_mhz);
    printf("prevt demo syscalls: a guest system call from CPL 3, int $0x80 vs sysenter\n\n");
    print_results(r, {{"sysenter_cs_msr", "SYSENTER_CS as the guest set it"}});
    printf("\nRound trips, the handler returning at once (ns per call):\n");
    print_costs(r, {{"int80_iret", "int $0x80 + iret, by the IDT"},
                    {"sysenter_sysexit", "sysenter + sysexit, by MSRs"}});
    printf("\nWhat the engines did for them (counts for the whole run):\n");
    print_counter(r, "host signals", "host signals");
    print_counter(r, "sysenter via host", "native sysenters");
    print_counter(r, "sysenter inline", "sysenters run inline");
    print_failures(r);
    printf("\n");
    print_wrapped(
        std::string("trap: both run natively. int $0x80 is Linux's own system-call gate and "
                    "sysenter its fast entry: each enters the host kernel as a system call, which "
                    "seccomp stops (SIGSYS) for the monitor to emulate") +
        (c.host.amd ? " (on this AMD host sysenter in compatibility mode is #UD instead)." : ".") +
        " bt turns int $0x80 into a callout and runs sysenter and sysexit inline: no host "
        "kernel entry at all.");
    return r.bt_right() ? 0 : kStatusGuestFailure;
}

}  // namespace prevt::cli::demos
