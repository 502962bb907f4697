/* Read-only access to a core for plugins (CpuClass.peek_reg/peek_virt): values are copied
 * out, nothing is written, and a register whose read would act (A64_SR_NOPEEK: an interrupt
 * acknowledge, a counter sync) is refused, so observing a run cannot change it. */
#include "cpu/arm64/cpu.h"
#include <stdlib.h>
#include <string.h>
#include "cpu/arm64/sysreg.h"

bool a64_peek_reg(void *obj, const char *name, uint64_t *v)
{
    Arm64Cpu *c = obj;
    char *end;
    if ((name[0] == 'x' || name[0] == 'X') && name[1] >= '0' && name[1] <= '9') {
        unsigned long n = strtoul(name + 1, &end, 10);
        if (*end || n > 30)
            return false;
        *v = c->x[n];
        return true;
    }
    if (!strcmp(name, "sp")) {
        *v = c->x[A64_SP];
        return true;
    }
    if (!strcmp(name, "pc")) {
        *v = c->pc;
        return true;
    }
    if (!strcmp(name, "el")) {
        *v = c->el;
        return true;
    }
    if (!strcmp(name, "nzcv")) {
        *v = a64_get_nzcv(c);
        return true;
    }
    const A64SysReg *r = a64_sysreg_by_name(name);
    return r && a64_sysreg_peek(c, r, v);
}

bool a64_peek_virt(void *obj, uint64_t va, void *buf, uint64_t len)
{
    Arm64Cpu *c = obj;
    uint8_t *out = buf;
    while (len) {
        uint64_t pa, n = A64_PAGE_SIZE - (va & (A64_PAGE_SIZE - 1));
        if (n > len)
            n = len;
        const uint8_t *host;
        if (!a64_debug_translate(c, va, &pa) || !(host = bus_ram_ptr(&c->m->bus, pa, n)))
            return false;
        memcpy(out, host, n);
        out += n;
        va += n;
        len -= n;
    }
    return true;
}
