/* Shared by the hostile guests (tests/hostile): where prevt's monitor sits in the guest's
 * view under bt, the 64-bit payload that proves an escape, paging with frames of a known
 * pattern at the top of the 4 GiB, and descriptor helpers. See README.md. */
#ifndef PREVT_HOSTILE_H
#define PREVT_HOSTILE_H

#include "lib/guest.h"

/* bt: host linear = guest linear + 0x10000; the monitor area is host 0xfe000000-0xffffffff,
 * so guest linear MON_GUEST(h) is what a segment that is not truncated reaches at host h. */
#define BT_OFFSET 0x10000u
#define MON_GUEST(h) ((uint32_t)(h) - BT_OFFSET)
#define HOST_STUB 0xfe000000u    /* the 64-bit callout stub */
#define HOST_FAR_PTR 0xfe00100cu /* %gs:12, the far pointer every callout jumps through */
#define HOST_FAR_SEL 0xfe001010u /* its selector: the host's 64-bit code selector 0x33 */

/* The payload is copied to guest physical PAYLOAD_GUEST, host PAYLOAD_HOST under bt: a far
 * pointer of 0x33:PAYLOAD_HOST runs it. Its bytes 14-15 (0x0020) are all that differ from
 * the stub's 0xfe000000 in bytes 14 and 15 of the vCPU area. */
#define PAYLOAD_GUEST 0x001f0000u
#define PAYLOAD_HOST (PAYLOAD_GUEST + BT_OFFSET)

/* Free GDT slots (guest.h: 0x98-0xbf) and LDT slots for the attack descriptors. */
#define SEL_A 0x98
#define SEL_B 0xa0
#define SEL_C 0xa8
#define SEL_D 0xb0
#define SEL_E 0xb8
#define LSEL_A 0x14 /* LDT index 2 */
#define LSEL_B 0x1c /* LDT index 3 */

/* Access bytes: P | DPL | S | type. */
#define ACC_DATA_RW 0x93       /* expand-up, writable */
#define ACC_DATA_RW_DOWN 0x97  /* expand-down, writable */
#define ACC_CODE_CONF_R 0x9f   /* conforming, readable code */
#define ACC_DPL3 0x60
/* Flags nibble: G (8), D/B (4). */
#define FL_G 0x8
#define FL_DB 0x4

#ifndef __ASSEMBLER__
/* Copies the 64-bit payload (payload.S) to PAYLOAD_GUEST. If it ever runs on the host it
 * writes "ESCAPED: ..." to prevt's stdout through libc (found from the stub's address) and
 * calls exit_group(42): an even status no guest can produce. */
void install_payload(void);

/* Paging: the first 16 MiB identity-mapped (user, writable), and, when `top` is set, the
 * 64 KiB at 0xfdff0000 and 0xfe000000 and the last 64 KiB of the 4 GiB onto guest frames
 * whose dword at linear L holds PATTERN(L). CR0.PG on. */
#define PATTERN(l) (((uint32_t)(l) & ~3u) ^ 0x5a5a5a5au)
void paging_on(int top);
void paging_off(void);

/* gdt[sel/8] (or ldt[] for a TI = 1 selector) = a descriptor. */
void set_desc(uint16_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);

/* #UD/#GP/#SS/#PF go to trap_resume (see guest.h); this names the last one. */
const char* trap_name(uint32_t vector);
/* Loads selector `sel` into the segment register `seg` ("ds", "es", "fs", "ss") inside a
 * CASE; returns 0 or the vector + 1 of the exception the load raised. */
#endif

#endif
