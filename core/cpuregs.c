/* Register sets (core/cpuregs.h): lookups over a class's features. */
#include <string.h>
#include "core/cpuregs.h"

size_t cpuregs_count(const CpuRegSet *set)
{
    size_t n = 0;
    for (size_t f = 0; f < set->nfeatures; f++)
        n += set->features[f].nregs;
    return n;
}

const CpuReg *cpuregs_find(const CpuRegSet *set, unsigned regnum)
{
    for (size_t f = 0; f < set->nfeatures; f++)
        for (size_t i = 0; i < set->features[f].nregs; i++)
            if (set->features[f].regs[i].regnum == regnum)
                return &set->features[f].regs[i];
    return NULL;
}

const CpuReg *cpuregs_find_name(const CpuRegSet *set, const char *name)
{
    for (size_t f = 0; f < set->nfeatures; f++)
        for (size_t i = 0; i < set->features[f].nregs; i++)
            if (strcmp(set->features[f].regs[i].name, name) == 0)
                return &set->features[f].regs[i];
    return NULL;
}

size_t cpuregs_g_bytes(const CpuRegSet *set)
{
    size_t n = 0;
    for (size_t f = 0; f < set->nfeatures; f++)
        for (size_t i = 0; set->features[f].in_g && i < set->features[f].nregs; i++)
            n += set->features[f].regs[i].bitsize / 8;
    return n;
}

