// The translator and CS's limit (TranslationContext::cs_limit): a branch whose target lies
// beyond the limit, and an indirect branch that could reach beyond it, are callouts (the
// virtual CPU raises the #GP(0) at the branch); within the limit they are translated as ever.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bt/translator.hpp"

namespace prevt::bt {
namespace {

constexpr uint32_t kEip = 0x100000, kCache = 0xfe200000, kLookup = 0xfe100000;

Block translate(std::vector<uint8_t> guest, uint32_t cs_limit) {
    guest.resize(guest.size() + 16, 0xf4);  // hlt: a callout ends any block
    const CodeReader read = [&](uint32_t linear, uint8_t* out, unsigned max) {
        const uint32_t at = linear - kEip;
        if (at >= guest.size()) return 0u;
        const unsigned n = std::min<unsigned>(max, static_cast<unsigned>(guest.size() - at));
        memcpy(out, guest.data() + at, n);
        return n;
    };
    TranslationContext context;
    context.eip = kEip;
    context.cs_limit = cs_limit;
    context.lookup_routine = kLookup;
    CodeBuffer buf(kCache);
    return translate_block(read, context, buf);
}

TEST(CsLimit, ABranchBeyondTheLimitIsACalloutAtTheBranch) {
    const std::vector<uint8_t> jmp = {0xe9, 0x00, 0x10, 0x00, 0x00};  // jmp +0x1000
    Block b = translate(jmp, kEip + 0xfff);                           // the target: kEip+0x1005
    ASSERT_EQ(b.callouts.size(), 1u);
    EXPECT_EQ(b.callouts[0].eip, kEip);
    EXPECT_TRUE(b.exits.empty());
    b = translate(jmp, 0xffffffff);  // flat: retargeted, one chainable exit
    EXPECT_TRUE(b.callouts.empty());
    EXPECT_EQ(b.exits.size(), 1u);
    const std::vector<uint8_t> jz = {0x0f, 0x84, 0x00, 0x10, 0x00, 0x00};
    b = translate(jz, kEip + 0xfff);
    ASSERT_EQ(b.callouts.size(), 1u);
    EXPECT_EQ(b.callouts[0].eip, kEip);
}

TEST(CsLimit, IndirectBranchesCallOutUnlessEveryTargetFits) {
    for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
             {0xc3}, {0xff, 0xe0}, {0xff, 0xd0}}) {  // ret, jmp *%eax, call *%eax
        Block b = translate(bytes, 0x1fffff);
        ASSERT_EQ(b.callouts.size(), 1u);
        EXPECT_EQ(b.callouts[0].eip, kEip);
        b = translate(bytes, 0xffffffff);
        EXPECT_TRUE(b.callouts.empty()) << "flat CS: the inline lookup";
    }
}

}  // namespace
}  // namespace prevt::bt
