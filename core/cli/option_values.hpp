// The values of prevt's options, range-checked: sizes, seconds, the boot order, the display.
// Each refusal is an InputError of one line that ends by pointing at --help.
#pragma once

#include <cstdint>
#include <string>

namespace prevt::cli {

// Throws InputError "OPTION: PROBLEM (see prevt --help)".
[[noreturn]] void refuse(const std::string& option, const std::string& problem);

uint64_t parse_mib(std::string v);                // -m: 2 MiB .. 3 GiB (M, G; QEMU's size=)
double parse_seconds(const std::string& v);       // --timeout: > 0, <= 10^7
uint32_t parse_kib(const std::string& v);         // --tc-size: what the monitor area holds
std::string parse_boot(std::string v);            // -boot: up to three of a, c, d, n
std::string parse_display(const std::string& v);  // --display none | text (curses)

}  // namespace prevt::cli
