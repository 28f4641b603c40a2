// The gdb stub's pure parts: packet framing (core/gdb/rsp_framing), the i386 register file
// (gdb_registers) and the command set (gdb_commands) against a fake target, and the monitor's
// commands (core/debug/monitor).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "core/debug/monitor.hpp"
#include "core/gdb/gdb_commands.hpp"
#include "core/gdb/gdb_registers.hpp"
#include "core/gdb/rsp_framing.hpp"

namespace prevt {
namespace {

using gdb::GdbCommands;
using gdb::RspDecoder;

TEST(RspFraming, FramesWithTheChecksumAndEscapes) {
    EXPECT_EQ(gdb::frame_packet("OK"), "$OK#9a");
    EXPECT_EQ(gdb::frame_packet(""), "$#00");
    // '#' (0x23) goes as '}' 0x03: the sum is of the bytes sent.
    EXPECT_EQ(gdb::frame_packet("#"), "$}\x03#80");
}

TEST(RspFraming, DecodesPacketsAcksAndInterrupts) {
    RspDecoder d;
    auto e = d.feed("+$g#67");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].kind, RspDecoder::Kind::kAck);
    EXPECT_EQ(e[1].kind, RspDecoder::Kind::kPacket);
    EXPECT_EQ(e[1].payload, "g");
    e = d.feed("$m10");  // split across reads
    EXPECT_TRUE(e.empty());
    e = d.feed("0,4#5e\x03-");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].payload, "m100,4");
    EXPECT_EQ(e[1].kind, RspDecoder::Kind::kInterrupt);
    EXPECT_EQ(e[2].kind, RspDecoder::Kind::kNack);
}

TEST(RspFraming, RefusesABadChecksumAndUnescapes) {
    RspDecoder d;
    auto e = d.feed("$g#00");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, RspDecoder::Kind::kBadPacket);
    e = d.feed(gdb::frame_packet("X1,1:}"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload, "X1,1:}");
}

class FakeTarget : public DebugTarget {
public:
    VcpuState s;
    std::vector<uint8_t> ram = std::vector<uint8_t>(0x2000);
    std::vector<std::pair<StopKind, uint32_t>> stops;
    VcpuState& vcpu() override { return s; }
    bool read_linear(uint32_t at, uint8_t* out, uint32_t len) override {
        if (uint64_t(at) + len > ram.size()) return false;
        memcpy(out, &ram[at], len);
        return true;
    }
    bool write_linear(uint32_t at, const uint8_t* in, uint32_t len) override {
        if (uint64_t(at) + len > ram.size()) return false;
        memcpy(&ram[at], in, len);
        return true;
    }
    bool read_physical(uint64_t at, uint8_t* out, uint32_t len) override {
        return read_linear(static_cast<uint32_t>(at) ^ 0x1000, out, len);  // (not linear)
    }
    bool insert_stop(StopKind k, uint32_t at, uint32_t) override {
        stops.push_back({k, at});
        return true;
    }
    bool remove_stop(StopKind, uint32_t at, uint32_t) override {
        std::erase_if(stops, [at](const auto& p) { return p.second == at; });
        return true;
    }
    void remove_all_stops() override { stops.clear(); }
};

TEST(GdbCommands, RegistersInGdbsI386Order) {
    FakeTarget t;
    for (int i = 0; i < 8; ++i) t.s.gpr[i] = 0x11111111u * (i + 1);
    t.s.eip = 0x00104748;
    t.s.eflags = 0x202;
    t.s.seg[static_cast<int>(SegReg::cs)].selector = 0x08;
    t.s.seg[static_cast<int>(SegReg::ss)].selector = 0x10;
    GdbCommands c(t);
    const std::string g = c.handle("g").reply;
    ASSERT_EQ(g.size(), 2u * 308);
    EXPECT_EQ(g.substr(0, 8), "11111111");   // eax
    EXPECT_EQ(g.substr(8, 8), "22222222");   // ecx (gdb's order is the encoding's)
    EXPECT_EQ(g.substr(64, 8), "48471000");  // eip, little-endian
    EXPECT_EQ(g.substr(72, 8), "02020000");  // eflags
    EXPECT_EQ(g.substr(80, 8), "08000000");  // cs
    EXPECT_EQ(g.substr(88, 8), "10000000");  // ss
    EXPECT_EQ(c.handle("p8").reply, "48471000");
    EXPECT_EQ(c.handle("p21").reply.size(), 32u);  // xmm1 (33): 16 bytes
    EXPECT_EQ(c.handle("p29").reply, "E01");       // 41: beyond mxcsr
    EXPECT_EQ(c.handle("p99").reply, "E01");
}

TEST(GdbCommands, WritesWhatTheGuestAllows) {
    FakeTarget t;
    t.s.eflags = 0x202;
    GdbCommands c(t);
    EXPECT_EQ(c.handle("P0=78563412").reply, "OK");
    EXPECT_EQ(t.s.gpr[eax], 0x12345678u);
    // EFLAGS: the status flags change, IF (0x200), bit 1 and IOPL stay the virtual CPU's.
    EXPECT_EQ(c.handle("P9=c5080000").reply, "OK");
    EXPECT_EQ(t.s.eflags, 0x08c5u | 0x202u);
    EXPECT_EQ(c.handle("Pa=1b000000").reply, "E16");  // a new CS selector: refused
    std::string g = c.handle("g").reply;
    g.replace(8, 8, "efbeadde");  // ecx
    EXPECT_EQ(c.handle("G" + g).reply, "OK");
    EXPECT_EQ(t.s.gpr[ecx], 0xdeadbeefu);
    g.replace(80, 8, "23000000");  // and a new CS: nothing written
    g.replace(8, 8, "00000000");
    EXPECT_EQ(c.handle("G" + g).reply, "E16");
    EXPECT_EQ(t.s.gpr[ecx], 0xdeadbeefu);
}

TEST(GdbCommands, FpuTagWordIsTheFullOne) {
    FakeTarget t;
    // TOP = 7, ST(0) (physical 7) 1.0 valid; the rest empty.
    const uint16_t fsw = 7 << 11;
    memcpy(&t.s.fpu[2], &fsw, 2);
    t.s.fpu[4] = 0x80;
    const uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
    memcpy(&t.s.fpu[32], one, 10);
    GdbCommands c(t);
    EXPECT_EQ(c.handle("p1a").reply, "ff3f0000");  // ftag: physical 7 valid (00), others 11
    EXPECT_EQ(c.handle("p10").reply, "0000000000000080ff3f");  // st0
}

TEST(GdbCommands, MemoryByLinearAddressFaultsAsAnError) {
    FakeTarget t;
    t.ram[0x100] = 0xab;
    GdbCommands c(t);
    EXPECT_EQ(c.handle("m100,2").reply, "ab00");
    EXPECT_EQ(c.handle("M100,2:cdef").reply, "OK");
    EXPECT_EQ(t.ram[0x101], 0xef);
    EXPECT_EQ(c.handle("m1fff,2").reply, "E14");  // beyond: a fault is an error reply
    EXPECT_EQ(c.handle("M100,2:cd").reply, "E01");
    EXPECT_EQ(c.handle("mzz,2").reply, "E01");
}

TEST(GdbCommands, StopsAndResumes) {
    FakeTarget t;
    GdbCommands c(t);
    EXPECT_EQ(c.handle("Z0,104748,1").reply, "OK");
    EXPECT_EQ(c.handle("Z1,104750,1").reply, "OK");
    EXPECT_EQ(c.handle("Z2,108cc8,4").reply, "OK");
    EXPECT_EQ(c.handle("Z3,108cc8,4").reply, "");  // read watchpoints: unsupported
    ASSERT_EQ(t.stops.size(), 3u);
    EXPECT_EQ(t.stops[0].first, DebugTarget::StopKind::kBreakpoint);
    EXPECT_EQ(t.stops[0].second, 0x104748u);
    EXPECT_EQ(t.stops[2].first, DebugTarget::StopKind::kWriteWatchpoint);
    EXPECT_EQ(c.handle("z0,104748,1").reply, "OK");
    EXPECT_EQ(t.stops.size(), 2u);
    EXPECT_EQ(c.handle("c").next, GdbCommands::Next::kContinue);
    EXPECT_EQ(c.handle("s").next, GdbCommands::Next::kStep);
    EXPECT_EQ(c.handle("c100").reply, "E01");  // resuming elsewhere: not offered
    EXPECT_EQ(c.handle("k").next, GdbCommands::Next::kKill);
    const auto d = c.handle("D");
    EXPECT_EQ(d.next, GdbCommands::Next::kDetach);
    EXPECT_TRUE(t.stops.empty());
}

TEST(GdbCommands, QueriesAndStopReplies) {
    FakeTarget t;
    GdbCommands c(t);
    EXPECT_NE(c.handle("qSupported:swbreak+").reply.find("qXfer:features:read+"),
              std::string::npos);
    EXPECT_EQ(c.handle("qAttached").reply, "1");
    EXPECT_EQ(c.handle("qC").reply, "QC01");
    EXPECT_EQ(c.handle("qfThreadInfo").reply, "m01");
    EXPECT_EQ(c.handle("qsThreadInfo").reply, "l");
    EXPECT_EQ(c.handle("vCont?").reply, "");
    EXPECT_EQ(c.handle("qTStatus").reply, "");
    // target.xml in two pieces: m (more) then l (last).
    const std::string a = c.handle("qXfer:features:read:target.xml:0,20").reply;
    ASSERT_EQ(a[0], 'm');
    const std::string b = c.handle("qXfer:features:read:target.xml:20,fff").reply;
    ASSERT_EQ(b[0], 'l');
    EXPECT_NE((a.substr(1) + b.substr(1)).find("<architecture>i386</architecture>"),
              std::string::npos);
    c.set_last_stop(GdbCommands::stop_reply(5, "watch", 0x108cc8));
    EXPECT_EQ(c.handle("?").reply, "T05watch:108cc8;thread:01;");
    EXPECT_EQ(GdbCommands::exit_reply(0x103), "W03");
}

class FakeEngine : public Engine {
public:
    const char* name() const override { return "fake"; }
    Exit run(VcpuState&) override { return {}; }
    void set_single_step(bool) override {}
};

TEST(Monitor, ExaminesMemoryAndAnswersCommands) {
    FakeTarget t;
    const uint32_t words[4] = {0xdeadbeef, 0x01234567, 0x89abcdef, 0xcafef00d};
    memcpy(&t.ram[0x890], words, sizeof words);
    FakeEngine e;
    std::string out;
    Monitor::Hooks h;
    h.print_registers = [](FILE* f) { fputs("EAX=00000000\n", f); };
    h.print_stats = [](FILE* f) { fputs("exits: 3\n", f); };
    h.out = [&out](std::string_view s) { out += s; };
    Monitor m(t, e, h, false);
    EXPECT_EQ(m.execute("x/4x 0x890"), Monitor::Request::kNone);
    EXPECT_EQ(out, "00000890: 0xdeadbeef 0x01234567 0x89abcdef 0xcafef00d\n");
    out.clear();
    m.execute("x/2xb 0x890");
    EXPECT_EQ(out, "00000890: 0xef 0xbe\n");
    out.clear();
    m.execute("xp/1x 0x1890");  // physical (the fake flips bit 12)
    EXPECT_EQ(out, "00001890: 0xdeadbeef\n");
    out.clear();
    m.execute("x/1x 0x5000");
    EXPECT_EQ(out, "Cannot access memory at linear address 0x5000\n");
    out.clear();
    m.execute("info registers");
    EXPECT_EQ(out, "EAX=00000000\n");
    out.clear();
    m.execute("info stats");
    EXPECT_EQ(out, "exits: 3\n");
    out.clear();
    m.execute("info tc");
    EXPECT_NE(out.find("no translation cache"), std::string::npos);
    out.clear();
    m.execute("info tlb");
    EXPECT_EQ(out, "paging is off: guest-linear = guest-physical\n");
    out.clear();
    m.execute("frobnicate");
    EXPECT_NE(out.find("unknown command"), std::string::npos);
    EXPECT_EQ(m.execute("stop"), Monitor::Request::kStop);
    EXPECT_EQ(m.execute("c"), Monitor::Request::kContinue);
    EXPECT_EQ(m.execute("cont"), Monitor::Request::kContinue);
    EXPECT_EQ(m.execute(" quit "), Monitor::Request::kQuit);
}

TEST(Monitor, TypedLinesAreEchoedOnARawTerminal) {
    FakeTarget t;
    FakeEngine e;
    std::string out;
    Monitor::Hooks h;
    h.out = [&out](std::string_view s) { out += s; };
    Monitor m(t, e, h, true);
    EXPECT_EQ(m.feed("stoq\x7fp\r"), Monitor::Request::kStop);
    EXPECT_EQ(out, "stoq\b \bp\n(prevt) ");
}

}  // namespace
}  // namespace prevt
