// -smp N: the APs' local APICs, the APIC bus over all of them at 0xfee00000, a state slot per
// vCPU. Only bt runs more than one vCPU (round-robin on the one host thread: run_loop_smp.cpp);
// trap and kvm say so and run one, and fw_cfg tells the guest the count that runs.
#include <cstdio>

#include "core/errors.hpp"
#include "core/machine.hpp"

namespace prevt {

void Machine::build_cpus() {
    if (config_.cpus < 1 || config_.cpus > devices::ApicBus::kMaxCpus)
        throw InputError("-smp: between 1 and " + std::to_string(devices::ApicBus::kMaxCpus) +
                         " vCPUs");
    if (config_.cpus > 1 && config_.engine != "bt") {
        fprintf(stderr, "prevt: warning: the %s engine runs one vCPU: -smp %u runs on one CPU\n",
                config_.engine.c_str(), config_.cpus);
        config_.cpus = 1;
    }
    std::vector<devices::LocalApic*> apics{&lapic_};
    for (unsigned i = 1; i < config_.cpus; ++i) {
        // An AP's LINT0 is masked (no virtual wire): the 8259's INT reaches the BSP only.
        ap_lapics_.push_back(
            std::make_unique<devices::LocalApic>(clock_, nullptr, static_cast<uint8_t>(i)));
        apics.push_back(ap_lapics_.back().get());
    }
    apic_bus_ = std::make_unique<devices::ApicBus>(std::move(apics));
    mmio_.attach(devices::LocalApic::kDefaultBase, devices::LocalApic::kMmioSize, *apic_bus_);
    for (unsigned i = 0; i < apic_bus_->size(); ++i) timers_.add(apic_bus_->apic(i).timer());
    vcpus_.resize(config_.cpus);
    for (unsigned i = 1; i < config_.cpus; ++i) vcpus_[i].run = VcpuRun::kWaitForSipi;
}

}  // namespace prevt
