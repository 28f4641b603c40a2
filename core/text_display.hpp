// The VGA's text screen (devices/text_screen.hpp) on the host: as plain text for
// --screen-dump (code page 437 as UTF-8, trailing blanks trimmed, one line per row) and on a
// terminal for --display text (ANSI escapes: the rows that changed since the last redraw, the
// 16 colours of each cell's attribute, the cursor where the VGA shows it). Host-side only: the
// device knows nothing of terminals.
//
// Missing: blinking (attribute bit 7 is taken as blink and ignored: the background keeps 8
// colours), the palette registers' remapping, fonts (a glyph is its CP437 character), a
// terminal smaller than the screen (rows past the terminal's end scroll it).
#pragma once

#include <string>

#include "core/host_output.hpp"
#include "devices/text_screen.hpp"

namespace prevt {

// The screen as UTF-8 text, a '\n' after every row; a graphics mode gives one line saying so.
std::string screen_text(const devices::TextScreen& screen);

class TerminalDisplay {
public:
    // Draws on `out` (a terminal), which must outlive this.
    explicit TerminalDisplay(HostOutput& out) : out_(out) {}
    // Leaves the terminal with default colours, the cursor shown, on the line below the screen.
    ~TerminalDisplay();
    TerminalDisplay(const TerminalDisplay&) = delete;
    TerminalDisplay& operator=(const TerminalDisplay&) = delete;

    // Redraws what differs from the last screen shown (everything the first time).
    void show(const devices::TextScreen& screen);
    // What show() would write, for tests: the escapes and the text.
    static std::string redraw(const devices::TextScreen* before, const devices::TextScreen& now);

private:
    HostOutput& out_;
    devices::TextScreen last_;
    bool drawn_ = false;
};

}  // namespace prevt
