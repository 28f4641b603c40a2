// The one builder: guest memory, buses, devices, the loaded guest, the virtual CPU and an
// engine, wired together; and the run loop (run_loop.cpp) that serves the engine's exits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/console.hpp"
#include "core/debug/debugger.hpp"
#include "core/disk_image.hpp"
#include "core/emulate/guest_linear_memory.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_memory.hpp"
#include "core/host_output.hpp"
#include "core/stats.hpp"
#include "core/terminal_keys.hpp"
#include "core/text_display.hpp"
#include "core/trace.hpp"
#include "core/vcpu_state.hpp"
#include "devices/apic_bus.hpp"
#include "devices/ata_disk.hpp"
#include "devices/bus.hpp"
#include "devices/clock.hpp"
#include "devices/deadline_queue.hpp"
#include "devices/debug_console.hpp"
#include "devices/debug_exit.hpp"
#include "devices/floppy82077.hpp"
#include "devices/fw_cfg.hpp"
#include "devices/i440fx.hpp"
#include "devices/i8042.hpp"
#include "devices/i8254.hpp"
#include "devices/isa_dma.hpp"
#include "devices/local_apic.hpp"
#include "devices/mc146818.hpp"
#include "devices/pc_testdev.hpp"
#include "devices/pci_host.hpp"
#include "devices/pic_pair.hpp"
#include "devices/piix3.hpp"
#include "devices/piix3_ide.hpp"
#include "devices/port61.hpp"
#include "devices/port92.hpp"
#include "devices/post_port.hpp"
#include "devices/uart16550.hpp"
#include "devices/vga.hpp"

namespace prevt {

struct MachineConfig {
    std::string engine = "bt";  // the contained engine
    uint64_t mem_mib = 128;
    std::string guest;             // -kernel: a Multiboot ELF or a Linux bzImage
    std::string cmdline;           // -append: Multiboot (default: the guest path) or Linux
    std::string initrd;            // -initrd: Linux only
    std::string serial = "stdio";  // stdio | none | file:PATH | pty
    bool stats = false;
    std::string trace;  // --trace LIST
    std::string trace_file;
    double timeout_seconds = 0;
    uint32_t tc_kib = 0;  // bt: translation cache size in KiB (0: all of the monitor area)
    const CpuProfile* cpu = &default_profile();  // -cpu NAME
    bool cpu_given = false;  // -cpu was on the command line (kvm then checks KVM honours it)
    // Disks and screen (docs/pc-devices.md): -fda/-hda image files (empty: none), -boot's
    // order (letters a, c, d, n; empty: QEMU's "cad"), -snapshot, --screen-dump FILE, and
    // --display none|text.
    std::string fda, hda, boot;
    // -bios FILE: boot through this firmware (core/loaders/bios.hpp; docs/real-mode.md). Empty
    // with no guest but a disk: Debian's SeaBIOS.
    std::string bios;
    bool snapshot = false;
    std::string screen_dump;
    std::string display = "none";
    // Debugging (docs/debugging.md): -gdb tcp::PORT (-s: tcp::1234), -S, -monitor stdio.
    std::string gdb;
    bool start_stopped = false;
    std::string monitor;  // "" or "stdio"
    // QEMU's (docs/qemu-options.md): -no-reboot (prevt never reboots: it only changes the
    // reset line's wording), -name, -vga none (no VGA ports; -nodefaults implies it).
    bool no_reboot = false;
    std::string name;
    bool vga = true;
    // -device pc-testdev: QEMU's test device (0xe0, 0x2000 + IRQ; devices/pc_testdev.hpp).
    bool pc_testdev = false;
    // -smp N: vCPUs (bt only, at most devices::ApicBus::kMaxCpus; trap and kvm run one, saying
    // so). -machine pit=off: no i8254 (ports 0x40-0x43 and 0x61 unassigned, no IRQ 0 source).
    unsigned cpus = 1;
    bool pit = true;
    // --perf-map (bt): /tmp/perf-PID.map, a line per translation, for perf report.
    bool perf_map = false;
    // Where COM1's output goes when serial == "capture" (the demo).
    std::function<void(uint8_t)> capture;
};

// Exit statuses of `prevt run` (ARCHITECTURE.md, "Conventions").
inline constexpr int kStatusPowerOff = 0, kStatusBadInput = 2, kStatusGuestFailure = 3,
                     kStatusHostFailure = 4, kStatusTimeout = 124;

class Machine {
public:
    explicit Machine(const MachineConfig& config);  // throws InputError for bad input
    ~Machine();
    // Runs to the end; returns the process exit status. Reports guest failures on stderr.
    int run();

    // A vCPU's run state and its architectural state while another one runs (run_loop_smp.cpp).
    enum class VcpuRun : uint8_t { kRunning, kHalted, kWaitForSipi };
    struct VcpuSlot {
        VcpuState state;
        VcpuRun run = VcpuRun::kRunning;
    };

    VcpuState& vcpu() { return vcpu_; }
    Engine& engine() { return *engine_; }
    const Stats& stats() const { return stats_; }

private:
    friend class RunLoop;
    void build_devices();
    // The PC's chipset: CMOS/RTC, the 8042, port 0x92, port 0x80, the PCI host bridge with
    // the 440FX and the PIIX3, fw_cfg (machine_pc.cpp).
    void build_chipset();
    // A reset request (the 8042's pulse, port 0x92, PCI 0xcf9): prevt does not reboot (QEMU's
    // -no-reboot): the run ends, status 0, with one line saying why.
    void reset_requested(const char* by);
    // The DMA pair, the floppy controller and -fda, the ATA disk and -hda, the VGA, the CMOS
    // bytes they need (floppy type, boot order) and the display (machine_storage.cpp).
    void build_storage();
    // --display text: redraws the screen if it changed (the run loop's 10 ms tick).
    void refresh_display();
    // At the end of the run, however it ends: the last screen to --screen-dump's file, the
    // terminal given back.
    void finish_screen();
    void dump_registers(FILE* out) const;
    // Blocked host outputs give up at `deadline` (--timeout), so the run loop can end the run.
    void set_output_deadline(HostOutput::Clock::time_point deadline);
    // Host input for COM1: bytes waiting on stdin (a terminal) go to the UART's receive FIFO
    // (core/console.hpp: the escapes; Ctrl-A x ends the run, status 0).
    void poll_serial_input();
    void build_debugger();  // (machine_debug.cpp)
    // -smp: the APs' APICs, the APIC bus over all, their states (machine_smp.cpp).
    void build_cpus();
    void open_perf_map();   // --perf-map (bt): /tmp/perf-PID.map
    int open_serial_pty();  // --serial pty: the master's descriptor
    void print_stats(FILE* out) const;
    Stats::Clock::time_point started_{};

    MachineConfig config_;
    devices::Bus mmio_{"mmio"};  // before ram_, which routes MMIO to it
    std::vector<uint8_t> bios_;  // a BIOS boot's image until it is loaded (before ram_: its map)
    GuestMemory ram_;
    // Where COM1, the debug console and --trace write (core/host_output.hpp). Declared before
    // the devices holding pointers to them: destroyed after them.
    std::unique_ptr<HostOutput> com1_output_, console_output_, trace_output_;
    devices::Bus ports_{"port"};
    devices::HostClock clock_;
    devices::DeadlineQueue timers_;  // every device that counts time (the run loop serves it)
    devices::PicPair pic_;           // 0x20, 0xa0
    // 0xfee00000 (MMIO), IA32_APIC_BASE; the CPU's interrupts come from it, the PIC's through
    // its LINT0 (virtual wire) or straight while it is disabled.
    devices::LocalApic lapic_{clock_, &pic_};
    // -smp N: the APs' APICs (index = APIC ID; lapic_ is the BSP's) and the APIC bus over all
    // (even one): 0xfee00000 is the running vCPU's APIC, the ICR reaches the others.
    std::vector<std::unique_ptr<devices::LocalApic>> ap_lapics_;
    std::unique_ptr<devices::ApicBus> apic_bus_;
    std::unique_ptr<devices::I8254> pit_;       // 0x40, IRQ 0 (none with -machine pit=off)
    std::unique_ptr<devices::Port61> port61_;   // 0x61
    std::unique_ptr<devices::Uart16550> com1_;  // 0x3f8, IRQ 4
    std::unique_ptr<devices::DebugConsole> debug_console_;
    std::unique_ptr<devices::DebugExit> debug_exit_;
    std::unique_ptr<devices::Mc146818> rtc_;   // 0x70, IRQ 8
    std::unique_ptr<devices::I8042> i8042_;    // 0x60/0x64, IRQ 1 and 12
    std::unique_ptr<devices::Port92> port92_;  // 0x92
    devices::PostPort post_port_;              // 0x80
    devices::I440fx pmc_;                      // PCI 00:00.0
    devices::Piix3 piix3_;                     // PCI 00:01.0
    devices::Piix3Ide piix3_ide_;              // PCI 00:01.1
    devices::PciHost pci_;                     // 0xcf8-0xcff
    devices::FwCfg fw_cfg_;                    // 0x510-0x511
    // -device pc-testdev only: 0xe0-0xeb, 0x2000-0x2017 (its IRQ lines into pic_).
    std::unique_ptr<devices::PcTestdev> pc_testdev_;
    // Storage and screen (machine_storage.cpp): guest memory as devices reach it, the images,
    // the devices; declared in the order they depend on each other.
    std::unique_ptr<devices::PhysicalMemory> device_memory_;
    std::unique_ptr<DiskImage> floppy_image_, disk_image_;
    std::unique_ptr<devices::IsaDma> dma_;        // 0x00-0x0f, 0x81-0x8f, 0xc0-0xdf
    std::unique_ptr<devices::Floppy82077> fdc_;   // 0x3f0-0x3f5, 0x3f7, IRQ 6, DMA 2
    std::unique_ptr<devices::AtaDisk> ata_;       // 0x1f0-0x1f7, 0x3f6, IRQ 14 (-hda)
    std::unique_ptr<devices::Vga> vga_;           // 0x3b0-0x3df, text at 0xb8000
    int screen_dump_fd_ = -1;                     // --screen-dump, opened at start
    std::unique_ptr<HostOutput> display_output_;  // --display text: stdout
    std::unique_ptr<TerminalDisplay> display_;
    std::unique_ptr<TerminalKeys> keys_;  // --display text: the terminal's bytes as keys
    // The A20 gate, as the 8042 and port 0x92 set it (ORed), told to the virtual CPU's linear
    // memory and the engine (docs/real-mode.md, "A20").
    bool a20_ = true;
    FILE* perf_map_ = nullptr;          // --perf-map
    int pty_slave_ = -1;                // --serial pty: the slave, held open (open_serial_pty)
    std::string pty_name_;              // ... and its name (/dev/pts/N)
    bool serial_input_ = false;         // stdin is a terminal and COM1 is on stdio (or a pty)
    std::unique_ptr<Console> console_;  // then: that terminal, raw while the machine lives
    VcpuState vcpu_;                    // the running vCPU's state (vcpus_[current_] while it runs)
    // Every vCPU's state while another one runs, and whether it can run (run_loop_smp.cpp).
    std::vector<VcpuSlot> vcpus_;
    unsigned current_ = 0;
    GuestLinearMemory linear_{ram_, vcpu_};
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<Debugger> debugger_;  // the gdb stub and the monitor, if asked for
    Stats stats_;
    Trace trace_;
    bool stop_ = false;
    int exit_status_ = kStatusPowerOff;
};

}  // namespace prevt
