#include "core/machine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/engines/bt_engine.hpp"
#include "core/engines/kvm_engine.hpp"
#include "core/engines/trap_engine.hpp"
#include "core/errors.hpp"
#include "core/loaders/bios.hpp"
#include "core/loaders/bios_left_state.hpp"
#include "core/loaders/guest_loader.hpp"
#include "core/native/layout.hpp"

namespace prevt {

namespace {

// The engine, told the guest's CPU profile where it answers for it (bt: the allowlist; kvm:
// KVM_SET_CPUID2). trap runs guest code natively: cpuid (with CPUID faulting) and MSRs reach
// the virtual CPU, which the run loop gives the profile.
std::unique_ptr<Engine> make_engine(const MachineConfig& c, GuestMemory& ram, const Trace& trace,
                                    FILE* perf_map) {
    const std::string& name = c.engine;
    if (name == "trap") return std::make_unique<TrapEngine>(ram);
    if (name == "bt") {
        const bt::Listing print = [out = trace.out](const std::string& line) {
            fprintf(out, "%s\n", line.c_str());
        };
        auto bt = std::make_unique<BtEngine>(ram, trace.in_asm ? print : nullptr, c.tc_kib * 1024,
                                             trace.out_asm ? print : nullptr);
        bt->set_cpu_profile(*c.cpu);
        bt->set_pause_exits(c.cpus > 1);
        if (perf_map) bt->set_perf_map(perf_map);
        return bt;
    }
    // Whether this host's KVM shows the guest prevt's CPUID profile takes a probe VM to know,
    // and matters only to a guest that executes cpuid, which KVM does not report: checked
    // (and a difference warned of) when -cpu asks for a profile or --stats for the facts;
    // `prevt host` says it always (kvm-cpuid), docs/kvm-engine.md explains.
    if (name == "kvm")
        return std::make_unique<KvmEngine>(ram, *c.cpu, /*quiet=*/!c.cpu_given && !c.stats);
    throw InputError("--engine: unknown engine '" + name + "' (known: bt, trap, kvm)");
}

// An output file for --serial file:PATH or --trace-file PATH, created or truncated.
int open_output_file(const std::string& option, const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw InputError(option + " " + path + ": " + strerror(errno));
    return fd;
}

// The physical memory map: RAM from -m at 0 (below 3 GiB), the local APIC's page at
// 0xfee00000. No ROM yet (the BIOS and VGA memory come with the issues that need them).
MemoryMap pc_memory_map(uint64_t ram_bytes, const std::vector<uint8_t>* bios) {
    MemoryMap map = MemoryMap::ram_only(ram_bytes);
    map.add_mmio(devices::LocalApic::kDefaultBase, devices::LocalApic::kMmioSize, "the local APIC");
    if (bios) add_bios_rom(map, bios->size());
    return map;
}

// The firmware a BIOS boot runs (-bios, or a disk without a guest), read once.
std::vector<uint8_t> bios_image(const MachineConfig& c) {
    if (!c.guest.empty()) return {};
    return read_bios(c.bios.empty() ? kDefaultBios : c.bios);
}

// One line per bus access for -d io (all) and -d guest_errors (unassigned only): the bus, the
// direction and width as x86 spells them (inb/outw/readl...), the address, the value, the device.
devices::Bus::Observer io_tracer(const Trace& trace, const devices::Bus& bus) {
    const bool ports = bus.name() == "port";
    return
        [out = trace.out, all = trace.io, errors = trace.guest_errors, ports](
            std::string_view device, uint64_t address, unsigned size, bool write, uint32_t value) {
            if (!all && !device.empty()) return;
            const bool error = errors && device.empty();  // (one line, under its own item)
            const char width = size == 1 ? 'b' : size == 2 ? 'w' : 'l';
            const char* verb = ports ? (write ? "out" : "in") : (write ? "write" : "read");
            const std::string who = device.empty() ? "unassigned" : std::string(device);
            fprintf(out, "%s: %s %s%c %0*llx %s %0*x (%s)\n", error ? "guest_errors" : "io",
                    ports ? "port" : "mmio", verb, width, ports ? 4 : 8,
                    static_cast<unsigned long long>(address), write ? "<-" : "->",
                    static_cast<int>(2 * size), value, who.c_str());
        };
}

}  // namespace

Machine::Machine(const MachineConfig& config)
    : config_(config),
      bios_(bios_image(config)),
      ram_(pc_memory_map(config.mem_mib << 20, config.guest.empty() ? &bios_ : nullptr), &mmio_) {
    trace_ = Trace::parse(config.trace);
    trace_.require_engine(config.engine);
    if (trace_.any() || !config.trace_file.empty()) {
        // --trace goes through a HostOutput too: a blocked or failing reader of the trace
        // cannot hold the run past --timeout or kill prevt (core/host_output.hpp).
        if (config.trace_file.empty())
            trace_output_ = std::make_unique<HostOutput>(STDERR_FILENO, false, "--trace (stderr)");
        else
            trace_output_ =
                std::make_unique<HostOutput>(open_output_file("--trace-file", config.trace_file),
                                             true, "--trace-file " + config.trace_file);
        trace_.out = trace_output_->open_stream(config.trace_file.empty());
        if (!trace_.out) throw InputError(std::string("--trace: ") + strerror(errno));
    }
    build_devices();
    // Multiboot or Linux, by what the file is; the loader says how the machine starts.
    // The native engines' monitor sits at the top of the guest's 4 GiB (core/native/layout.hpp;
    // bt's guest linear 0 is host 64 KiB): a Linux guest is told to keep out of it.
    uint64_t reserved_top = 0;
    if (config.engine == "bt")
        reserved_top = native::kFourGiB - native::kMonitorBase + native::kPageZeroOffset;
    if (config.engine == "trap") reserved_top = native::kFourGiB - native::kMonitorBase;
    if (config.guest.empty()) {
        vcpu_ = load_bios(bios_, ram_);
        if (std::vector<uint8_t> vga = read_vga_bios(); !vga.empty())
            fw_cfg_.add_file(kVgaBiosFwCfgName, std::move(vga));
    } else {
        // QEMU boots a Multiboot kernel after SeaBIOS's POST: the PICs, the PIT, the IVT and
        // the BDA as SeaBIOS leaves them (core/loaders/bios_left_state.hpp), before the load.
        if (guest_kind(config.guest) == GuestKind::kMultiboot)
            loaders::leave_bios_state(ports_, ram_);
        vcpu_ = load_guest({config.guest, config.cmdline, config.initrd, reserved_top}, ram_);
    }
    bios_.clear();
    if (config.perf_map) open_perf_map();  // before the seccomp filter forbids opening files
    engine_ = make_engine(config, ram_, trace_, perf_map_);
    engine_->set_single_step(trace_.steps());
    // bt keeps the TPR where translated code stores it (not with -d io: every access is seen).
    if (!trace_.io) engine_->attach_local_apic(lapic_);
    build_debugger();
    // -d io: every port and MMIO access, whichever engine made it (all go through a bus);
    // -d guest_errors: those no device answers.
    if (trace_.io || trace_.guest_errors)
        for (devices::Bus* bus : {&ports_, &mmio_}) bus->set_observer(io_tracer(trace_, *bus));
    if (!pty_name_.empty())
        fprintf(stderr, "char device redirected to %s (label serial0)\n", pty_name_.c_str());
    if (console_) console_->enter_raw();  // last: bad input leaves the terminal untouched
}

Machine::~Machine() {
    if (trace_output_ && trace_.out) fclose(trace_.out);  // before trace_output_ goes
    if (perf_map_) fclose(perf_map_);
    if (pty_slave_ >= 0) close(pty_slave_);
}

// --perf-map: perf's convention for code it finds no file for (tools/perf/Documentation/
// jit-interface.txt): /tmp/perf-PID.map, one "START SIZE NAME" line (hex) per symbol.
void Machine::open_perf_map() {
    if (config_.engine != "bt")
        throw InputError("--perf-map: the " + config_.engine +
                         " engine translates nothing; only bt writes a perf map (--engine bt)");
    const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    // (not through a link another user left there: the name is predictable)
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    perf_map_ = fd >= 0 ? fdopen(fd, "w") : nullptr;
    if (!perf_map_) throw HostError("--perf-map: " + path + ": " + strerror(errno));
    setvbuf(perf_map_, nullptr, _IOLBF, 0);  // whole lines, whatever way the run ends
}

// --serial pty: a new pseudo-terminal, its name on stderr as QEMU prints it. The slave end
// stays open here, so that the master neither hangs up nor fails before a client opens it;
// its modes are raw (the console's enter_raw), as QEMU's pty chardev makes them.
int Machine::open_serial_pty() {
    const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char* name =
        master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : nullptr;
    if (name) pty_slave_ = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (!name || pty_slave_ < 0)
        throw HostError(std::string("--serial pty: no pseudo-terminal: ") + strerror(errno));
    pty_name_ = name;  // said once the machine is built (bad input keeps its one line)
    return master;
}

void Machine::set_output_deadline(HostOutput::Clock::time_point deadline) {
    for (HostOutput* o : {com1_output_.get(), console_output_.get(), trace_output_.get()})
        if (o) o->set_deadline(deadline);
}

void Machine::build_devices() {
    std::function<void(uint8_t)> sink;
    const std::string& serial = config_.serial;
    int console_fd = STDIN_FILENO;  // what COM1's console reads, if it reads
    if (serial == "stdio") {
        com1_output_ = std::make_unique<HostOutput>(STDOUT_FILENO, false, "COM1 output (stdout)");
        serial_input_ =
            isatty(STDIN_FILENO) && config_.monitor != "stdio";  // (stdin: the monitor's)
    } else if (serial == "none") {
        sink = [](uint8_t) {};
    } else if (serial == "capture" && config_.capture) {
        sink = config_.capture;
    } else if (serial == "pty") {
        console_fd = open_serial_pty();
        com1_output_ = std::make_unique<HostOutput>(console_fd, true, "COM1 output (pty)");
        serial_input_ = true;  // the pty's client types to COM1 (with the console's escapes)
    } else if (serial.rfind("file:", 0) == 0) {
        com1_output_ = std::make_unique<HostOutput>(open_output_file("--serial", serial.substr(5)),
                                                    true, "COM1 output (" + serial + ")");
    } else {
        throw InputError("--serial: expected stdio, none, file:PATH or pty, got '" + serial +
                         "' (see prevt --help)");
    }
    if (com1_output_) sink = [o = com1_output_.get()](uint8_t b) { o->put(b); };
    com1_ = std::make_unique<devices::Uart16550>(sink, pic_.line(4));
    if (serial_input_)
        console_ = std::make_unique<Console>(
            console_fd, *com1_,
            [o = com1_output_.get()](const char* text) { o->write(text, strlen(text)); });
    if (config_.pit) {
        pit_ = std::make_unique<devices::I8254>(clock_, pic_.line(0));
        timers_.add(*pit_);
        port61_ = std::make_unique<devices::Port61>(*pit_, clock_);
    }
    console_output_ =
        std::make_unique<HostOutput>(STDERR_FILENO, false, "0xe9 debug console (stderr)");
    debug_console_ = std::make_unique<devices::DebugConsole>(
        [o = console_output_.get()](uint8_t b) { o->put(b); });
    debug_exit_ = std::make_unique<devices::DebugExit>([this](int status) {
        exit_status_ = status & 0xff;
        stop_ = true;
    });
    pic_.attach(ports_);
    build_cpus();
    if (pit_) {
        ports_.attach(devices::I8254::kIoBase, devices::I8254::kPortCount, *pit_);
        ports_.attach(devices::Port61::kIoBase, 1, *port61_);
    }
    ports_.attach(0x3f8, 8, *com1_);
    ports_.attach(0xe9, 1, *debug_console_);
    ports_.attach(0xf4, 4, *debug_exit_);
    build_chipset();
}

void Machine::poll_serial_input() {
    if (!serial_input_) return;
    switch (console_->poll()) {
        case Console::Poll::kRunning: break;
        case Console::Poll::kClosed: serial_input_ = false; break;
        case Console::Poll::kQuit:
            fprintf(stderr, "prevt: terminated by Ctrl-A X\n");
            exit_status_ = kStatusPowerOff;
            stop_ = true;
            break;
    }
}

static const char* const kSegNames[] = {"ES", "CS", "SS", "DS", "FS", "GS"};

const char* seg_name(SegReg s) {
    return kSegNames[static_cast<int>(s)];
}

void Machine::dump_registers(FILE* out) const {
    const VcpuState& s = vcpu_;
    if (vcpus_.size() > 1)  // -smp: the running one's (the one that failed)
        fprintf(out, "vCPU %u of %zu (APIC ID %u)\n", current_, vcpus_.size(), current_);
    fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", s.gpr[eax], s.gpr[ebx], s.gpr[ecx],
            s.gpr[edx]);
    fprintf(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", s.gpr[esi], s.gpr[edi], s.gpr[ebp],
            s.gpr[esp]);
    fprintf(out, "EIP=%08x EFL=%08x CPL=%u CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", s.eip, s.eflags,
            s.cpl(), s.cr0, s.cr2, s.cr3, s.cr4);
    for (int i = 0; i < kSegRegCount; ++i) {
        const Segment& g = s.seg[i];
        fprintf(out, "%-3s=%04x %08x %08x type %x dpl %u%s%s\n", kSegNames[i], g.selector, g.base,
                g.limit, g.type, g.dpl, g.db ? " 32" : " 16", g.present ? "" : " unusable");
    }
    fprintf(out, "LDT=%04x %08x %08x  TR=%04x %08x %08x\n", s.ldtr.selector, s.ldtr.base,
            s.ldtr.limit, s.tr.selector, s.tr.base, s.tr.limit);
    fprintf(out, "GDT=     %08x %08x  IDT=     %08x %08x\n", s.gdtr.base, s.gdtr.limit, s.idtr.base,
            s.idtr.limit);
}

}  // namespace prevt
