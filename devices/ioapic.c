/* I/O APIC (82093AA datasheet 290566; QEMU's version 0x20 adds the EOI register at 0x40).
 *
 * Registers through IOREGSEL (0x00) / IOWIN (0x10): 0 ID, 1 version (0x00170020: 24
 * entries), 2 arbitration, 0x10 + 2n / 0x11 + 2n redirection entry n. An edge-triggered pin
 * sends its message on a rising input; a level-triggered one while its input is high and
 * remote IRR is clear, setting remote IRR until a local APIC's EOI of that vector (or a
 * write to the EOI register) clears it, after which a still-high input sends again. Masked
 * pins send nothing (an edge is lost; a level is sent when unmasked). The polarity bit is
 * stored but not applied: the board's lines are active-high, as in QEMU. */
#include "devices/ioapic.h"
#include <string.h>

#define RE_MASKED (1ULL << 16)
#define RE_LEVEL (1ULL << 15)
#define RE_REMOTE_IRR (1ULL << 14)
#define RE_LOGICAL (1ULL << 11)
#define RE_WRITABLE 0xff0000000001afffULL   /* vector, mode, dest mode, polarity, trigger,
                                             * mask, destination */

static const StateField ioapic_fields[] = {
    STATE_ARRAY(Ioapic, redir, V_ANY),
    STATE_FIELD(Ioapic, id, V_RANGE(0, 15)),
    STATE_FIELD(Ioapic, sel, V_RANGE(0, 0xff)),
    STATE_FIELD(Ioapic, irr, V_RANGE(0, (1u << IOAPIC_NPINS) - 1)),
    STATE_RUNTIME(Ioapic, pad0),
    STATE_RUNTIME(Ioapic, m),
    STATE_RUNTIME(Ioapic, lapics),
    STATE_RUNTIME(Ioapic, nlapics),
    STATE_RUNTIME(Ioapic, pad_),
};
const StateDesc ioapic_state_desc = STATE_DESC("ioapic", Ioapic, ioapic_fields);

static void send(Ioapic *s, int pin)
{
    uint64_t re = s->redir[pin];
    bool level = (re & RE_LEVEL) != 0;
    if (level)
        s->redir[pin] |= RE_REMOTE_IRR;
    lapic_send(s->lapics, s->nlapics, NULL, (uint32_t)(re >> 56), (re & RE_LOGICAL) != 0, 0,
               (int)((re >> 8) & 7), (int)(re & 0xff), level);
}

/* A level-triggered pin whose input is high sends when it can. */
static void service(Ioapic *s, int pin)
{
    uint64_t re = s->redir[pin];
    if ((re & RE_LEVEL) && (s->irr >> pin & 1) && !(re & (RE_MASKED | RE_REMOTE_IRR)))
        send(s, pin);
}

void ioapic_set_irq(void *opaque, int n, int level)
{
    Ioapic *s = opaque;
    if (n < 0 || n >= IOAPIC_NPINS)
        return;
    bool was = s->irr >> n & 1;
    if (level)
        s->irr |= 1u << n;
    else
        s->irr &= ~(1u << n);
    uint64_t re = s->redir[n];
    if (re & RE_LEVEL)
        service(s, n);
    else if (level && !was && !(re & RE_MASKED))
        send(s, n);
}

void ioapic_eoi(void *opaque, int vector)
{
    Ioapic *s = opaque;
    for (int i = 0; i < IOAPIC_NPINS; i++)
        if ((s->redir[i] & 0xff) == (uint64_t)vector && (s->redir[i] & RE_REMOTE_IRR)) {
            s->redir[i] &= ~RE_REMOTE_IRR;
            service(s, i);
        }
}

static uint32_t read_reg(Ioapic *s)
{
    uint32_t r = s->sel;
    if (r == 0)
        return s->id << 24;
    if (r == 1)
        return ((IOAPIC_NPINS - 1) << 16) | 0x20;
    if (r == 2)
        return s->id << 24;
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_NPINS) {
        uint64_t re = s->redir[(r - 0x10) / 2];
        return (r & 1) ? (uint32_t)(re >> 32) : (uint32_t)re;
    }
    return 0xffffffff;        /* no such register */
}

static void write_reg(Ioapic *s, uint32_t v)
{
    uint32_t r = s->sel;
    if (r == 0) {
        s->id = (v >> 24) & 0xf;
        return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_NPINS)
        return;               /* read-only or absent */
    int pin = (int)(r - 0x10) / 2;
    uint64_t re = s->redir[pin];
    uint64_t nv = (r & 1) ? (re & 0xffffffffULL) | (uint64_t)v << 32
                          : (re & ~0xffffffffULL) | v;
    s->redir[pin] = (nv & RE_WRITABLE) | (re & RE_REMOTE_IRR);
    if (!(s->redir[pin] & RE_LEVEL))
        s->redir[pin] &= ~RE_REMOTE_IRR;
    service(s, pin);
}

uint64_t ioapic_read(void *opaque, uint64_t off, unsigned size)
{
    Ioapic *s = opaque;
    (void)size;
    if (off == 0x00)
        return s->sel;
    if (off == 0x10)
        return read_reg(s);
    return 0;
}

void ioapic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Ioapic *s = opaque;
    (void)size;
    if (off == 0x00)
        s->sel = (uint32_t)val & 0xff;
    else if (off == 0x10)
        write_reg(s, (uint32_t)val);
    else if (off == 0x40)
        ioapic_eoi(s, (int)(val & 0xff));
}

static const MmioOps ioapic_ops = { ioapic_read, ioapic_write };

Ioapic *ioapic_new(Machine *m, const char *name, uint64_t base, Lapic **lapics, int nlapics)
{
    Ioapic *s = g_new0(Ioapic, 1);
    s->m = m;
    s->lapics = lapics;
    s->nlapics = nlapics;
    for (int i = 0; i < IOAPIC_NPINS; i++)
        s->redir[i] = RE_MASKED;
    if (bus_add_mmio(&m->bus, name, base, 0x1000, &ioapic_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &ioapic_state_desc, s);
    return s;
}

void ioapic_free(Ioapic *s)
{
    g_free(s);
}
