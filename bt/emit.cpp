#include "bt/emit.hpp"

#include <cstring>

#include "bt/monitor_area.hpp"

namespace prevt::bt {

void CodeBuffer::u32(uint32_t v) {
    uint8_t b[4];
    memcpy(b, &v, 4);
    raw(b, 4);
}

void CodeBuffer::patch_u32(uint32_t address, uint32_t v) { memcpy(&bytes_[address - base_], &v, 4); }

void CodeBuffer::store_gs(uint32_t offset, uint32_t imm) {
    const uint8_t op[] = {0x65, 0xc7, 0x05};  // mov r/m32, imm32 with [disp32], %gs
    raw(op, sizeof op);
    u32(offset);
    u32(imm);
}

void CodeBuffer::callout() {
    const uint8_t op[] = {0x65, 0xff, 0x2d};  // jmp far m16:32 at %gs:disp32
    raw(op, sizeof op);
    u32(kOffFarPtr);
}

uint32_t CodeBuffer::jmp(uint32_t target) {
    byte(0xe9);
    const uint32_t field = here();
    u32(rel32(field, target));
    return field;
}

void CodeBuffer::push_imm(uint32_t imm) {
    byte(0x68);
    u32(imm);
}

}  // namespace prevt::bt
