// `prevt table`: the translator's classification table, printed from the table itself;
// `prevt run -cpu help`: the CPU profiles.
#pragma once

#include <cstdio>

#include "core/emulate/cpu_profiles.hpp"

namespace prevt::cli {

int print_classification_table(FILE* out, const CpuProfile& profile = default_profile());
int print_cpu_profiles(FILE* out);

}  // namespace prevt::cli
