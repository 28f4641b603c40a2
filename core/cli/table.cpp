#include "core/cli/table.hpp"

#include <string>

#include "bt/classify.hpp"

namespace prevt::cli {

int print_classification_table(FILE* out) {
    fprintf(out,
            "How prevt's binary translator treats each guest instruction (bt/classify.cpp)\n\n");
    fprintf(out, "%-10s %-9s %-16s %-9s %s\n", "mnemonic", "form", "category", "treatment", "why");
    for (const bt::Rule& r : bt::rules()) {
        std::string name = ZydisMnemonicGetString(r.mnemonic);
        fprintf(out, "%-10s %-9s %-16s %-9s %s\n", name.c_str(), bt::form_name(r.form),
                bt::category_name(r.category), bt::treatment_name(r.treatment), r.note);
    }
    fprintf(out, "%-10s %-9s %-16s %-9s %s\n", "(%gs use)", "", "monitor-segment", "callout",
            "%gs belongs to the monitor; the guest's %gs is virtual");
    fprintf(out, "%-10s %-9s %-16s %-9s %s\n", "(others)", "", "innocuous", "copy",
            "identical translation: the original bytes, native speed");
    return 0;
}

}  // namespace prevt::cli
