/* Interrupt lines: a device raises or lowers a line; whoever connected it (an interrupt
 * controller, a test) decides what that means. An unconnected line does nothing. */
#ifndef HVSIM_CORE_IRQ_H
#define HVSIM_CORE_IRQ_H
typedef struct IrqLine {
    void (*set)(void *opaque, int n, int level);
    void *opaque;
    int n;
} IrqLine;

static inline void irq_set(const IrqLine *l, int level)
{
    if (l && l->set)
        l->set(l->opaque, l->n, level);
}
#endif
