#include "core/cli/demos/demo.hpp"

#include <cstdio>

#include "core/cli/demos/demo_run.hpp"
#include "core/cli/demos/demos.hpp"
#include "core/errors.hpp"

namespace prevt::cli {

namespace {

struct Demo {
    const char* name;
    int (*run)(const demos::DemoContext&);
};

constexpr Demo kDemos[] = {
    {"sensitive", demos::demo_sensitive},
    {"rings", demos::demo_rings},
    {"compression", demos::demo_compression},
    {"paging", demos::demo_paging},
    {"syscalls", demos::demo_syscalls},
    {"interrupts", demos::demo_interrupts},
    {"tpr", demos::demo_tpr},
};

}  // namespace

int run_demo(const MachineConfig& base, const std::string& name, const std::string& engines) {
    const std::string wanted = name.empty() ? "sensitive" : name == "frequent" ? "tpr" : name;
    const Demo* one = nullptr;
    for (const Demo& d : kDemos)
        if (wanted == d.name) one = &d;
    if (!one && wanted != "all")
        throw InputError("demo: unknown demo '" + name +
                         "' (known: sensitive, rings, compression, paging, syscalls, "
                         "interrupts, tpr, all)");
    demos::DemoContext c{base, {}, probe_host()};
    c.engines = demos::demo_engines(engines, c.host.kvm);
    int status = 0;
    for (const Demo& d : kDemos) {
        if (one && one != &d) continue;
        if (!one && &d != kDemos) printf("\n");
        const int st = d.run(c);
        if (st != 0) status = st;
        fflush(stdout);
    }
    return status;
}

}  // namespace prevt::cli
