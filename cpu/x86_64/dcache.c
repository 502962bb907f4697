/* x86-64 decode cache (dcache.h): pages of decoded instructions by physical address and
 * code size, filled by the uncached decoder, dropped when their code is written. */
#include <string.h>
#include "cpu/x86_64/dcache.h"
#include "cpu/x86_64/exec.h"
#include "cpu/x86_64/jit.h"

/* More pages than this (32 MiB of slots and instructions at worst): start again. */
#define DC_MAX_PAGES 1024

static unsigned dc_hash(uint64_t pa)
{
    return (unsigned)((pa >> 12) ^ (pa >> 20)) & (X86_DC_HASH - 1);
}

static void dc_free(X86DecodedPage *p)
{
    g_free(p->insn);
    g_free(p->tried);
    g_free(p);
}

void x86_dcache_collect(X86Cpu *c)
{
    while (c->dc_garbage) {
        X86DecodedPage *n = c->dc_garbage->next;
        dc_free(c->dc_garbage);
        c->dc_garbage = n;
    }
}

void x86_decode_flush(X86Cpu *c)
{
    for (unsigned h = 0; h < X86_DC_HASH; h++) {
        while (c->dc_hash[h]) {
            X86DecodedPage *p = c->dc_hash[h];
            c->dc_hash[h] = p->next;
            p->next = c->dc_garbage;  /* an instruction may be running from it */
            c->dc_garbage = p;
        }
    }
    c->dc_cur = NULL;
    memset(c->dc_jump, 0, sizeof c->dc_jump);
    x86_decode_mode_changed(c);
    c->dc_pages = 0;
    c->dc_gen++;
    x86_jit_reset(c);      /* no handler points into its code any more */
}

/* Drops the pages of pa_page (any code size) from one core. */
static void dc_drop(X86Cpu *c, uint64_t pa_page)
{
    X86DecodedPage **pp = &c->dc_hash[dc_hash(pa_page)];
    while (*pp) {
        X86DecodedPage *p = *pp;
        if (p->pa != pa_page) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        p->next = c->dc_garbage;
        c->dc_garbage = p;
        c->dc_pages--;
        if (c->dc_cur == p)
            c->dc_cur = NULL;
        memset(c->dc_jump, 0, sizeof c->dc_jump);
        c->dc_gen++;
        x86_decode_mode_changed(c);   /* and the run loop's chain leaves */
    }
}

void x86_code_written(Machine *m, uint64_t pa)
{
    uint64_t pa_page = pa & ~(uint64_t)(X86_DC_PAGE - 1);
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls == &x86_cpu_class)
            dc_drop(m->cpus[i].obj, pa_page);
    if (pa - m->ram_base < m->ram_size)
        m->ram_code[(pa - m->ram_base) >> 12] = 0;
}

static X86DecodedPage *dc_page(X86Cpu *c, uint64_t pa_page)
{
    unsigned h = dc_hash(pa_page);
    for (X86DecodedPage *p = c->dc_hash[h]; p; p = p->next)
        if (p->pa == pa_page && p->bits == c->code_bits)
            return p;
    if (c->dc_pages >= DC_MAX_PAGES)
        x86_decode_flush(c);
    X86DecodedPage *p = g_new0(X86DecodedPage, 1);
    p->pa = pa_page;
    p->bits = c->code_bits;
    p->next = c->dc_hash[h];
    c->dc_hash[h] = p;
    c->dc_pages++;
    /* from now on a store into the page reaches x86_code_written */
    Machine *m = c->m;
    m->ram_code[(pa_page - m->ram_base) >> 12] = 1;
    return p;
}

/* The decoded page of pa at the current code size, if there is one. */
static X86DecodedPage *dc_find(X86Cpu *c, uint64_t pa_page)
{
    for (X86DecodedPage *p = c->dc_hash[dc_hash(pa_page)]; p; p = p->next)
        if (p->pa == pa_page && p->bits == c->code_bits)
            return p;
    return NULL;
}

/* RIP's linear address in *la and the soft TLB's fetch entry for it when that holds a RAM
 * page whose decoded instructions may be used there now (dcache.h), else NULL. */
static const X86TlbEntry *dc_fetch(X86Cpu *c, uint64_t *la)
{
    const Machine *m = c->m;
    const X86TlbEntry *te;
    if (!m || !m->ram_code || !x86_dc_window(c, la) || !(te = x86_dc_tlb(c, *la)) ||
        te->pa - m->ram_base >= m->ram_size)
        return NULL;
    return te;
}

/* p becomes the current page; in 64-bit code the fetch check at la is remembered. */
static void dc_enter(X86Cpu *c, X86DecodedPage *p, uint64_t la, const X86TlbEntry *te)
{
    c->dc_cur = p;
    if (c->code_bits == 64)
        x86_dc_remember(c, la, te);
    else
        x86_decode_mode_changed(c);
}

bool x86_dc_switch_slow(X86Cpu *c)
{
    uint64_t la;
    const X86TlbEntry *te = dc_fetch(c, &la);
    if (!te || c->code_bits != 64)
        return false;
    X86DecodedPage *p = dc_find(c, te->pa);
    if (!p)
        return false;
    c->dc_jump[(la >> 12) & (X86_DC_JUMP - 1)] =
        (struct X86DcJump){ .p = p, .te = te, .tag = te->tag };
    if (!p->slot[la & (X86_DC_PAGE - 1)])
        return false;
    dc_enter(c, p, la, te);
    return true;
}

int x86_chain_link(X86Cpu *c, const X86Insn *d, bool taken)
{
    uint64_t off = c->rip - c->dc_la;
    X86DecodedPage *p = c->dc_cur;
    if (off >= X86_DC_PAGE)
        return x86_chain_on(c);       /* another page: no link, a page switch */
    unsigned s = p->slot[off];
    if (!s)
        return X86_OK;        /* not decoded yet: the loop goes on */
    /* d is one of p's own: the link is the cache's, like the slots */
    X86Insn *k = &p->insn[d - p->insn];
    if (taken)
        k->taken = (uint16_t)s;
    else
        k->next = (uint16_t)s;
    /* a branch target, or the instruction after one a block cannot hold: a block may start
     * there (jit.h); the code buffer full, everything starts again */
    if ((taken || x86_jit_ends_block(k)) && !p->tried[s - 1] && !x86_jit_try(c, p, (unsigned)off))
        return X86_OK;
    return x86_chain_to(c, &p->insn[s - 1]);
}

bool x86_jit_try(X86Cpu *c, X86DecodedPage *p, unsigned off)
{
    p->tried[p->slot[off] - 1] = 1;
    if (x86_jit_block(c, p, off))
        return true;
    x86_decode_flush(c);      /* the code buffer is full: everything starts again */
    return false;
}

int x86_chain_try(X86Cpu *c, X86DecodedPage *p, unsigned off)
{
    if (!x86_jit_try(c, p, off))
        return X86_OK;
    return x86_chain_to(c, &p->insn[p->slot[off] - 1]);
}

const X86Insn *x86_decode_slow(X86Cpu *c, X86Insn *tmp)
{
    uint64_t la;
    const X86TlbEntry *te = dc_fetch(c, &la);
    /* RIP in another decoded page whose fetch the soft TLB holds: its instruction, as
     * x86_decode_cached finds one in the current page (the uncached decoder would fetch the
     * same bytes and walk nothing) */
    if (te) {
        X86DecodedPage *p = dc_find(c, te->pa);
        unsigned s = p ? p->slot[la & (X86_DC_PAGE - 1)] : 0;
        if (s) {
            dc_enter(c, p, la, te);
            return &p->insn[s - 1];
        }
    }
    if (!x86_decode(c, tmp))
        return NULL;
    /* cached only what the uncached decoder fetched from one RAM page alone (dcache.h); its
     * fetch may have filled the TLB entry just now */
    te = dc_fetch(c, &la);
    if (!te || (la & (X86_DC_PAGE - 1)) + tmp->len > X86_DC_PAGE)
        return tmp;
    X86DecodedPage *p = dc_page(c, te->pa);
    dc_enter(c, p, la, te);
    unsigned off = (unsigned)(la & (X86_DC_PAGE - 1));
    if (p->slot[off])
        return &p->insn[p->slot[off] - 1];
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->insn = g_renew(X86Insn, p->insn, p->cap);
        p->tried = g_renew(uint8_t, p->tried, p->cap);
    }
    p->tried[p->n] = 0;
    X86Insn *k = &p->insn[p->n];
    *k = *tmp;
    bool lazy = false;
    X86HandlerFn (*const select[])(X86Insn *, bool *) = {
        x86_fast_alu, x86_fast_branch, x86_fast_mov, x86_fast_mul, x86_fast_shift, x86_fast_cond,
        x86_fast_stack,
    };
    X86HandlerFn fast = NULL;
    for (size_t i = 0; i < sizeof select / sizeof select[0] && !fast; i++)
        fast = select[i](k, &lazy);
    if (!fast)
        lazy = false;         /* what a selector said of a handler it did not give */
    if (fast) {
        k->fn = fast;         /* the same semantics, fewer host branches (exec.h) */
    } else {
        /* generic handlers that write no arithmetic flag and read them, if at all, through
         * x86_cond_now (exec.h) */
        static const X86HandlerFn neutral[] = {
            x86_op_lea, x86_op_mov, x86_op_mov_imm, x86_op_mov_imm_r, x86_op_movzx,
            x86_op_movsx, x86_op_movsxd, x86_op_push_r, x86_op_pop_r, x86_op_push_imm,
            x86_op_call, x86_op_ret, x86_op_jmp, x86_op_nop, x86_op_jcc, x86_op_setcc,
            x86_op_cmovcc,
        };
        for (size_t i = 0; i < sizeof neutral / sizeof neutral[0] && !lazy; i++)
            lazy = k->fn == neutral[i];
    }
    k->lazy = lazy;
    p->slot[off] = (uint16_t)++p->n;
    return &p->insn[p->n - 1];
}
