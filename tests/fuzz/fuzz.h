/* The differential fuzzer's fixed layout, shared by the generator (fuzz_gen.cpp) and the guest
 * (fuzz_guest.c/.S): where the scratch memory, the faulting pages and the small FS segment
 * are, and the register state every sequence starts from. */
#ifndef PREVT_FUZZ_H
#define PREVT_FUZZ_H

#define FUZZ_SCRATCH 0x00400000      /* 8 KiB of random data, checksummed after each sequence */
#define FUZZ_SCRATCH_SIZE 0x2000
#define FUZZ_ENV 0x00401be0          /* its end: two slots of 0x210 bytes for the x87 images */
#define FUZZ_ENV_SIZE 0x420          /* (x87_env's stores, 512 bytes + 15 of misalignment; */
#define FUZZ_ENV_SLOT 0x210          /* no other operand reads or writes there) */
#define FUZZ_HOLE 0x00402000         /* one page not present: #PF */
#define FUZZ_RO 0x00403000           /* one read-only page: reads work, writes #PF (WP = 1) */
#define FUZZ_LOW_SIZE 0x2400        /* [0, 9 KiB): zeroed before, hashed after each sequence */
#define FUZZ_MAPPED_END 0x00800000   /* identity map of [0, 8 MiB) minus the hole; above: #PF */

/* What a segment based at 1 MiB (the kit's SEL_CODE_BASED, 0x18, which segload puts into ES,
 * FS or GS) reaches through the scratch addresses: zeroed before and hashed after each
 * sequence, like the scratch area, so that no sequence sees what another one wrote there (a
 * store QEMU lets through a code segment, QEMU-9, would otherwise surface sequences later). */
#define FUZZ_ALIAS 0x004ff000
#define FUZZ_ALIAS_SIZE 0x6000

/* The guest kit's system tables (multiboot header, GDT, LDT, TSS, IDT: lib/guest.ld), which
 * the same segment reaches with offsets below 0x3000: restored before each sequence. */
#define FUZZ_TABLES 0x00100000
#define FUZZ_TABLES_SIZE 0x3000

#define FUZZ_SEL_FS 0x98             /* FS: data, base FUZZ_SCRATCH, limit 0x1fff (bytes) */
#define FUZZ_FS_LIMIT 0x1fff

/* Registers at the start of each sequence (EAX, ECX, EDX and EFLAGS come from the index). */
#define FUZZ_EBX (FUZZ_SCRATCH + 0x0800)
#define FUZZ_ESI (FUZZ_SCRATCH + 0x0400)
#define FUZZ_EDI (FUZZ_SCRATCH + 0x0c00)
#define FUZZ_EBP (FUZZ_SCRATCH + 0x1000)
#define FUZZ_ESP (FUZZ_SCRATCH + 0x1800)

#define FUZZ_IO_PORT 0x80            /* harmless ports for in/out: POST code, COM1 scratch */
#define FUZZ_IO_PORT2 0x3ff

#endif
