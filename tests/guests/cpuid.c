/* cpuid: the CPU the guest is shown. Leaf 0 (maximum leaf, vendor string), leaf 1 (EAX with
 * family/model/stepping decoded, EBX, and the ECX/EDX feature bits), the PMU leaf 0xA's
 * version when the maximum leaf reaches it, the extended maximum and the brand string when
 * there are extended leaves, and what a leaf above the maximum answers. QEMU shows its qemu32
 * CPU (cpuid.qemu.expected; with -cpu pentium3: cpuid.pentium3.qemu.expected); prevt its
 * profiles (cpuid.expected: n270, the default; cpuid.pentium3.expected, cpuid.max.expected;
 * written by hand from docs/cpu-profiles.md: GenuineIntel, 6/28/2, SSE3 SSSE3 and the
 * hypervisor bit in ECX, no PMU). */
#include "lib/guest.h"

int main(void) {
    uint32_t r[4];
    cpuid(0, r);
    char vendor[13];
    memcpy(vendor + 0, &r[1], 4); /* EBX, EDX, ECX */
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    gprintf("cpuid leaf 0: max leaf %08x vendor \"%s\"\n", r[0], vendor);

    cpuid(1, r);
    uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
    if (family == 0xf) family += (r[0] >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf) model |= ((r[0] >> 16) & 0xf) << 4;
    gprintf("cpuid leaf 1: eax %08x (family %u model %u stepping %u)\n", r[0], family, model,
            r[0] & 0xf);
    gprintf("cpuid leaf 1: ebx %08x\n", r[1]);
    gprintf("cpuid leaf 1: ecx %08x (hypervisor bit %u)\n", r[2], r[2] >> 31);
    gprintf("cpuid leaf 1: edx %08x\n", r[3]);

    cpuid(0, r);
    const uint32_t max = r[0];
    if (max >= 0xa) {
        cpuid(0xa, r);
        gprintf("cpuid leaf 0xa: PMU version %u\n", r[0] & 0xff);
    }
    uint32_t above[4];
    cpuid(max + 1, above);
    uint32_t top[4];
    cpuid(max, top);
    int same = 1;
    for (int i = 0; i < 4; ++i) same &= above[i] == top[i];
    gprintf("cpuid leaf %x (above max): %s\n", max + 1,
            same ? "as the highest basic leaf" : "other");

    cpuid(0x80000000, r);
    if ((r[0] & 0xffff0000) != 0x80000000) {
        print("cpuid leaf 0x80000000: no extended leaves\n");
        return 0;
    }
    const uint32_t ext_max = r[0];
    gprintf("cpuid leaf 0x80000000: max %08x\n", ext_max);
    cpuid(0x80000001, r);
    gprintf("cpuid leaf 0x80000001: ecx %08x edx %08x\n", r[2], r[3]);
    if (ext_max >= 0x80000004) {
        char brand[49];
        for (uint32_t i = 0; i < 3; ++i) {
            cpuid(0x80000002 + i, r);
            memcpy(brand + 16 * i, r, 16);
        }
        brand[48] = 0;
        gprintf("cpuid brand: \"%s\"\n", brand);
    }
    return 0;
}
