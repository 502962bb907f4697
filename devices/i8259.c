/* Intel 8259A programmable interrupt controller pair (datasheet 231468), as the PC cascades
 * them. Edge-triggered inputs, or level-triggered ones as the ELCR selects (an IRQ then
 * requests while its input is high, again after its EOI; QEMU's writable bits: not IRQ 0,
 * 1, 2, 8, 13), fully nested
 * priority with IRQ 0 highest (no rotation), normal and automatic EOI, specific and
 * non-specific EOI, OCW3's IRR/ISR read selection and special mask mode. Masked after
 * reset as the BIOS leaves them: Linux probes them and then uses the I/O APIC. */
#include "devices/i8259.h"
#include <string.h>

static const StateField i8259_fields[] = {
    STATE_FIELD(I8259, pic, V_ANY),
    STATE_FIELD(I8259, out, V_BOOL),
    STATE_RUNTIME(I8259, pad0),
    STATE_RUNTIME(I8259, m),
    STATE_RUNTIME(I8259, intr),
};
const StateDesc i8259_state_desc = STATE_DESC("i8259", I8259, i8259_fields);

/* The highest-priority request of one chip that may interrupt now (-1: none). */
static int chip_pending(const Pic8259 *p)
{
    uint8_t req = p->irr & ~p->imr;
    for (int i = 0; i < 8; i++) {
        if (!p->special_mask && (p->isr & (1u << i)))
            return -1;        /* an equal or higher level is in service */
        if (req & (1u << i))
            return i;
    }
    return -1;
}

static void update(I8259 *s)
{
    for (int i = 0; i < 2; i++)   /* a level-triggered input requests while it is high */
        s->pic[i].irr |= s->pic[i].level & s->pic[i].elcr;
    /* the slave's output is the master's IRQ 2 input (an edge when it rises) */
    int slave = chip_pending(&s->pic[1]) >= 0;
    Pic8259 *mst = &s->pic[0];
    if (slave && !(mst->level & 4))
        mst->irr |= 4;
    mst->level = (uint8_t)((mst->level & ~4) | (slave << 2));
    if (!slave)
        mst->irr &= ~4;
    uint8_t out = chip_pending(mst) >= 0;
    if (out != s->out) {
        s->out = out;
        irq_set(&s->intr, out);
    }
}

void i8259_set_irq(void *opaque, int n, int level)
{
    I8259 *s = opaque;
    Pic8259 *p = &s->pic[n >> 3];
    uint8_t bit = (uint8_t)(1u << (n & 7));
    if (level && !(p->level & bit))
        p->irr |= bit;        /* a rising edge is a request */
    if (level)
        p->level |= bit;
    else
        p->level &= ~bit;
    if (!level && (p->elcr & bit))
        p->irr &= ~bit;       /* a level request ends with its input */
    update(s);
}

int i8259_peek(I8259 *s)
{
    int irq = chip_pending(&s->pic[0]);
    if (irq < 0)
        return -1;
    if (irq == 2) {
        int sirq = chip_pending(&s->pic[1]);
        return sirq < 0 ? -1 : (s->pic[1].vector_base & 0xf8) + sirq;
    }
    return (s->pic[0].vector_base & 0xf8) + irq;
}

/* One chip's acknowledge of irq: IRR -> ISR (none with automatic EOI). */
static void chip_ack(Pic8259 *p, int irq)
{
    p->irr &= ~(1u << irq);
    if (!p->auto_eoi)
        p->isr |= (uint8_t)(1u << irq);
}

int i8259_ack(I8259 *s)
{
    int irq = chip_pending(&s->pic[0]), vec;
    if (irq < 0) {
        vec = (s->pic[0].vector_base & 0xf8) + 7;   /* spurious IRQ 7 */
    } else if (irq == 2) {
        int sirq = chip_pending(&s->pic[1]);
        chip_ack(&s->pic[0], 2);
        if (sirq < 0) {
            vec = (s->pic[1].vector_base & 0xf8) + 7;   /* spurious IRQ 15 */
        } else {
            chip_ack(&s->pic[1], sirq);
            vec = (s->pic[1].vector_base & 0xf8) + sirq;
        }
    } else {
        chip_ack(&s->pic[0], irq);
        vec = (s->pic[0].vector_base & 0xf8) + irq;
    }
    update(s);
    return vec;
}

static void write_cmd(Pic8259 *p, uint8_t v)
{
    if (v & 0x10) {           /* ICW1: start initialisation */
        p->init_step = 2;
        p->icw4_needed = v & 1;
        p->imr = p->isr = p->irr = 0;
        p->auto_eoi = p->read_isr = p->special_mask = 0;
        return;
    }
    if (v & 0x08) {           /* OCW3 */
        if (v & 2)
            p->read_isr = v & 1;
        if (v & 0x40)
            p->special_mask = (v >> 5) & 1;
        return;
    }
    /* OCW2: bits 7:5 = R SL EOI */
    switch (v >> 5) {
    case 1:                   /* non-specific EOI: the highest level in service */
    case 5:                   /* the same with rotation (no rotation modelled) */
        for (int i = 0; i < 8; i++)
            if (p->isr & (1u << i)) {
                p->isr &= ~(1u << i);
                break;
            }
        break;
    case 3:                   /* specific EOI */
    case 7:
        p->isr &= ~(1u << (v & 7));
        break;
    default:                  /* rotation and priority commands: accepted, not modelled */
        break;
    }
}

static void write_data(Pic8259 *p, uint8_t v)
{
    switch (p->init_step) {
    case 2:
        p->vector_base = v & 0xf8;
        p->init_step = 3;
        break;
    case 3:                   /* ICW3: the cascade wiring is fixed on the PC */
        p->init_step = p->icw4_needed ? 4 : 0;
        break;
    case 4:
        p->auto_eoi = (v >> 1) & 1;
        p->init_step = 0;
        break;
    default:
        p->imr = v;           /* OCW1 */
        break;
    }
}

static uint64_t pic_read(void *opaque, uint64_t off, unsigned size, int chip)
{
    I8259 *s = opaque;
    Pic8259 *p = &s->pic[chip];
    (void)size;
    if (off == 1)
        return p->imr;
    return p->read_isr ? p->isr : p->irr;
}

static void pic_write(void *opaque, uint64_t off, uint64_t val, int chip)
{
    I8259 *s = opaque;
    if (off == 0)
        write_cmd(&s->pic[chip], (uint8_t)val);
    else
        write_data(&s->pic[chip], (uint8_t)val);
    update(s);
}

static uint64_t master_read(void *o, uint64_t off, unsigned size)
{
    return pic_read(o, off, size, 0);
}

static uint64_t slave_read(void *o, uint64_t off, unsigned size)
{
    return pic_read(o, off, size, 1);
}

static void master_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)size;
    pic_write(o, off, v, 0);
}

static void slave_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)size;
    pic_write(o, off, v, 1);
}

static const MmioOps master_ops = { master_read, master_write };
static const MmioOps slave_ops = { slave_read, slave_write };

/* ELCR1 at 0x4d0, ELCR2 at 0x4d1 */
static const uint8_t elcr_mask[2] = { 0xf8, 0xde };
static uint64_t elcr_read(void *o, uint64_t off, unsigned size)
{
    I8259 *s = o;
    uint64_t v = s->pic[off & 1].elcr;
    if (off == 0 && size >= 2)    /* a word read takes both */
        v |= (uint64_t)s->pic[1].elcr << 8;
    return v;
}
static void elcr_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    I8259 *s = o;
    s->pic[off & 1].elcr = (uint8_t)v & elcr_mask[off & 1];
    if (off == 0 && size >= 2)
        s->pic[1].elcr = (uint8_t)(v >> 8) & elcr_mask[1];
    update(s);
}
static const MmioOps elcr_ops = { elcr_read, elcr_write };

I8259 *i8259_new(Machine *m, const char *name)
{
    I8259 *s = g_new0(I8259, 1);
    s->m = m;
    /* the BIOS's programming: vectors 0x08 and 0x70, everything masked */
    s->pic[0].vector_base = 0x08;
    s->pic[1].vector_base = 0x70;
    s->pic[0].imr = s->pic[1].imr = 0xff;
    if (bus_add_mmio(&m->io, "pic-master", 0x20, 2, &master_ops, s) < 0 ||
        bus_add_mmio(&m->io, "pic-slave", 0xa0, 2, &slave_ops, s) < 0 ||
        bus_add_mmio(&m->io, "elcr", 0x4d0, 2, &elcr_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &i8259_state_desc, s);
    return s;
}

void i8259_connect_intr(I8259 *s, IrqLine line)
{
    s->intr = line;
    irq_set(&s->intr, s->out);
}

void i8259_free(I8259 *s)
{
    g_free(s);
}
