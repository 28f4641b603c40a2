// The PC's storage and screen, wired into the machine (machine.hpp): the 8237 DMA pair, the
// 82077AA floppy controller with -fda as drive A, the ATA disk with -hda as device 0 of the
// primary channel, the VGA; the CMOS bytes a BIOS reads for them (floppy types 0x10, boot
// order 0x3d/0x38, as QEMU's PC fills them); --screen-dump and --display text with the
// terminal's keys to the 8042's keyboard (docs/pc-devices.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "core/machine.hpp"

namespace prevt {

namespace {

// Guest physical memory as a device reaches it: the CPU's routing (RAM, ROM, MMIO, unassigned)
// and, for stores into RAM, the engine's write observer (DMA into translated code).
class DevicePhysicalMemory final : public devices::PhysicalMemory {
public:
    explicit DevicePhysicalMemory(GuestMemory& ram) : ram_(ram) {}
    void read(uint64_t phys, std::span<uint8_t> out) override {
        ram_.load(phys, out.data(), out.size());
    }
    void write(uint64_t phys, std::span<const uint8_t> in) override {
        ram_.store(phys, in.data(), in.size());
    }

private:
    GuestMemory& ram_;
};

// CMOS 0x3d/0x38's device codes (SeaBIOS's src/boot.c): floppy 1, hard disk 2, CD-ROM 3,
// network 4. `order` has been checked by the command line.
uint8_t boot_code(char letter) {
    switch (letter) {
        case 'a': return 1;
        case 'c': return 2;
        case 'd': return 3;
        case 'n': return 4;
        default: throw InputError(std::string("-boot: unknown device '") + letter + "'");
    }
}

}  // namespace

void Machine::build_storage() {
    device_memory_ = std::make_unique<DevicePhysicalMemory>(ram_);
    const bool snapshot = config_.snapshot;
    if (!config_.fda.empty())
        floppy_image_ = DiskImage::open("-fda", config_.fda, DiskImage::Kind::kFloppy, snapshot);
    if (!config_.hda.empty())
        disk_image_ = DiskImage::open("-hda", config_.hda, DiskImage::Kind::kHardDisk, snapshot);
    dma_ = std::make_unique<devices::IsaDma>(*device_memory_);
    fdc_ = std::make_unique<devices::Floppy82077>(*dma_, pic_.line(devices::Floppy82077::kIrq),
                                                  floppy_image_.get());
    if (disk_image_)
        ata_ = std::make_unique<devices::AtaDisk>(*disk_image_, pic_.line(devices::AtaDisk::kIrq));
    vga_ = std::make_unique<devices::Vga>(*device_memory_);
    dma_->attach(ports_);
    fdc_->attach(ports_);
    if (ata_) ata_->attach(ports_);
    if (config_.vga) vga_->attach(ports_);  // (-vga none: no ports; the text RAM stays)

    // CMOS: drive A is a 1.44 MB drive when there is an image; the boot order as QEMU writes
    // it (0x3d: first and second device, 0x38 bits 7:4: the third; bit 0 clear: the floppy's
    // boot signature is checked). QEMU's default order is "cad".
    using FloppyType = devices::Mc146818::FloppyType;
    rtc_->set_floppy_types(floppy_image_ ? FloppyType::k1440K : FloppyType::kNone,
                           FloppyType::kNone);
    const std::string order = config_.boot.empty() ? "cad" : config_.boot;
    uint8_t codes[3] = {0, 0, 0};
    for (size_t i = 0; i < order.size() && i < 3; ++i) codes[i] = boot_code(order[i]);
    rtc_->set_byte(0x3d, static_cast<uint8_t>(codes[1] << 4 | codes[0]));
    rtc_->set_byte(0x38, static_cast<uint8_t>(codes[2] << 4));

    if (!config_.screen_dump.empty()) {
        screen_dump_fd_ =
            open(config_.screen_dump.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (screen_dump_fd_ < 0)
            throw InputError("--screen-dump " + config_.screen_dump + ": " + strerror(errno));
    }
    if (config_.display == "text") {
        display_output_ =
            std::make_unique<HostOutput>(STDOUT_FILENO, false, "--display text (stdout)");
        display_ = std::make_unique<TerminalDisplay>(*display_output_);
        // The terminal's keys go to the keyboard, unless COM1 already reads the terminal
        // (--serial stdio given). One key at a time: the next waits until the guest has read
        // the keyboard's bytes (its 16-byte buffer takes any one key whole).
        if (!console_ && isatty(STDIN_FILENO)) {
            keys_ = std::make_unique<TerminalKeys>();
            auto deliver = [this](uint8_t byte) {
                if (i8042_->keyboard().has_output()) return false;
                const std::vector<uint8_t> codes = keys_->feed(byte);
                if (!codes.empty()) i8042_->inject_keys(codes);
                return true;
            };
            console_ = std::make_unique<Console>(
                STDIN_FILENO, deliver,
                [o = display_output_.get()](const char* text) { o->write(text, strlen(text)); });
            serial_input_ = true;  // the run loop polls the terminal (and Ctrl-A x works)
        }
    } else if (config_.display != "none") {
        throw InputError("--display: expected none or text, got '" + config_.display + "'");
    }
}

void Machine::refresh_display() {
    if (!display_) return;
    // A lone ESC with nothing after it since the last tick is the Esc key.
    if (keys_ && !i8042_->keyboard().has_output()) {
        const std::vector<uint8_t> codes = keys_->flush();
        if (!codes.empty()) i8042_->inject_keys(codes);
    }
    display_->show(vga_->text_screen());
}

void Machine::finish_screen() {
    if (display_) {
        refresh_display();
        display_.reset();  // the terminal's colours and cursor given back
    }
    if (screen_dump_fd_ < 0) return;
    const std::string text = screen_text(vga_->text_screen());
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(screen_dump_fd_, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "prevt: --screen-dump %s: %s\n", config_.screen_dump.c_str(),
                    n < 0 ? strerror(errno) : "nothing written");
            break;
        }
        done += static_cast<size_t>(n);
    }
    ::close(screen_dump_fd_);
    screen_dump_fd_ = -1;
}

}  // namespace prevt
