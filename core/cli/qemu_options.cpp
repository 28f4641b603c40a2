#include "core/cli/qemu_options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "core/cli/option_values.hpp"
#include "core/errors.hpp"

namespace prevt::cli {

namespace {

std::vector<std::string> split(const std::string& v, char sep) {
    std::vector<std::string> parts;
    std::stringstream ss(v);
    std::string part;
    while (std::getline(ss, part, sep)) parts.push_back(part);
    return parts;
}

// /dev/kvm can be opened read-write (what KvmEngine needs first).
bool kvm_openable() {
    const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    close(fd);
    return true;
}

// QEMU's accelerator names as prevt's engines. tcg is QEMU's binary translator: bt is prevt's
// (all guest code translated, contained), the honest counterpart; trap has no QEMU
// counterpart (-accel never selects it). "kvm:tcg" is QEMU's fallback list: the first usable.
std::string engine_for_accel(const std::string& option, const std::string& list) {
    const std::vector<std::string> names = split(list, ':');
    if (names.empty()) refuse(option, "expected tcg or kvm");
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& n = names[i];
        if (n != "tcg" && n != "kvm")
            refuse(option, "accelerator '" + n + "' is not offered (tcg: the bt engine; kvm)");
        const bool last = i + 1 == names.size();
        if (n == "tcg") return "bt";
        if (last || kvm_openable()) return "kvm";
    }
    return "bt";
}

// -smp: "N", "cpus=N", "N,cores=C,threads=T,...": N vCPUs (bt runs them; trap and kvm run one,
// saying so: Machine::build_cpus). The topology's product must be N when both are given (or
// gives N when cpus is absent); maxcpus must be N (no hotplug).
unsigned parse_smp(const std::string& v) {
    constexpr unsigned long kMax = devices::ApicBus::kMaxCpus;
    const std::vector<std::string> parts = split(v, ',');
    if (parts.empty()) refuse("-smp", "expected a vCPU count");
    unsigned cpus = 0, maxcpus = 0, product = 1;
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        const size_t eq = p.find('=');
        const std::string key = eq == std::string::npos ? (i == 0 ? "cpus" : p) : p.substr(0, eq);
        const std::string value = eq == std::string::npos ? (i == 0 ? p : "") : p.substr(eq + 1);
        static const char* const kKeys[] = {"cpus",     "maxcpus", "sockets", "dies",
                                            "clusters", "cores",   "threads"};
        bool known = false;
        for (const char* k : kKeys) known |= key == k;
        if (!known) refuse("-smp", "unknown property '" + key + "'");
        char* end = nullptr;
        const unsigned long n = strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end || n < 1 || n > kMax)
            refuse("-smp", key + "=" + value + ": expected 1 to " + std::to_string(kMax) +
                               " (prevt runs at most " + std::to_string(kMax) + " vCPUs)");
        if (key == "cpus")
            cpus = static_cast<unsigned>(n);
        else if (key == "maxcpus")
            maxcpus = static_cast<unsigned>(n);
        else
            product *= static_cast<unsigned>(n);
    }
    if (!cpus) cpus = product;
    if (cpus > kMax)
        refuse("-smp", "the topology gives " + std::to_string(cpus) + " vCPUs: at most " +
                           std::to_string(kMax));
    if (product != 1 && product != cpus)
        refuse("-smp", "the topology gives " + std::to_string(product) + " vCPUs, not " +
                           std::to_string(cpus));
    if (maxcpus && maxcpus != cpus) refuse("-smp", "maxcpus must equal cpus (no CPU hotplug)");
    return cpus;
}

// -machine / -M: QEMU's pc (i440fx + PIIX3, what prevt builds), with accel= and pit= (off: no
// i8254 and no port 0x61, as QEMU's pc without its PIT has no PC speaker port either).
void apply_machine(const std::string& option, const std::string& v, MachineConfig& m,
                   QemuParse& q) {
    const std::vector<std::string> parts = split(v, ',');
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        const size_t eq = p.find('=');
        const std::string key = eq == std::string::npos ? (i == 0 ? "type" : p) : p.substr(0, eq);
        const std::string value = eq == std::string::npos ? (i == 0 ? p : "") : p.substr(eq + 1);
        if (key == "type") {
            if (value != "pc" && value.rfind("pc-i440fx-", 0) != 0)
                refuse(option, "machine '" + value +
                                   "' is not offered: prevt builds QEMU's pc (i440fx, PIIX3)");
        } else if (key == "accel") {
            q.choose_engine(m, engine_for_accel(option, value), option + " accel=" + value);
        } else if (key == "pit") {  // QEMU's OnOffAuto
            if (value != "on" && value != "off" && value != "auto")
                refuse(option, "pit=" + value + ": expected on, off or auto");
            m.pit = value != "off";
        } else {
            refuse(option, "property '" + key + "' is not offered (only type pc, accel= and pit=)");
        }
    }
}

// -device: prevt's PC is fixed; the devices QEMU's test command lines add are the
// isa-debug-exit port, which prevt always has at 0xf4, 4 ports, and kvm-unit-tests' pc-testdev
// (devices/pc_testdev.hpp), attached only when asked for, as in QEMU: those two are accepted.
void check_device(const std::string& v, MachineConfig& m) {
    const std::vector<std::string> parts = split(v, ',');
    const std::string name = parts.empty() ? "" : parts[0];
    if (name == "pc-testdev") {
        if (parts.size() > 1)
            refuse("-device", "pc-testdev: property '" + parts[1] + "' is not offered");
        m.pc_testdev = true;
        return;
    }
    if (name != "isa-debug-exit")
        refuse("-device", "'" + name +
                              "' is not offered: prevt's PC has a fixed set of devices "
                              "(docs/qemu-options.md)");
    std::string iobase = "0x501", iosize = "0x02";  // QEMU's defaults
    for (size_t i = 1; i < parts.size(); ++i) {
        if (parts[i].rfind("iobase=", 0) == 0)
            iobase = parts[i].substr(7);
        else if (parts[i].rfind("iosize=", 0) == 0)
            iosize = parts[i].substr(7);
        else
            refuse("-device", "isa-debug-exit: property '" + parts[i] + "' is not offered");
    }
    const unsigned long base = strtoul(iobase.c_str(), nullptr, 0);
    const unsigned long size = strtoul(iosize.c_str(), nullptr, 0);
    if (base != 0xf4 || size != 4)
        refuse("-device", "prevt's isa-debug-exit is at iobase=0xf4,iosize=0x04 (got iobase=" +
                              iobase + ",iosize=" + iosize + ")");
}

}  // namespace

void QemuParse::choose_engine(MachineConfig& m, const std::string& engine,
                              const std::string& option) {
    if (!engine_by.empty() && m.engine != engine)
        throw InputError(option + " chooses the " + engine + " engine, but " + engine_by +
                         " chose " + m.engine + " (see prevt --help)");
    m.engine = engine;
    engine_by = option;
}

void QemuParse::finish(MachineConfig& m, bool serial_given) const {
    m.vga = vga.empty() ? !nodefaults : vga == "std";
    if (nodefaults && !serial_given) m.serial = "none";
    if (!m.vga && (m.display == "text" || !m.screen_dump.empty()))
        throw InputError(std::string(m.display == "text" ? "--display text" : "--screen-dump") +
                         " needs the VGA: drop -vga none (or add -vga std after -nodefaults; "
                         "see prevt --help)");
}

std::string parse_serial(const std::string& v) {
    if (v == "stdio" || v == "mon:stdio") return "stdio";  // the console has Ctrl-A c anyway
    if (v == "none" || v == "null") return "none";
    if (v == "pty") return v;
    if (v.rfind("file:", 0) == 0 && v.size() > 5) return v;
    refuse("-serial", "expected stdio, none, file:PATH or pty, got '" + v + "'");
}

bool apply_qemu_option(const std::string& a, const OptionArgs& args, MachineConfig& m, QemuParse& q,
                       std::string* verb) {
    if (a == "-d") {
        const std::string items = args.value();
        if (items == "help" || items == "?") {
            *verb = "trace-help";
            return true;
        }
        m.trace += (m.trace.empty() ? "" : ",") + items;
    } else if (a == "-D") {
        m.trace_file = args.value();
        if (m.trace_file.empty()) refuse(a, "empty file name");
    } else if (a == "-accel" || a == "--accel") {
        const std::string v = args.value();
        const std::string name = v.substr(0, v.find(','));
        if (name != v) refuse(a, "accelerator properties are not offered, got '" + v + "'");
        q.choose_engine(m, engine_for_accel(a, name), a + " " + v);
    } else if (a == "-enable-kvm" || a == "--enable-kvm") {
        args.flag();
        q.choose_engine(m, "kvm", a);
    } else if (a == "-machine" || a == "-M" || a == "--machine") {
        apply_machine(a, args.value(), m, q);
    } else if (a == "-smp" || a == "--smp") {
        m.cpus = parse_smp(args.value());
    } else if (a == "-no-reboot" || a == "--no-reboot") {
        args.flag();
        m.no_reboot = true;
    } else if (a == "-name" || a == "--name") {
        std::string v = args.value();
        if (v.rfind("guest=", 0) == 0) v = v.substr(6, v.find(',') - 6);  // QEMU's long form
        if (v.empty()) refuse(a, "empty name");
        m.name = v;
    } else if (a == "-vga" || a == "--vga") {
        const std::string v = args.value();
        if (v != "std" && v != "none")
            refuse(a, "expected std (prevt's VGA: text mode) or none, got '" + v + "'");
        q.vga = v;
    } else if (a == "-nodefaults" || a == "--nodefaults") {
        args.flag();
        q.nodefaults = true;
    } else if (a == "-device" || a == "--device") {
        check_device(args.value(), m);
    } else {
        return false;
    }
    return true;
}

}  // namespace prevt::cli
