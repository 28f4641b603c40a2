// The translator and segments. CS's limit (TranslationContext::cs_limit): a branch whose
// target lies beyond the limit, and an indirect branch that could reach beyond it, are
// callouts (the virtual CPU raises the #GP(0) at the branch); within the limit they are
// translated as ever. The guest's %gs (the monitor's register): a copied access runs with fs:
// in its place between two moves of FS (fs-swap); what would not be a copy calls out.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bt/vcpu_area.hpp"
#include "bt/translator.hpp"
#include "tests/bt/guest_bytes.hpp"

namespace prevt::bt {
namespace {

using testing_support::kEip;

struct Result {
    Block block;
    std::vector<uint8_t> bytes;
};

Result translate_bytes(std::vector<uint8_t> guest, uint32_t cs_limit = 0xffffffff) {
    TranslationContext context;
    context.cs_limit = cs_limit;
    testing_support::GuestTranslation t =
        testing_support::translate_guest_bytes(std::move(guest), context);
    return {t.block, t.bytes};
}

Block translate(std::vector<uint8_t> guest, uint32_t cs_limit) {
    return translate_bytes(std::move(guest), cs_limit).block;
}

std::vector<uint8_t> le32(uint32_t v) {
    return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}

TEST(FsSwap, ACopiedGsAccessRunsThroughFs) {
    // mov %gs:0x14,%eax (glibc's stack canary on i386)
    const Result r = translate_bytes({0x65, 0xa1, 0x14, 0x00, 0x00, 0x00});
    ASSERT_EQ(r.block.callouts.size(), 1u);  // only the hlt after it
    EXPECT_EQ(r.block.callouts[0].eip, kEip + 6);
    std::vector<uint8_t> want = {0x65, 0x8c, 0x25};  // mov %fs,%gs:save_fs
    for (uint8_t b : le32(kOffSaveFs)) want.push_back(b);
    for (uint8_t b : {0x65, 0x8e, 0x25}) want.push_back(b);  // mov %gs:guest_gs,%fs
    for (uint8_t b : le32(kOffGuestGs)) want.push_back(b);
    for (uint8_t b : {0x64, 0xa1, 0x14, 0x00, 0x00, 0x00}) want.push_back(b);  // fs: for gs:
    for (uint8_t b : {0x65, 0x8e, 0x25}) want.push_back(b);                    // FS back
    for (uint8_t b : le32(kOffSaveFs)) want.push_back(b);
    ASSERT_GE(r.bytes.size(), want.size());
    EXPECT_EQ(std::vector<uint8_t>(r.bytes.begin(), r.bytes.begin() + want.size()), want);
}

TEST(FsSwap, WhatWouldNotBeACopyCallsOut) {
    for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
             {0x65, 0xff, 0x25, 0x00, 0x10, 0x00, 0x00},     // jmp *%gs:0x1000
             {0x65, 0x8e, 0x1d, 0x00, 0x10, 0x00, 0x00}}) {  // mov %gs:0x1000,%ds
        const Block b = translate(bytes, 0xffffffff);
        ASSERT_EQ(b.callouts.size(), 1u);
        EXPECT_EQ(b.callouts[0].eip, kEip);
    }
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
