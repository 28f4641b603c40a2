/* cpuid: the CPU the guest is shown. Leaf 0 (maximum leaf, vendor string) and leaf 1 (EAX
 * with family/model/stepping decoded, EBX, and the ECX/EDX feature bits). QEMU shows its
 * qemu32 CPU (cpuid.qemu.expected); prevt shows its own i686 profile (cpuid.expected,
 * written by hand from core/emulate: "PrevtVirtCPU", family 6 model 3 stepping 3, the
 * hypervisor bit in ECX). */
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
    return 0;
}
