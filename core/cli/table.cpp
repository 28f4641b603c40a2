#include "core/cli/table.hpp"

#include <string>

#include "bt/classify.hpp"
#include "core/emulate/cpu_profiles.hpp"

namespace prevt::cli {

namespace {

void row(FILE* out, const char* name, const bt::Rule& r) {
    fprintf(out, "%-10s %-9s %-16s %-9s %s\n", name, bt::form_name(r.form),
            bt::category_name(r.category), bt::treatment_name(r.treatment), r.note);
}

// The profile the allowlist is keyed by, and the ISA sets it offers (copied when no row
// above says otherwise).
void print_profile(FILE* out, const CpuProfile& p) {
    fprintf(out,
            "Keyed by the guest's CPU profile %s: CPUID.0 \"%s\" (max leaf %u), CPUID.1 "
            "EAX=%#x EDX=%#010x ECX=%#010x\n",
            p.name, p.vendor, p.max_leaf, p.signature, p.edx, p.ecx);
    fprintf(out, "ISA sets offered (Zydis meta.isa_set):");
    unsigned n = 0;
    for (const IsaSetRequirement& r : kIsaSets)
        if ((p.edx & r.edx) == r.edx && (p.ecx & r.ecx) == r.ecx)
            fprintf(out, "%s%s", n++ % 8 ? " " : "\n  ", ZydisISASetGetString(r.set));
    fprintf(out,
            "\nEverything else (AVX, AVX-512, SSE4, popcnt, lzcnt, movbe, rdrand, rdtscp, "
            "xgetbv, vmcall, monitor, clflush, 3DNow!...) is #UD, as on the profiled CPU.\n\n");
}

}  // namespace

int print_cpu_profiles(FILE* out) {
    fprintf(out, "CPU models (-cpu NAME; docs/cpu-profiles.md):\n");
    for (const CpuProfile* p : kCpuProfiles) fprintf(out, "  %-10s %s\n", p->name, p->summary);
    return 0;
}

int print_classification_table(FILE* out, const CpuProfile& profile) {
    fprintf(out, "How prevt's binary translator treats each guest instruction (bt/classify.cpp)\n");
    print_profile(out, profile);
    fprintf(out, "%-10s %-9s %-16s %-9s %s\n", "mnemonic", "form", "category", "treatment", "why");
    const auto catch_all = bt::catch_all_rules();
    row(out, "(profile)", catch_all[0]);  // tried first: an instruction that does not exist
    row(out, "(%gs use)", catch_all[1]);
    row(out, "(cs: use)", catch_all[2]);
    for (const bt::Rule& r : bt::rules()) row(out, ZydisMnemonicGetString(r.mnemonic), r);
    row(out, "(others)", catch_all[3]);
    fprintf(out,
            "\nFPU control (the translation context, in the block key): with CR0.TS an x87, "
            "MMX, SSE or fxsave/fxrstor instruction\n(fwait: with MP and TS) is a callout "
            "raising #NM; CR0.EM: #NM for x87, #UD for MMX/SSE; CR4.OSFXSR clear: #UD for SSE.\n");
    return 0;
}

}  // namespace prevt::cli
