/* The PC board's ACPI tables (ACPI 6.4 chapter 5), built once into RAM at boot.
 *
 * FADT revision 6 (not hardware-reduced: the PC's legacy devices are there) with a PM1a
 * event block, PM1a control block and PM timer at 0x600 (boards/pc.c), the SCI on IRQ 9,
 * no SMI command port (the machine is always in ACPI mode: PM1_CNT.SCI_EN reads 1), the
 * reset register at port 0xcf9 (value 6), legacy devices present, no VGA, no 8042, the RTC
 * century at CMOS 0x32. The DSDT holds \_S5 (SLP_TYP 0), so an ACPI power-off writes
 * SLP_EN with type 0 to PM1a_CNT, and a device per virtio-mmio transport in \_SB. MADT: one
 * enabled local APIC per core (ACPI processor UID = APIC ID = core number), the I/O APIC
 * with GSI base 0, QEMU's interrupt source overrides (ISA IRQ 0 on GSI 2; the SCI
 * level-triggered, active high) and LINT1 as NMI on every core; PCAT_COMPAT says the 8259
 * pair is there. */
#include "boards/acpi.h"
#include <string.h>
#include "boards/loader.h"
#include "devices/hpet.h"
#include "devices/lapic.h"

#define FACS_AT (ACPI_TABLES_BASE + 0x000)
#define FADT_AT (ACPI_TABLES_BASE + 0x100)
#define MADT_AT (ACPI_TABLES_BASE + 0x300)
#define HPET_AT (ACPI_TABLES_BASE + 0x5c0)
#define XSDT_AT (ACPI_TABLES_BASE + 0x600)
#define RSDT_AT (ACPI_TABLES_BASE + 0x680)
#define DSDT_AT (ACPI_TABLES_BASE + 0x700)   /* up to the RSDP: its length varies */

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return (uint8_t)-s;
}

/* The common header; the checksum is set by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put(t + 4, len, 4);
    t[8] = rev;
    memcpy(t + 10, "HVSIM ", 6);
    memcpy(t + 16, "HVSIMPC ", 8);
    put(t + 24, 1, 4);        /* OEM revision */
    memcpy(t + 28, "HVSM", 4);
    put(t + 32, 1, 4);        /* creator revision */
}

static void finish(Machine *m, uint64_t pa, uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
    loader_copy(m, pa, t, len);
}

/* A Generic Address Structure in system I/O space. */
static void gas_io(uint8_t *g, uint8_t bits, uint64_t port)
{
    g[0] = 1;                 /* system I/O */
    g[1] = bits;
    g[2] = 0;
    g[3] = bits <= 8 ? 1 : bits <= 16 ? 2 : 3;   /* access size: byte, word, dword */
    put(g + 4, port, 8);
}

/* ---- AML (ACPI 6.4 chapter 20) for the DSDT ---- */

static void aml_byte(GByteArray *a, uint8_t b)
{
    g_byte_array_append(a, &b, 1);
}

static void aml_bytes(GByteArray *a, const void *p, size_t n)
{
    g_byte_array_append(a, p, (guint)n);
}

/* 20.2.4 PkgLength: the length of the package including its PkgLength bytes; one byte up
 * to 63, else a lead byte (bits 7:6 the count of bytes following, bits 3:0 the low nibble). */
static void aml_pkglen(GByteArray *a, size_t body)
{
    if (body + 1 <= 0x3f) {
        aml_byte(a, (uint8_t)(body + 1));
        return;
    }
    size_t len = body + 2;
    if (len > 0xfff) {
        len = body + 3;
        g_assert(len <= 0xfffff);
        aml_byte(a, (uint8_t)(0x80 | (len & 0xf)));
        aml_byte(a, (uint8_t)(len >> 4));
        aml_byte(a, (uint8_t)(len >> 12));
        return;
    }
    aml_byte(a, (uint8_t)(0x40 | (len & 0xf)));
    aml_byte(a, (uint8_t)(len >> 4));
}

/* An opcode (one or two bytes), PkgLength, then the body; the body is freed. */
static void aml_package(GByteArray *a, const uint8_t *op, size_t nop, GByteArray *body)
{
    aml_bytes(a, op, nop);
    aml_pkglen(a, body->len);
    aml_bytes(a, body->data, body->len);
    g_byte_array_free(body, TRUE);
}

/* Name (SEG, ...): the NameOp and a four-character NameSeg; the data object follows. */
static void aml_name(GByteArray *a, const char seg[4])
{
    aml_byte(a, 0x08);
    aml_bytes(a, seg, 4);
}

/* Device (VRnn) { Name (_HID, "LNRO0005") Name (_UID, n) Name (_CRS, ResourceTemplate () {
 * Memory32Fixed (ReadWrite, base, size) Interrupt (ResourceConsumer, Level, ActiveHigh,
 * Exclusive) { gsi } }) }: Linux's virtio_mmio driver binds to LNRO0005 (its ACPI match). */
static void aml_virtio(GByteArray *a, int n, const AcpiVirtio *v)
{
    GByteArray *dev = g_byte_array_new();
    const char seg[4] = { 'V', 'R', (char)('0' + n / 10 % 10), (char)('0' + n % 10) };
    aml_bytes(dev, seg, 4);
    aml_name(dev, "_HID");
    aml_byte(dev, 0x0d);                  /* String */
    aml_bytes(dev, "LNRO0005", 9);
    aml_name(dev, "_UID");
    aml_byte(dev, 0x0a);                  /* ByteConst */
    aml_byte(dev, (uint8_t)n);
    uint8_t crs[23];
    crs[0] = 0x86;                        /* 6.4.3.4 Memory32Fixed: 9 bytes, read-write */
    put(crs + 1, 9, 2);
    crs[3] = 1;
    put(crs + 4, v->base, 4);
    put(crs + 8, v->size, 4);
    crs[12] = 0x89;                       /* 6.4.3.6 Extended Interrupt: one interrupt */
    put(crs + 13, 6, 2);
    crs[15] = 0x01;                       /* consumer, level, active high, exclusive */
    crs[16] = 1;
    put(crs + 17, v->gsi, 4);
    crs[21] = 0x79;                       /* End Tag, checksum 0 (none) */
    crs[22] = 0;
    aml_name(dev, "_CRS");
    GByteArray *buf = g_byte_array_new();
    aml_byte(buf, 0x0a);                  /* BufferSize: ByteConst */
    aml_byte(buf, sizeof crs);
    aml_bytes(buf, crs, sizeof crs);
    static const uint8_t buffer_op = 0x11;
    aml_package(dev, &buffer_op, 1, buf);
    static const uint8_t device_op[2] = { 0x5b, 0x82 };
    aml_package(a, device_op, 2, dev);
}

uint8_t *acpi_dsdt_aml(const AcpiVirtio *virtio, int nvirtio, size_t *len)
{
    GByteArray *a = g_byte_array_new();
    /* Name (_S5, Package () { 0, 0, 0, 0 }) */
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    aml_bytes(a, s5, sizeof s5);
    if (nvirtio > 0) {
        GByteArray *sb = g_byte_array_new();
        aml_bytes(sb, "\\_SB_", 5);
        for (int i = 0; i < nvirtio; i++)
            aml_virtio(sb, i, &virtio[i]);
        static const uint8_t scope_op = 0x10;
        aml_package(a, &scope_op, 1, sb);
    }
    *len = a->len;
    return g_byte_array_free(a, FALSE);
}

void acpi_build(Machine *m, int ncpus, uint64_t ioapic_base, uint64_t hpet_base,
                const AcpiVirtio *virtio, int nvirtio)
{
    uint8_t t[0x300];

    /* FACS: 64 bytes, no checksum */
    memset(t, 0, 64);
    memcpy(t, "FACS", 4);
    put(t + 4, 64, 4);
    t[32] = 2;                /* version */
    loader_copy(m, FACS_AT, t, 64);

    /* DSDT */
    size_t aml_len;
    uint8_t *aml = acpi_dsdt_aml(virtio, nvirtio, &aml_len);
    uint32_t dsdt_len = 36 + (uint32_t)aml_len;
    uint8_t *dsdt = g_malloc0(dsdt_len);
    header(dsdt, "DSDT", dsdt_len, 2);
    memcpy(dsdt + 36, aml, aml_len);
    finish(m, DSDT_AT, dsdt, dsdt_len);
    g_free(aml);
    g_free(dsdt);

    /* FADT */
    const uint32_t fadt_len = 276;
    memset(t, 0, sizeof t);
    header(t, "FACP", fadt_len, 6);
    put(t + 36, FACS_AT, 4);
    put(t + 40, DSDT_AT, 4);
    put(t + 46, ACPI_SCI_IRQ, 2);
    put(t + 56, ACPI_PM_BASE, 4);          /* PM1a_EVT_BLK */
    put(t + 64, ACPI_PM1_CNT, 4);          /* PM1a_CNT_BLK */
    put(t + 76, ACPI_PM_TMR, 4);           /* PM_TMR_BLK */
    t[88] = 4;                             /* PM1_EVT_LEN */
    t[89] = 2;                             /* PM1_CNT_LEN */
    t[91] = 4;                             /* PM_TMR_LEN */
    put(t + 96, 0x0fff, 2);                /* P_LVL2_LAT: C2 not supported */
    put(t + 98, 0x0fff, 2);                /* P_LVL3_LAT: C3 not supported */
    t[108] = 0x32;                         /* CENTURY */
    put(t + 109, (1u << 0) | (1u << 2), 2);   /* legacy devices; VGA not present */
    /* flags: WBINVD, C1 on all cores, power and sleep buttons absent, reset register */
    put(t + 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 10), 4);
    gas_io(t + 116, 8, ACPI_RESET_PORT);
    t[128] = 6;                            /* RESET_VALUE: full reset */
    t[131] = 4;                            /* FADT minor version (ACPI 6.4) */
    put(t + 132, FACS_AT, 8);
    put(t + 140, DSDT_AT, 8);
    gas_io(t + 148, 32, ACPI_PM_BASE);     /* X_PM1a_EVT_BLK */
    gas_io(t + 172, 16, ACPI_PM1_CNT);     /* X_PM1a_CNT_BLK */
    gas_io(t + 208, 32, ACPI_PM_TMR);      /* X_PM_TMR_BLK */
    finish(m, FADT_AT, t, fadt_len);

    /* MADT */
    memset(t, 0, sizeof t);
    uint32_t n = 44;
    put(t + 36, LAPIC_BASE_DEFAULT, 4);
    put(t + 40, 1, 4);                     /* PCAT_COMPAT */
    for (int i = 0; i < ncpus; i++, n += 8) {
        t[n] = 0, t[n + 1] = 8;            /* processor local APIC */
        t[n + 2] = (uint8_t)i, t[n + 3] = (uint8_t)i;
        put(t + n + 4, 1, 4);              /* enabled */
    }
    t[n] = 1, t[n + 1] = 12;               /* I/O APIC: ID 0, as on QEMU (its own ID space) */
    t[n + 2] = 0;
    put(t + n + 4, ioapic_base, 4);
    put(t + n + 8, 0, 4);
    n += 12;
    static const uint8_t overrides[][2] = { { 0, 2 }, { ACPI_SCI_IRQ, ACPI_SCI_IRQ } };
    for (size_t i = 0; i < G_N_ELEMENTS(overrides); i++, n += 10) {
        t[n] = 2, t[n + 1] = 10, t[n + 2] = 0;   /* ISA bus */
        t[n + 3] = overrides[i][0];
        put(t + n + 4, overrides[i][1], 4);
        put(t + n + 8, overrides[i][0] == ACPI_SCI_IRQ ? 0xd : 0, 2);   /* level, high */
    }
    t[n] = 4, t[n + 1] = 6, t[n + 2] = 0xff;     /* local APIC NMI: all cores, LINT1 */
    put(t + n + 3, 0, 2);
    t[n + 5] = 1;
    n += 6;
    header(t, "APIC", n, 5);
    finish(m, MADT_AT, t, n);

    /* HPET: the event timer block ID is the low half of the capabilities register */
    if (hpet_base) {
        memset(t, 0, sizeof t);
        header(t, "HPET", 56, 1);
        put(t + 36, 0x8086a201, 4);            /* vendor 8086, legacy, 64-bit, 3 timers, rev 1 */
        t[40] = 0;                             /* GAS: system memory, 64 bits */
        t[41] = 64;
        put(t + 44, hpet_base, 8);
        t[52] = 0;                             /* HPET number */
        put(t + 53, 0x80, 2);                  /* minimum periodic tick */
        finish(m, HPET_AT, t, 56);
    }

    /* XSDT and RSDT */
    const uint64_t tables[] = { FADT_AT, MADT_AT, hpet_base ? HPET_AT : 0 };
    memset(t, 0, sizeof t);
    const uint32_t ntables = hpet_base ? 3 : 2;
    uint32_t xlen = 36 + 8 * ntables;
    header(t, "XSDT", xlen, 1);
    for (uint32_t i = 0; i < ntables; i++)
        put(t + 36 + 8 * i, tables[i], 8);
    finish(m, XSDT_AT, t, xlen);
    memset(t, 0, sizeof t);
    uint32_t rlen = 36 + 4 * ntables;
    header(t, "RSDT", rlen, 1);
    for (uint32_t i = 0; i < ntables; i++)
        put(t + 36 + 4 * i, tables[i], 4);
    finish(m, RSDT_AT, t, rlen);

    /* RSDP (ACPI 2.0+): checksum over the first 20 bytes, extended over all 36 */
    memset(t, 0, 36);
    memcpy(t, "RSD PTR ", 8);
    memcpy(t + 9, "HVSIM ", 6);
    t[15] = 2;
    put(t + 16, RSDT_AT, 4);
    put(t + 20, 36, 4);
    put(t + 24, XSDT_AT, 8);
    t[8] = checksum(t, 20);
    t[32] = checksum(t, 36);
    loader_copy(m, ACPI_RSDP_ADDR, t, 36);
}
