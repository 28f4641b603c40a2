#include "devices/fw_cfg.hpp"

#include <algorithm>
#include <stdexcept>

namespace prevt::devices {

namespace {

constexpr uint32_t kIdTraditional = 1u << 0;  // bit 1 (DMA) is not offered

void put_be(std::vector<uint8_t>& out, uint64_t value, unsigned bytes) {
    for (unsigned i = bytes; i-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

std::vector<uint8_t> little_endian(uint64_t value, unsigned bytes) {
    std::vector<uint8_t> out;
    for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return out;
}

}  // namespace

FwCfg::FwCfg() {
    set_item(kSignature, {'Q', 'E', 'M', 'U'});
    set_item(kId, little_endian(kIdTraditional, 4));
    rebuild_directory();
}

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> bytes) {
    items_[key] = std::move(bytes);
}

void FwCfg::set_u16(uint16_t key, uint16_t value) {
    set_item(key, little_endian(value, 2));
}

void FwCfg::set_u64(uint16_t key, uint64_t value) {
    set_item(key, little_endian(value, 8));
}

uint16_t FwCfg::add_file(const std::string& name, std::vector<uint8_t> bytes) {
    if (name.empty() || name.size() >= kMaxFileName || name.find('\0') != std::string::npos)
        throw std::invalid_argument("fw_cfg: bad file name '" + name + "'");
    for (const File& f : files_)
        if (f.name == name) throw std::invalid_argument("fw_cfg: file '" + name + "' twice");
    const auto key = static_cast<uint16_t>(kFileFirst + files_.size());
    set_item(key, std::move(bytes));
    const auto at =
        std::lower_bound(files_.begin(), files_.end(), name,
                         [](const File& f, const std::string& n) { return f.name < n; });
    files_.insert(at, File{name, key});
    rebuild_directory();
    return key;
}

// The directory is an item like the others, rebuilt whenever a file is added.
void FwCfg::rebuild_directory() {
    std::vector<uint8_t> dir;
    put_be(dir, files_.size(), 4);
    for (const File& f : files_) {
        put_be(dir, items_[f.key].size(), 4);
        put_be(dir, f.key, 2);
        put_be(dir, 0, 2);
        for (size_t i = 0; i < kMaxFileName; ++i)
            dir.push_back(i < f.name.size() ? static_cast<uint8_t>(f.name[i]) : 0);
    }
    items_[kFileDir] = std::move(dir);
}

uint8_t FwCfg::next_byte() {
    const auto it = items_.find(selected_);
    if (it == items_.end() || offset_ >= it->second.size()) return 0;
    return it->second[offset_++];
}

uint32_t FwCfg::read(uint64_t offset, unsigned size) {
    // Both ports read the data register; a wider read takes that many bytes of the item
    // (QEMU's x86 data register is one byte wide, so guests read byte by byte).
    (void)offset;
    uint32_t value = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) value |= uint32_t{next_byte()} << (8 * i);
    return value;
}

void FwCfg::write(uint64_t offset, unsigned size, uint32_t value) {
    // Only a 16-bit write to the selector selects; data writes are dropped.
    if (offset == 0 && size == 2) {
        selected_ = static_cast<uint16_t>(value);
        offset_ = 0;
    }
}

}  // namespace prevt::devices
