// `prevt table`: the translator's classification table, printed from the table itself.
#pragma once

#include <cstdio>

namespace prevt::cli {

int print_classification_table(FILE* out);

}  // namespace prevt::cli
