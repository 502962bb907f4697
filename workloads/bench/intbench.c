/* CPU-bound integer benchmark in the spirit of CoreMark: linked-list processing (reverse,
 * search, merge sort), integer matrix multiply, a text-scanning state machine and CRC,
 * repeated ITERATIONS times (about 1e9 guest instructions). Prints a checksum at the end,
 * which must be the same on every simulator. */
#include "lib.h"

#ifndef ITERATIONS
#define ITERATIONS 4800
#endif

#define LIST_NODES 256
#define MAT_N 24
#define TEXT_LEN 512

struct node {
    struct node *next;
    int32_t key;
    int32_t val;
};

static struct node nodes[LIST_NODES];
static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];
static char text[TEXT_LEN + 1];

static uint32_t seed = 0x2545f491u;
static uint32_t lcg(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed;
}

static uint16_t crc16_step(uint16_t crc, uint8_t data)
{
    for (int i = 0; i < 8; i++) {
        unsigned x = (data ^ crc) & 1;
        data >>= 1;
        crc >>= 1;
        if (x)
            crc ^= 0xa001;
    }
    return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v)
{
    crc = crc16_step(crc, (uint8_t)v);
    crc = crc16_step(crc, (uint8_t)(v >> 8));
    crc = crc16_step(crc, (uint8_t)(v >> 16));
    return crc16_step(crc, (uint8_t)(v >> 24));
}

/* ---- list ------------------------------------------------------------------------ */

static struct node *list_build(void)
{
    for (int i = 0; i < LIST_NODES; i++) {
        nodes[i].key = (int32_t)(lcg() >> 16) - 32768;
        nodes[i].val = i;
        nodes[i].next = i + 1 < LIST_NODES ? &nodes[i + 1] : 0;
    }
    return &nodes[0];
}

static struct node *list_reverse(struct node *l)
{
    struct node *prev = 0;
    while (l) {
        struct node *n = l->next;
        l->next = prev;
        prev = l;
        l = n;
    }
    return prev;
}

static struct node *list_find(struct node *l, int32_t key)
{
    while (l && l->key != key)
        l = l->next;
    return l;
}

/* Bottom-up merge sort on a singly linked list, by key or by value. */
static struct node *list_sort(struct node *list, int by_val)
{
    int insize = 1;
    for (;;) {
        struct node *p = list, *tail = 0;
        list = 0;
        int merges = 0;
        while (p) {
            merges++;
            struct node *q = p;
            int psize = 0;
            for (int i = 0; i < insize && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = insize;
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                int take_p;
                if (psize == 0)
                    take_p = 0;
                else if (qsize == 0 || !q)
                    take_p = 1;
                else if (by_val)
                    take_p = p->val <= q->val;
                else
                    take_p = p->key <= q->key;
                if (take_p) {
                    e = p;
                    p = p->next;
                    psize--;
                } else {
                    e = q;
                    q = q->next;
                    qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return list;
        insize *= 2;
    }
}

static uint16_t bench_list(uint16_t crc, int iter)
{
    struct node *l = list_build();
    l = list_reverse(l);
    int found = 0;
    for (int i = 0; i < 8; i++) {
        struct node *n = list_find(l, nodes[(i * 37 + iter) % LIST_NODES].key);
        if (n)
            found += n->val;
    }
    l = list_sort(l, 0);
    int32_t prev = -65536;
    uint32_t ordered = 1;
    for (struct node *n = l; n; n = n->next) {
        ordered &= n->key >= prev;
        prev = n->key;
        n->val ^= n->key;
    }
    crc = crc16_u32(crc, l->key);
    l = list_sort(l, 1);
    for (struct node *n = l; n; n = n->next)
        crc = crc16_step(crc, (uint8_t)n->val);
    return crc16_u32(crc, (uint32_t)found + ordered);
}

/* ---- matrix ---------------------------------------------------------------------- */

static uint16_t bench_matrix(uint16_t crc, int iter)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (int32_t)(lcg() >> 20) - 2048;
            mat_b[i][j] = (int32_t)((i * 7 + j * 3 + iter) & 0xff) - 100;
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < MAT_N; k++)
                s += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = s;
        }
    int64_t total = 0;
    int32_t maxv = mat_c[0][0];
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t v = mat_c[i][j];
            total += v;
            if (v > maxv)
                maxv = v;
            mat_c[i][j] = (v >> 3) ^ (v << 2);
        }
    crc = crc16_u32(crc, (uint32_t)total);
    crc = crc16_u32(crc, (uint32_t)(total >> 32));
    return crc16_u32(crc, (uint32_t)maxv);
}

/* ---- state machine --------------------------------------------------------------- */

enum state { S_START, S_INT, S_FLOAT, S_EXP, S_SCI, S_INVALID, S_COUNT };

static void text_build(int iter)
{
    static const char *pieces[] = {"5012", "1234", "-874", "+122", "35.54", "-1.5e3", "0.0",
                                   "T0.3e-1F", "-.1", "9e", "1e+10", "abc", "7.", "+"};
    int pos = 0, k = iter;
    while (pos < TEXT_LEN - 12) {
        const char *p = pieces[(unsigned)(k * 7 + (int)(lcg() >> 28)) % ARRAY_SIZE(pieces)];
        while (*p)
            text[pos++] = *p++;
        text[pos++] = ',';
        k++;
    }
    text[pos] = '\0';
}

static uint16_t bench_state(uint16_t crc)
{
    unsigned counts[S_COUNT] = {0};
    unsigned transitions = 0;
    const char *p = text;
    while (*p) {
        enum state s = S_START;
        for (; *p && *p != ','; p++) {
            char c = *p;
            enum state ns = s;
            int digit = c >= '0' && c <= '9';
            switch (s) {
            case S_START:
                ns = digit ? S_INT : (c == '+' || c == '-') ? S_INT : c == '.' ? S_FLOAT
                                                                                : S_INVALID;
                break;
            case S_INT:
                ns = digit ? S_INT : c == '.' ? S_FLOAT : (c == 'e' || c == 'E') ? S_EXP
                                                                                  : S_INVALID;
                break;
            case S_FLOAT:
                ns = digit ? S_FLOAT : (c == 'e' || c == 'E') ? S_EXP : S_INVALID;
                break;
            case S_EXP:
                ns = (digit || c == '+' || c == '-') ? S_SCI : S_INVALID;
                break;
            case S_SCI:
                ns = digit ? S_SCI : S_INVALID;
                break;
            default:
                break;
            }
            transitions += ns != s;
            s = ns;
        }
        counts[s]++;
        if (*p)
            p++;
    }
    for (int i = 0; i < S_COUNT; i++)
        crc = crc16_u32(crc, counts[i]);
    return crc16_u32(crc, transitions);
}

int main(void)
{
    uint16_t crc = 0;
    uint32_t acc = 0;
#ifdef INTBENCH_TICKS
    /* calibration build: with QEMU -icount shift=0 one instruction takes 1 ns */
    uint64_t t0 = READ_SYSREG(cntvct_el0);
#endif
    for (int it = 0; it < ITERATIONS; it++) {
        crc = bench_list(crc, it);
        crc = bench_matrix(crc, it);
        text_build(it);
        crc = bench_state(crc);
        acc = acc * 31 + crc;
    }
    printf("intbench: %d iterations\n", ITERATIONS);
    printf("checksum %04x %08x\n", crc, acc);
#ifdef INTBENCH_TICKS
    uint64_t ticks = READ_SYSREG(cntvct_el0) - t0;
    printf("ticks %lu ~insns %lu\n", (unsigned long)ticks,
           (unsigned long)(ticks * (1000000000ul / READ_SYSREG(cntfrq_el0))));
#endif
    return 0;
}
