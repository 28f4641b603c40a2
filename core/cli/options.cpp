#include "core/cli/options.hpp"

#include <sys/stat.h>

#include "core/cli/option_values.hpp"
#include "core/cli/qemu_options.hpp"
#include "core/errors.hpp"

namespace prevt::cli {

const char* usage_text() {
    return R"(usage: prevt run [options] GUEST     run a Multiboot v1 ELF guest or a Linux bzImage
       prevt run [options] -kernel bzImage [-initrd FILE] [-append "CMDLINE"]
       prevt run [options] -bios FILE | -fda FILE | -hda FILE   boot through a BIOS
       prevt GUEST [options], prevt -kernel FILE [options]   the same, as qemu-system-i386
                                       is called (-- ends the options)
       prevt demo [NAME] [--engine E,E] a demo per challenge (built-in guests): sensitive,
                                       rings, compression, paging, syscalls, interrupts,
                                       tpr, all (docs/teaching.md)
       prevt host                      what this host offers (CPUID faulting, UMIP, KVM)
       prevt table [-cpu NAME]         how the binary translator classifies instructions
       prevt --help | --version

options of run:
  --engine trap|bt|kvm   execution engine (default bt); QEMU's -accel tcg is bt, -accel kvm
                         (-enable-kvm, -machine accel=) kvm (docs/qemu-options.md)
                         bt: all guest code runs from a translation cache (contained).
                         kvm: the host's KVM (on a host without VT-x/SVM only what KVM's
                         instruction emulator can run; the rest stops with "host limit").
                         trap: guest code runs natively at host ring 3 and privileged
                         instructions trap and are emulated. The trap engine is NOT
                         CONTAINED: a hostile guest can jump into the host's 64-bit code
                         segment. Run only trusted guests with it.
  -m, --mem MIB          guest RAM in MiB (suffix M or G; default 128)
  -kernel, --kernel FILE the guest (as the GUEST argument): a Multiboot v1 ELF kernel or a
                         Linux bzImage (boot protocol 2.04+, 32-bit), picked by what it is
  -initrd, --initrd FILE Linux: the initial ramdisk (placed high in RAM, page aligned)
  -append, --append CMDLINE
                         Linux: the kernel command line exactly (default empty; add
                         console=ttyS0 for the serial console). Multiboot: as QEMU, the
                         guest's path, a space, then CMDLINE
  -fda, --fda FILE       floppy drive A: a 1.44 MB image (exactly 1474560 bytes)
  -hda, --hda FILE       ATA disk 0 on the primary channel: a raw image, whole 512-byte sectors.
                         The guest's writes go to the file (as QEMU), unless -snapshot; a file
                         without write permission is a write-protected disk
  -snapshot, --snapshot  keep the guest's disk writes in memory: the image files stay untouched
  -bios, --bios FILE     boot through this BIOS image (real mode from the reset vector;
                         default with -fda/-hda and no guest: /usr/share/seabios/bios.bin)
  -boot, --boot ORDER    the BIOS boot order in CMOS: a (floppy), c (disk), d, n (default cad)
  --display none|text    text: draw the VGA's 80x25 text screen on the terminal (ANSI escapes)
                         and send the terminal's keys to the PS/2 keyboard (Ctrl-A X quits);
                         COM1 then defaults to none. none (default) draws nothing.
                         -display curses is text
  -nographic             --display none and --serial stdio (the default)
  --screen-dump FILE     write the last text screen to FILE as plain text (UTF-8) when the run
                         ends, however it ends
  -serial, --serial stdio|none|file:PATH|pty
                         where COM1's output goes (default stdio; null is none, mon:stdio
                         stdio). pty: a new pseudo-terminal, named on stderr as QEMU
                         does ("char device redirected to /dev/pts/N"). stdio with stdin a
                         terminal is the guest's console, as QEMU's -nographic: the
                         terminal is raw (^C goes to the guest); Ctrl-A X quits (status
                         0), Ctrl-A H lists the escapes, Ctrl-A C the monitor, Ctrl-A Ctrl-A
                         sends Ctrl-A
  --stats                print exit, trap, signal and device statistics on stderr
  -d, --trace LIST       comma-separated, QEMU's -d names: int, exec, cpu, trap, io,
                         guest_errors, in_asm, out_asm (bt); -d help describes them
  -D, --trace-file PATH  write the trace there instead of stderr
  --perf-map             bt: write /tmp/perf-PID.map (a line per translation) for perf report
  --timeout SECONDS      stop the guest after that long (exit status 124)
  --tc-size KIB          bt: limit the translation cache (flushed when full; default ~31 MiB)
  -cpu, --cpu NAME       the guest's CPU (CPUID, MSRs, the instructions that exist; default
                         n270); -cpu help lists them (docs/cpu-profiles.md)
  -gdb, --gdb tcp:[HOST]:PORT
                         a gdb remote stub on that port (HOST default 127.0.0.1)
                         (docs/debugging.md)
  -s                     -gdb tcp::1234
  -S                     do not start the guest: wait for gdb's continue (or the monitor's)
  -smp N                 N vCPUs, 1 to 8 (bt; trap and kvm run one, saying so)
  -machine, -M pc[,accel=tcg|kvm][,pit=off]
                         QEMU's pc (i440fx, PIIX3) is prevt's machine; other types refused;
                         pit=off: no i8254 (ports 0x40-0x43, 0x61)
  -no-reboot             the run ends when the guest resets the machine (prevt never
                         reboots; with or without it, only the message differs)
  -name NAME             the process's name (ps, top)
  -vga std|none          std: the VGA (text mode, the default); none: no VGA ports
  -nodefaults            no VGA unless -vga std, COM1 unconnected unless -serial
  -device isa-debug-exit,iobase=0xf4,iosize=0x04
                         accepted: prevt's PC always has it; other devices are refused
  -device pc-testdev     QEMU's test device (0xe0, IRQ lines at 0x2000), for kvm-unit-tests
  -monitor, --monitor stdio|none
                         the monitor on stdin/stdout (info registers, x/4x ADDR, stop,
                         cont, quit, help); on the serial console it is Ctrl-A C

exit status: (V << 1) | 1 when the guest writes V to port 0xf4 (isa-debug-exit); 0 when the
guest powers off (hlt with interrupts disabled, as Linux's poweroff -f without ACPI) or resets
the machine (prevt does not reboot); 2 for bad input; 3 when the guest fails (triple fault, unsupported state);
4 when the host refuses something prevt needs; 124 on --timeout; 0 after Ctrl-A X. Output
that cannot be written (a reader gone, a full disk) is reported once on stderr and dropped;
the guest runs on.
)";
}

Command parse_command_line(const std::vector<std::string>& args) {
    Command c;
    if (args.empty()) throw InputError("no command given (see prevt --help)");
    c.verb = args[0];
    if (c.verb == "--help" || c.verb == "-h" || c.verb == "help") {
        c.verb = "help";
        return c;
    }
    if (c.verb == "--version") {
        c.verb = "version";
        return c;
    }
    // QEMU's habit: `prevt GUEST [options]` or `prevt -kernel FILE ...`, without `run`.
    size_t first = 1;
    if (c.verb != "run" && c.verb != "demo" && c.verb != "host" && c.verb != "table") {
        struct stat st;
        const bool file = stat(c.verb.c_str(), &st) == 0 && S_ISREG(st.st_mode);
        if (!file && (c.verb.empty() || c.verb[0] != '-'))
            throw InputError(
                "'" + c.verb +
                "' is neither a command (run, demo, host, table) nor a guest file (see prevt "
                "--help)");
        c.verb = "run";
        first = 0;
    }
    MachineConfig& m = c.machine;
    bool serial_given = false;  // --display text moves COM1's default off the terminal
    bool options_end = false;   // after "--": every argument is the guest
    int serial_options = 0;
    QemuParse q;
    auto positional = [&](const std::string& a) {
        if (c.verb == "run" && m.guest.empty())
            m.guest = a;
        else if (c.verb == "run")
            throw InputError("unexpected argument '" + a + "': the guest is already given ('" +
                             m.guest + "'; see prevt --help)");
        else if (c.verb == "demo" && c.demo.empty())
            c.demo = a;
        else
            throw InputError("unexpected argument '" + a + "' (see prevt --help)");
    };
    for (size_t i = first; i < args.size(); ++i) {
        std::string a = args[i], value;
        if (options_end) {
            positional(a);
            continue;
        }
        if (a == "--") {
            options_end = true;
            continue;
        }
        const size_t eq = a.find('=');
        const bool has_eq = a.rfind("--", 0) == 0 && eq != std::string::npos;
        if (has_eq) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        }
        auto need = [&]() -> std::string {
            if (has_eq) return value;
            if (i + 1 >= args.size()) refuse(a, "missing value");
            return args[++i];
        };
        // A flag takes no value: --stats=no must not turn stats on.
        auto flag = [&]() {
            if (has_eq) refuse(a, "takes no value, got '" + value + "'");
        };
        const OptionArgs qemu_args{need, flag};
        if (a == "--engine" && c.verb == "demo") {
            c.demo_engines = need();  // a list: the demo checks it
        } else if (a == "--engine") {
            q.choose_engine(m, need(), "--engine");
        } else if (apply_qemu_option(a, qemu_args, m, q, &c.verb)) {
            if (c.verb == "trace-help") return c;
        } else if (a == "--perf-map") {
            flag();
            m.perf_map = true;
        } else if (a == "-m" || a == "--mem")
            m.mem_mib = parse_mib(need());
        else if (a == "-append" || a == "--append")
            m.cmdline = need();
        else if (a == "-kernel" || a == "--kernel") {
            if (!m.guest.empty()) refuse(a, "a guest is already given ('" + m.guest + "')");
            m.guest = need();
            if (m.guest.empty()) refuse(a, "empty file name");
        } else if (a == "-initrd" || a == "--initrd") {
            m.initrd = need();
            if (m.initrd.empty()) refuse(a, "empty file name");
        } else if (a == "--serial" || a == "-serial") {
            // QEMU's second -serial is COM2, which prevt's PC does not have.
            if (serial_options++) refuse(a, "given twice: prevt's PC has one serial port (COM1)");
            m.serial = parse_serial(need());
            serial_given = true;
        } else if (a == "-fda" || a == "--fda") {
            m.fda = need();
            if (m.fda.empty()) refuse(a, "empty file name");
        } else if (a == "-hda" || a == "--hda") {
            m.hda = need();
            if (m.hda.empty()) refuse(a, "empty file name");
        } else if (a == "-bios" || a == "--bios") {
            m.bios = need();
            if (m.bios.empty()) refuse(a, "empty file name");
        } else if (a == "-boot" || a == "--boot") {
            m.boot = parse_boot(need());
        } else if (a == "-snapshot" || a == "--snapshot") {
            flag();
            m.snapshot = true;
        } else if (a == "--display" || a == "-display") {
            m.display = parse_display(need());
        } else if (a == "-nographic" || a == "--nographic") {
            flag();
            m.display = "none";
            m.serial = "stdio";
            serial_given = true;
        } else if (a == "--screen-dump") {
            m.screen_dump = need();
            if (m.screen_dump.empty()) refuse(a, "empty file name");
        } else if (a == "--stats") {
            flag();
            m.stats = true;
        } else if (a == "--trace")
            m.trace = need();
        else if (a == "--trace-file")
            m.trace_file = need();
        else if (a == "--timeout")
            m.timeout_seconds = parse_seconds(need());
        else if (a == "--tc-size")
            m.tc_kib = parse_kib(need());
        else if (a == "-cpu" || a == "--cpu") {
            const std::string name = need();
            if (name == "help" || name == "?") {  // QEMU's spellings: list and exit
                c.verb = "cpu-help";
                return c;
            }
            if (name.find(',') != std::string::npos)  // QEMU's "max,+x2apic,vendor=..."
                throw InputError(a + ": '" + name +
                                 "': feature lists are not supported, only a model name (see "
                                 "prevt run -cpu help)");
            m.cpu = find_cpu_profile(name);
            m.cpu_given = true;
            if (!m.cpu)
                throw InputError(a + ": unknown CPU model '" + name +
                                 "' (see prevt run -cpu help)");
        } else if (a == "-s") {
            flag();
            m.gdb = "tcp::1234";
        } else if (a == "-gdb" || a == "--gdb") {
            m.gdb = need();
            if (m.gdb.empty()) refuse(a, "expected tcp::PORT");
        } else if (a == "-S") {
            flag();
            m.start_stopped = true;
        } else if (a == "-monitor" || a == "--monitor") {
            m.monitor = need();
            if (m.monitor == "none") m.monitor.clear();  // QEMU's: no monitor
            if (!m.monitor.empty() && m.monitor != "stdio")
                refuse(a, "only 'stdio' (or 'none') is offered, got '" + m.monitor + "'");
        } else if (a == "--help" || a == "-h") {
            flag();
            c.verb = "help";
        } else if (!a.empty() && a[0] == '-')
            throw InputError("unknown option '" + a + "' (see prevt --help)");
        else
            positional(a);
    }
    if (c.verb == "run" && !m.guest.empty() && !m.bios.empty())
        throw InputError("-bios: prevt boots either a BIOS or a guest kernel, not both ('" +
                         m.guest + "'; see prevt --help)");
    const bool bios_boot = !m.bios.empty() || !m.fda.empty() || !m.hda.empty();
    if (c.verb == "run" && m.guest.empty() && !bios_boot)
        throw InputError(
            "run: no guest given (prevt run GUEST.elf, or -kernel bzImage; see prevt --help)");
    if (m.display == "text" && !serial_given) m.serial = "none";
    if (c.verb == "demo") return c;  // (its --engine is a list: the demo checks it)
    q.finish(m, serial_given);
    if (m.engine != "trap" && m.engine != "bt" && m.engine != "kvm")
        refuse("--engine", "unknown engine '" + m.engine + "' (known: bt, trap, kvm)");
    return c;
}

}  // namespace prevt::cli
