/* storage: the PC's disks and text screen without a BIOS's help, as a BIOS drives them: the
 * 8237 DMA pair and the 82077AA floppy controller (reset, SPECIFY, RECALIBRATE, SEEK, READ
 * DATA and WRITE DATA by DMA channel 2, READ ID, SENSE DRIVE STATUS), the ATA disk on 0x1f0
 * (SRST, IDENTIFY DEVICE, READ/WRITE SECTORS in LBA and CHS), the VGA's CRTC cursor and text
 * memory. The images come from storage.setup (every sector starts with its LBA, ends 0xa5) and
 * are attached by storage.args (-fda, -hda); the CMOS bytes that describe them (floppy type,
 * boot order: QEMU's default "cad") are printed first. IRQ 6 and 14 are checked in the PICs' IRR
 * while the device holds them, without delivering them. Exits with V = 0 (status 1). */
#include "lib/guest.h"

#define DMA_BUFFER 0x80000u /* below 1 MiB, inside one 64 KiB DMA page */
#define SPIN 1000000

static int fail_count;

static void fail(const char* what) {
    gprintf("FAIL: %s\n", what);
    ++fail_count;
}

/* ---- PICs: initialised (pic_init in the kit), every input masked; IRR shows a held request */
static int irr_bit(unsigned irq) {
    const uint16_t port = irq < 8 ? 0x20 : 0xa0;
    outb(port, 0x0a); /* OCW3: read IRR */
    return (inb(port) >> (irq & 7)) & 1;
}

/* ---- DMA channel 2, as SeaBIOS's floppy_cmd() programs it ---------------------------------- */
static void dma_setup(void) {
    outb(0x0d, 0), outb(0xda, 0); /* master clear, both */
    outb(0xd6, 0xc0);             /* channel 4: cascade */
    outb(0xd4, 0x00);             /* unmask it */
}
static void dma_channel2(uint32_t addr, uint32_t bytes, int to_memory) {
    outb(0x0a, 0x06);
    outb(0x0c, 0), outb(0x04, addr & 0xff), outb(0x04, (addr >> 8) & 0xff);
    outb(0x0c, 0), outb(0x05, (bytes - 1) & 0xff), outb(0x05, ((bytes - 1) >> 8) & 0xff);
    outb(0x0b, to_memory ? 0x46 : 0x4a);
    outb(0x81, addr >> 16);
    outb(0x0a, 0x02);
}

/* ---- Floppy: SeaBIOS's floppy_pio() ---------------------------------------------------------- */
static int fdc_send(const uint8_t* bytes, int n) {
    for (int i = 0; i < n; ++i) {
        int spin = 0;
        while ((inb(0x3f4) & 0xc0) != 0x80)
            if (++spin == SPIN) return -1;
        outb(0x3f5, bytes[i]);
    }
    return 0;
}
static int fdc_results(uint8_t* out, int n) {
    for (int i = 0; i < n; ++i) {
        int spin = 0;
        while ((inb(0x3f4) & 0xc0) != 0xc0)
            if (++spin == SPIN) return -1;
        out[i] = inb(0x3f5);
    }
    return 0;
}
static void fdc_command(const char* name, const uint8_t* cmd, int n, uint8_t* res, int nres) {
    if (fdc_send(cmd, n) || fdc_results(res, nres)) fail(name);
}
static void print_bytes(const char* name, const uint8_t* b, int n) {
    gprintf("%s:", name);
    for (int i = 0; i < n; ++i) gprintf(" %02x", b[i]);
    print("\n");
}
static unsigned sector_lba(uint32_t addr) {
    const volatile uint8_t* p = (const volatile uint8_t*)addr;
    return p[0] | p[1] << 8 | p[2] << 16;
}

static void floppy(void) {
    uint8_t res[10];
    outb(0x3f2, 0x08); /* reset held, DMA gate on */
    outb(0x3f2, 0x1c); /* released: motor A, drive 0 */
    gprintf("fdc: irq 6 after reset: %d\n", irr_bit(6));
    for (int i = 0; i < 4; ++i) {
        const uint8_t sense[] = {0x08};
        fdc_command("sense after reset", sense, 1, res, 2);
        gprintf("fdc: reset sense %d: st0 %02x\n", i, res[0]);
    }
    const uint8_t version[] = {0x10}, specify[] = {0x03, 0xaf, 0x02};
    fdc_command("version", version, 1, res, 1);
    gprintf("fdc: version %02x\n", res[0]);
    fdc_command("specify", specify, 3, res, 0);
    const uint8_t recal[] = {0x07, 0x00}, sense[] = {0x08};
    fdc_command("recalibrate", recal, 2, res, 0);
    gprintf("fdc: irq 6 after recalibrate: %d\n", irr_bit(6));
    fdc_command("sense", sense, 1, res, 2);
    print_bytes("fdc: recalibrate sense", res, 2);
    const uint8_t seek[] = {0x0f, 0x04, 5};
    fdc_command("seek", seek, 3, res, 0);
    fdc_command("sense", sense, 1, res, 2);
    print_bytes("fdc: seek sense", res, 2);
    const uint8_t drive_status[] = {0x04, 0x00};
    fdc_command("sense drive status", drive_status, 2, res, 1);
    gprintf("fdc: st3 %02x\n", res[0]);
    outb(0x3f7, 0x00); /* 500 kbit/s */
    const uint8_t read_id[] = {0x4a, 0x00};
    fdc_command("read id", read_id, 2, res, 7);
    res[5] = res[6]; /* R is whichever sector passes the head: not compared */
    print_bytes("fdc: read id (st0 st1 st2 c h n)", res, 6);

    /* Two sectors from cylinder 1, head 1, sector 17: the last two of the track. */
    dma_channel2(DMA_BUFFER, 2 * 512, 1);
    const uint8_t read[] = {0xe6, 0x04, 1, 1, 17, 2, 18, 0x1b, 0xff};
    fdc_command("read data", read, 9, res, 7);
    print_bytes("fdc: read data", res, 7);
    gprintf("fdc: sectors read: lba %u, %u; last byte %02x\n", sector_lba(DMA_BUFFER),
            sector_lba(DMA_BUFFER + 512), *(volatile uint8_t*)(DMA_BUFFER + 1023));
    /* Crossing from head 0 to head 1 with MT. */
    dma_channel2(DMA_BUFFER, 2 * 512, 1);
    const uint8_t read_mt[] = {0xe6, 0x00, 3, 0, 18, 2, 18, 0x1b, 0xff};
    fdc_command("read data (MT)", read_mt, 9, res, 7);
    print_bytes("fdc: read data across heads", res, 7);
    gprintf("fdc: sectors read: lba %u, %u\n", sector_lba(DMA_BUFFER),
            sector_lba(DMA_BUFFER + 512));

    /* Write cylinder 2, head 0, sector 3, then read it back. */
    volatile uint8_t* buf = (volatile uint8_t*)DMA_BUFFER;
    for (int i = 0; i < 512; ++i) buf[i] = (uint8_t)(i * 3 + 1);
    dma_channel2(DMA_BUFFER, 512, 0);
    const uint8_t write[] = {0xc5, 0x00, 2, 0, 3, 2, 3, 0x1b, 0xff};
    fdc_command("write data", write, 9, res, 7);
    print_bytes("fdc: write data", res, 7);
    for (int i = 0; i < 512; ++i) buf[i] = 0;
    dma_channel2(DMA_BUFFER, 512, 1);
    const uint8_t reread[] = {0xe6, 0x00, 2, 0, 3, 2, 3, 0x1b, 0xff};
    fdc_command("read back", reread, 9, res, 7);
    print_bytes("fdc: read back", res, 7);
    int same = 1;
    for (int i = 0; i < 512; ++i) same &= buf[i] == (uint8_t)(i * 3 + 1);
    gprintf("fdc: written sector reads back: %s\n", same ? "yes" : "no");
    if (!same) fail("floppy write");
    gprintf("dma: status after the read: %02x\n", inb(0x08) & 0x0f);
    /* No seek, no MT: EOT moves the result to the next cylinder. */
    dma_channel2(DMA_BUFFER, 512, 1);
    const uint8_t read_eot[] = {0x46, 0x00, 2, 0, 3, 2, 3, 0x1b, 0xff};
    fdc_command("read to EOT", read_eot, 9, res, 7);
    print_bytes("fdc: read to EOT without MT", res, 7);
    /* DMA over code that has run: the new code must run (bt: the DMA's store into a page it
     * translated drops the translation). Sector 200 = cylinder 5, head 1, sector 3. */
    volatile uint8_t* code = (volatile uint8_t*)(DMA_BUFFER + 0x10000);
    const uint8_t first[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3}; /* mov eax, 1; ret */
    for (unsigned i = 0; i < sizeof first; ++i) code[16 + i] = first[i];
    uint32_t (*fn)(void) = (uint32_t(*)(void))(DMA_BUFFER + 0x10000 + 16);
    const uint32_t before = fn();
    dma_channel2(DMA_BUFFER + 0x10000, 512, 1);
    const uint8_t read_code[] = {0xe6, 0x04, 5, 1, 3, 2, 3, 0x1b, 0xff};
    fdc_command("read code", read_code, 9, res, 7);
    gprintf("fdc: code before the DMA returns %x, after it %x\n", before, fn());
    /* (EOT before the terminal count is not compared: QEMU ends normally, the datasheet and
     * prevt abnormally with ST1 EN.) */
}

/* ---- ATA: SeaBIOS's ata.c ---------------------------------------------------------------------
 */
static int ata_wait(uint8_t mask, uint8_t want) {
    for (int spin = 0; spin < SPIN; ++spin) {
        const uint8_t s = inb(0x1f7);
        if ((s & mask) == want) return s;
    }
    fail("ata wait");
    return -1;
}
static void ata_lba(uint32_t lba, uint8_t count, uint8_t command) {
    ata_wait(0x80, 0);
    outb(0x1f6, 0xe0 | (lba >> 24));
    outb(0x1f2, count);
    outb(0x1f3, lba & 0xff), outb(0x1f4, (lba >> 8) & 0xff), outb(0x1f5, (lba >> 16) & 0xff);
    outb(0x1f7, command);
}
static void ata_read_block(uint16_t* out) {
    if (ata_wait(0x88, 0x08) < 0) return;
    for (int i = 0; i < 256; ++i) out[i] = inw(0x1f0);
}

static void ata(void) {
    static uint16_t block[256];
    outb(0x1f6, 0xa0); /* device 0 first: the BIOS may have left device 1 selected */
    outb(0x3f6, 0x0e); /* SRST, nIEN */
    outb(0x3f6, 0x0a);
    ata_wait(0x80, 0);
    outb(0x1f6, 0xa0);    /* device 0 (QEMU keeps the device register across SRST) */
    ata_wait(0xc0, 0x40); /* not busy, ready (QEMU ends the reset asynchronously) */
    gprintf("ata: after reset: status %02x count %02x lba %02x %02x %02x\n", inb(0x1f7), inb(0x1f2),
            inb(0x1f3), inb(0x1f4), inb(0x1f5));
    outb(0x1f6, 0xa0);
    outb(0x1f7, 0xec);
    ata_read_block(block);
    gprintf("ata: identify: cylinders %u heads %u sectors %u lba28 %u lba %s\n", block[1], block[3],
            block[6], block[60] | (uint32_t)block[61] << 16, block[49] & 0x200 ? "yes" : "no");
    gprintf("ata: status after identify %02x\n", inb(0x1f7));
    outb(0x3f6, 0x08); /* interrupts on */
    ata_lba(1000, 2, 0x20);
    /* The alternate status leaves INTRQ alone (QEMU reads the sector asynchronously: wait). */
    for (int spin = 0; spin < SPIN && (inb(0x3f6) & 0x88) != 0x08; ++spin) {
    }
    gprintf("ata: irq 14 with the first block: %d\n", irr_bit(14));
    ata_read_block(block);
    gprintf("ata: read lba 1000: %u", block[0] | (uint32_t)block[1] << 16);
    ata_read_block(block);
    gprintf(", %u; status %02x, next lba %u\n", block[0] | (uint32_t)block[1] << 16, inb(0x1f7),
            inb(0x1f3) | inb(0x1f4) << 8);
    /* CHS: cylinder 2, head 3, sector 4 of 16 heads x 63 sectors. */
    outb(0x1f6, 0xa0 | 3), outb(0x1f2, 1), outb(0x1f3, 4), outb(0x1f4, 2), outb(0x1f5, 0);
    outb(0x1f7, 0x20);
    ata_read_block(block);
    gprintf("ata: read chs 2/3/4: lba %u\n", block[0] | (uint32_t)block[1] << 16);
    ata_lba(77, 1, 0x30);
    ata_wait(0x88, 0x08);
    for (int i = 0; i < 256; ++i) outw(0x1f0, (uint16_t)(0x5a00 + i));
    ata_wait(0x80, 0);
    gprintf("ata: write status %02x\n", inb(0x1f7));
    ata_lba(77, 1, 0x20);
    ata_read_block(block);
    int same = 1;
    for (int i = 0; i < 256; ++i) same &= block[i] == (uint16_t)(0x5a00 + i);
    gprintf("ata: written sector reads back: %s\n", same ? "yes" : "no");
    if (!same) fail("ata write");
    ata_lba(0x7fffff, 1, 0x20); /* past the end of the 4 MiB disk */
    ata_wait(0x80, 0);
    gprintf("ata: read past the end: status %02x error %02x\n", inb(0x1f7), inb(0x1f1));
}

/* ---- VGA text ------------------------------------------------------------------------------- */
static void vga(void) {
    static const char text[] = "prevt storage guest";
    volatile uint8_t* screen = (volatile uint8_t*)0xb8000;
    for (int i = 0; i < 80 * 25; ++i) screen[2 * i] = ' ', screen[2 * i + 1] = 0x07;
    for (int i = 0; text[i]; ++i)
        screen[2 * (80 + 2) + 2 * i] = text[i], screen[2 * (80 + 2) + 2 * i + 1] = 0x1e;
    const unsigned cursor = 2 * 80 + 5;
    outb(0x3d4, 0x0e), outb(0x3d5, cursor >> 8);
    outb(0x3d4, 0x0f), outb(0x3d5, cursor & 0xff);
    outb(0x3d4, 0x0e);
    unsigned hi = inb(0x3d5);
    outb(0x3d4, 0x0f);
    gprintf("vga: cursor at %u, text memory says '%c%c'\n", hi << 8 | inb(0x3d5), screen[164],
            screen[166]);
}

/* ---- CMOS: what a BIOS reads about the drives ---------------------------------------------- */
static uint8_t cmos(uint8_t index) {
    outb(0x70, index);
    return inb(0x71);
}

int main(void) {
    gprintf("cmos: floppy types %02x, boot order %02x %02x\n", cmos(0x10), cmos(0x3d),
            cmos(0x38) & 0xf0);
    pic_init(0xff, 0xff);
    dma_setup();
    floppy();
    ata();
    vga();
    return fail_count;
}
