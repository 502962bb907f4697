/* Differential tester: random A64 sequences on hvsim (in process) and on qemu-aarch64 (user
 * mode), comparing x0..x30, SP, NZCV, V0..V31, FPCR and FPSR after each sequence (and, for
 * the SIMD&FP load/store group, the scratch memory the sequence addresses).
 *
 * How it works (see tests/difftest/README.md):
 *  - Candidate patterns: a64_patterns[] entries of the selected decode-table groups (default
 *    dp_imm / dp_reg) without !nofuzz. Each pattern's fields are discovered by flipping its
 *    free bits through a64_decode_args(); 5-bit fields at bits 0/5/10/16 are treated as
 *    registers (X or V: the tester does not need to know which).
 *  - An instance is kept only if it decodes to the same op, a64_prep_op() accepts it and
 *    Capstone disassembles it. Writing SP is allowed (no SP-based access follows).
 *  - A batch of sequences becomes one static ELF (one RWX PT_LOAD at 0x40000000). Each
 *    sequence sits in a fixed code slot: a prologue loads V0..V31, FPCR, FPSR, x0..x30, NZCV
 *    and SP from the slot's input record, the sequence runs, an epilogue stores them all to
 *    the slot's output record, then a branch to the next slot. After the last slot a write(1)
 *    syscall dumps the output records and exit_group(0) ends the program.
 *  - QEMU runs the ELF; hvsim runs the same image, one slot at a time (PC = slot start,
 *    max_insns = exactly the slot's instructions before its branch), and the output records
 *    in guest RAM are compared with QEMU's.
 *  - If QEMU dies on a batch, the batch is bisected (slots keep their addresses, so PC-
 *    relative results do not change) down to the sequences and then the instruction that
 *    kill it; those sequences are counted as skipped.
 * Everything is derived from --seed: sequence i uses its own PRNG seeded from (seed, i), so
 * `--seed S --index I` reproduces one sequence. */
#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/machine.h"
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/sysreg.h"
#include "a64_decode_gen.h"

#define IMG_BASE 0x40000000ULL
#define RAM_SIZE (16ULL << 20)
#define ELF_DATA_OFF 0x10000  /* file offset of the image (64 KiB aligned for any page size) */

/* Input/output record: x0..x30, NZCV, SP, pad, V0..V31 (low doubleword first), FPCR, FPSR
 * (800 bytes, a 16-byte multiple). */
enum { REC_NZCV = 31, REC_SP = 32, REC_PAD = 33, REC_V = 34, REC_FPCR = 98, REC_FPSR = 99,
       REC_WORDS = 100 };
#define REC_BYTES (REC_WORDS * 8)
#define PROLOGUE_INSNS 44
#define EPILOGUE_INSNS 44
/* The SIMD&FP load/store group addresses memory through X28 (never drawn as an operand
 * while that group is selected), which points into the middle of the slot's scratch area. */
#define LDST_BASE 28
#define MAX_LEN 4096
#define MAX_FIELDS 16
#define POISON 0xa5

/* ---- deterministic PRNG (splitmix64) ---------------------------------------------------- */
typedef struct { uint64_t s; } Rng;
static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint32_t rng_below(Rng *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }

/* ---- options ------------------------------------------------------------------------------ */
static uint64_t opt_seed = 1;
static long opt_count = 1000;
static int opt_len = 16;
static int opt_batch = 100;
static int opt_verbose;
static long opt_index = -1;
static int opt_max_report = 20;
static long opt_alloc = 20000;   /* words for the allocation check (0 = none) */
static int opt_no_cs_filter;
static const char *opt_groups = "dp_imm,dp_reg";
static const char *opt_qemu = "qemu-aarch64";
/* --cpu M: both sides run CPU model M (hvsim's model, QEMU's -cpu); without it hvsim models
 * its default (cortex-a57) against QEMU's max, the allocation check's not_modelled() list
 * covering the difference */
static const char *opt_cpu;
static const char *opt_keep;     /* write the first batch's ELF here */

/* ---- pattern analysis --------------------------------------------------------------------- */
typedef struct Field {
    uint8_t pos, len, reg;
} Field;

typedef struct FPat {
    const A64Pattern *p;
    bool ldst;                /* SIMD&FP load/store: base X28, small offsets */
    int nfields;
    Field f[MAX_FIELDS];
} FPat;

static FPat *fpats;
static int nfpats;
static csh cs;
static bool ldst_mode;        /* the ldst_simd group is selected: scratch areas, X28 reserved */

#define NSLOTS ((int)(sizeof(A64Args) / sizeof(int64_t)))

static int decode(uint32_t insn, int64_t *slots)
{
    A64Args a;
    memset(&a, 0, sizeof a);
    int op = a64_decode_args(insn, &a);
    memcpy(slots, &a, sizeof a);
    return op;
}

/* g is one of the comma-separated names in list */
static bool in_list(const char *list, const char *g)
{
    size_t n = strlen(g);
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == n && !strncmp(s, g, n))
            return true;
        if (!e)
            break;
        s = e + 1;
    }
    return false;
}

static bool group_selected(const char *g)
{
    return in_list(opt_groups, g);
}

static bool pattern_fuzzable(const A64Pattern *p)
{
#ifdef A64_ATTR_NOFUZZ
    if (p->attrs & A64_ATTR_NOFUZZ)
        return false;
#endif
    return group_selected(p->group);
}

static bool analyse_pattern(const A64Pattern *p, FPat *fp, Rng *r)
{
    int64_t s0[NSLOTS], s1[NSLOTS];
    uint32_t base = 0;
    int i;
    for (i = 0; i < 4096; i++) {
        base = p->match | ((uint32_t)rng_next(r) & ~p->mask);
        if (i == 0)
            base = p->match;
        if (decode(base, s0) == p->op)
            break;
    }
    if (i == 4096)
        return false;
    int owner[32];
    for (int b = 0; b < 32; b++) {
        owner[b] = -1;
        if (p->mask & (1u << b))
            continue;
        if (decode(base ^ (1u << b), s1) != p->op)
            continue;
        for (int k = 0; k < NSLOTS; k++)
            if (s0[k] != s1[k]) {
                owner[b] = k;
                break;
            }
    }
    fp->p = p;
    fp->ldst = !strcmp(p->group, "ldst_simd");
    fp->nfields = 0;
    for (int b = 0; b < 32;) {
        if (owner[b] < 0) {
            b++;
            continue;
        }
        int e = b;
        while (e + 1 < 32 && owner[e + 1] == owner[b])
            e++;
        if (fp->nfields < MAX_FIELDS) {
            Field *f = &fp->f[fp->nfields++];
            f->pos = (uint8_t)b;
            f->len = (uint8_t)(e - b + 1);
            f->reg = f->len == 5 && (b == 0 || b == 5 || b == 10 || b == 16);
        }
        b = e + 1;
    }
    return true;
}

/* Every group named by --groups must exist in the tables (a typo would test nothing). */
static bool groups_known(void)
{
    const char *s = opt_groups;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        bool found = false;
        for (int i = 0; i < a64_npatterns && !found; i++)
            found = strlen(a64_patterns[i].group) == l && !strncmp(a64_patterns[i].group, s, l);
        if (!found) {
            fprintf(stderr, "difftest: unknown group '%.*s' (the groups are the names of "
                            "cpu/arm64/decode/*.decode)\n", (int)l, s);
            return false;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return true;
}

static int collect_patterns(void)
{
    Rng r = { 0x5eed };
    fpats = calloc((size_t)a64_npatterns, sizeof *fpats);
    for (int i = 0; i < a64_npatterns; i++) {
        const A64Pattern *p = &a64_patterns[i];
        if (!pattern_fuzzable(p))
            continue;
        if (analyse_pattern(p, &fpats[nfpats], &r))
            nfpats++;
        else if (opt_verbose)
            fprintf(stderr, "difftest: pattern %s never decodes to itself, dropped\n", p->name);
    }
    return nfpats;
}

/* ---- random instances ---------------------------------------------------------------------- */
static uint64_t pick_imm(Rng *r, int len)
{
    uint64_t ones = len >= 64 ? ~0ULL : (1ULL << len) - 1;
    uint64_t top = 1ULL << (len - 1);
    switch (rng_below(r, 20)) {
    case 0: case 1: return 0;
    case 2: case 3: return ones;
    case 4: return 1;
    case 5: return top;
    case 6: return top - 1;
    case 7: return ones - 1;
    case 8: return len > 1 ? 2 : 1;
    case 9: return top + 1;
    default: return rng_next(r) & ones;
    }
}

static uint32_t pick_reg(Rng *r, const uint8_t *hot)
{
    uint32_t k = rng_below(r, 16);
    if (k < 8)
        return hot[k & 3];
    if (k < 10)
        return 31;
    uint32_t v;
    do
        v = rng_below(r, 31);
    while (ldst_mode && v == LDST_BASE);
    return v;
}

/* Fields of the SIMD&FP load/store patterns: Rn (bits 5..9) is the scratch base X28, Rm
 * (bits 16..20) is 31 (XZR for register offsets, the immediate form of structure
 * post-indexing), offsets are small: an unsigned 12-bit offset below 64 (at most 1008 bytes
 * scaled), signed ones within [-32, 31] (pairs: 512 bytes scaled; literals: 128 bytes, inside
 * the slot's own prologue, sequence and epilogue). A sequence of L such instructions moves
 * the base by less than L KiB (see scratch_bytes()). */
static uint64_t pick_ldst_field(Rng *r, const Field *f, const uint8_t *hot)
{
    if (f->reg && f->pos == 5)
        return LDST_BASE;
    if (f->reg && f->pos == 16)
        return 31;
    if (f->reg)
        return pick_reg(r, hot);
    if (f->len == 12)
        return rng_below(r, 64);
    if (f->len >= 7)
        return (uint64_t)((int64_t)rng_below(r, 64) - 32) & ((1ULL << f->len) - 1);
    return pick_imm(r, f->len);
}

static bool cs_ok(uint32_t insn)
{
    if (opt_no_cs_filter)
        return true;
    cs_insn *ci;
    uint8_t bytes[4] = { insn & 0xff, (insn >> 8) & 0xff, (insn >> 16) & 0xff, insn >> 24 };
    size_t n = cs_disasm(cs, bytes, 4, IMG_BASE, 1, &ci);
    if (n)
        cs_free(ci, n);
    return n == 1;
}

static bool acceptable(uint32_t insn, int op)
{
    A64Args a;
    memset(&a, 0, sizeof a);
    if (a64_decode_args(insn, &a) != op)
        return false;
    A64Insn d;
    memset(&d, 0, sizeof d);
    d.raw = insn;
    d.op = (uint16_t)op;
    if (!a64_prep_op(op, &d, &a))
        return false;
    /* Writes to SP are allowed: after the prologue nothing addresses memory through SP
     * (the epilogue reads it with MOV X1, SP), so any value, aligned or not, is safe. */
    return cs_ok(insn);
}

static uint32_t gen_insn(Rng *r, const uint8_t *hot)
{
    for (;;) {
        const FPat *fp = &fpats[rng_below(r, (uint32_t)nfpats)];
        for (int tries = 0; tries < 64; tries++) {
            uint32_t insn = fp->p->match | ((uint32_t)rng_next(r) & ~fp->p->mask);
            for (int i = 0; i < fp->nfields; i++) {
                const Field *f = &fp->f[i];
                uint32_t fm = (uint32_t)(((1ULL << f->len) - 1) << f->pos);
                uint64_t v = fp->ldst ? pick_ldst_field(r, f, hot)
                                      : f->reg ? pick_reg(r, hot) : pick_imm(r, f->len);
                insn = (insn & ~fm) | ((uint32_t)(v << f->pos) & fm);
            }
            if (acceptable(insn, fp->p->op))
                return insn;
        }
    }
}

static const uint64_t interesting[] = {
    0, 1, ~0ULL, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x7fffffffffffffffULL,
    0x8000000000000000ULL, 0x100000000ULL, 2, 0xfffffffeULL, 0x80000001ULL, 0x7ffffffeULL,
    0xffffffff80000000ULL, 0xffffffff7fffffffULL, 0x8000000000000001ULL, 0x7ffffffffffffffeULL,
    31, 32, 63, 64, 0xffffffff00000000ULL, 0x00000000ffff0000ULL, 0x5555555555555555ULL,
    0xaaaaaaaaaaaaaaaaULL, 0xfffffffffffffffeULL,
};

static uint64_t gen_value(Rng *r)
{
    switch (rng_below(r, 16)) {
    case 0: case 1: case 2: case 3: case 4:
        return interesting[rng_below(r, sizeof interesting / sizeof interesting[0])];
    case 5: return rng_below(r, 17);
    case 6: return (uint64_t)-(int64_t)(1 + rng_below(r, 16));
    case 7: return (uint32_t)rng_next(r);
    case 8: return 0xffffffff00000000ULL | (uint32_t)rng_next(r);
    case 9: return 1ULL << rng_below(r, 64);
    case 10: return (1ULL << rng_below(r, 64)) - 1;
    case 11: return (uint64_t)(int64_t)(int32_t)rng_next(r);
    default: return rng_next(r);
    }
}

/* SIMD&FP inputs, per lane size (half, single, double): NaNs (quiet, signalling, with
 * payloads, both signs), infinities, zeros of both signs, the smallest and largest
 * denormals and normals, small integers and halves (round-to-integral ties), values at the
 * integer conversion limits, and pairs whose sum or product is a rounding tie: 1 + 2^-p
 * (half an ulp of 1.0) added to 1.0 or to 1 + ulp, and 1.5 times 1 + ulp (1.5 + 1.5 ulp). */
static const uint16_t fp_h[] = {
    0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7e55, 0x7c01, 0xfc01, 0x7d55, 0x7fff,
    0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x7bff, 0xfbff, 0x3c00, 0xbc00, 0x3c01,
    0x3e00, 0xbe00, 0x3800, 0x4100, 0xc100, 0x4000, 0x4200, 0x1000, 0x1400, 0x9000, 0x3bff,
    0x7800, 0x5bff, 0x0200,
};
static const uint32_t fp_s[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345,
    0x7f800001, 0xff800001, 0x7fa00000, 0x7fffffff, 0x00000001, 0x80000001, 0x007fffff,
    0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000,
    0x3f800001, 0x3fc00000, 0xbfc00000, 0x3f000000, 0x40200000, 0xc0200000, 0x40000000,
    0x40400000, 0x33800000, 0x34000000, 0xb3800000, 0x3f7fffff, 0x4f000000, 0xcf000000,
    0x4effffff, 0x5f000000, 0x4f800000, 0x47800000, 0x477fe000, 0x38800000, 0x33000000,
};
static const uint64_t fp_d[] = {
    0x0000000000000000ULL, 0x8000000000000000ULL, 0x7ff0000000000000ULL, 0xfff0000000000000ULL,
    0x7ff8000000000000ULL, 0xfff8000000000000ULL, 0x7ff8000012345678ULL, 0x7ff0000000000001ULL,
    0xfff0000000000001ULL, 0x7ff4000000000000ULL, 0x7fffffffffffffffULL, 0x0000000000000001ULL,
    0x8000000000000001ULL, 0x000fffffffffffffULL, 0x800fffffffffffffULL, 0x0010000000000000ULL,
    0x8010000000000000ULL, 0x7fefffffffffffffULL, 0xffefffffffffffffULL, 0x3ff0000000000000ULL,
    0xbff0000000000000ULL, 0x3ff0000000000001ULL, 0x3ff8000000000000ULL, 0xbff8000000000000ULL,
    0x3fe0000000000000ULL, 0x4004000000000000ULL, 0xc004000000000000ULL, 0x4000000000000000ULL,
    0x4008000000000000ULL, 0x3ca0000000000000ULL, 0x3cb0000000000000ULL, 0xbca0000000000000ULL,
    0x3fefffffffffffffULL, 0x41dfffffffc00000ULL, 0xc1e0000000000000ULL, 0x43e0000000000000ULL,
    0xc3e0000000000000ULL, 0x43dfffffffffffffULL, 0x41f0000000000000ULL, 0x47efffffe0000000ULL,
    0x3810000000000000ULL, 0x36a0000000000000ULL, 0x40effc0000000000ULL,
};
#define NELEM(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* One lane of 2^lg bytes (1: half, 2: single, 3: double): mostly interesting values,
 * sometimes random bits or a small random perturbation of an interesting value. */
static uint64_t gen_fp_lane(Rng *r, int lg)
{
    uint64_t v;
    switch (lg) {
    case 1: v = fp_h[rng_below(r, NELEM(fp_h))]; break;
    case 2: v = fp_s[rng_below(r, NELEM(fp_s))]; break;
    default: v = fp_d[rng_below(r, NELEM(fp_d))]; break;
    }
    uint64_t mask = lg == 3 ? ~0ULL : (1ULL << (8 << lg)) - 1;
    switch (rng_below(r, 8)) {
    case 0: return rng_next(r) & mask;
    case 1: return (v + rng_below(r, 5) - 2) & mask;    /* neighbours: ulps either side */
    case 2: return (v ^ ((uint64_t)1 << ((8 << lg) - 1))) & mask;   /* other sign */
    default: return v;
    }
}

/* One V register: random bits, integer-like values, or lanes of one FP size. */
static void gen_vreg(Rng *r, uint64_t *lohi)
{
    uint32_t k = rng_below(r, 10);
    if (k == 0) {
        lohi[0] = rng_next(r);
        lohi[1] = rng_next(r);
        return;
    }
    if (k == 1) {
        lohi[0] = gen_value(r);
        lohi[1] = gen_value(r);
        return;
    }
    int lg = 1 + (int)(k % 3);
    for (int half = 0; half < 2; half++) {
        uint64_t v = 0;
        for (int b = 0; b < 64; b += 8 << lg)
            v |= gen_fp_lane(r, lg) << b;
        lohi[half] = v;
    }
}

/* FPCR: a random mode per sequence (RMode, FZ, DN, AHP; FZ16 is RES0 on every hvsim model,
 * which lacks FEAT_FP16, while QEMU's max keeps it), the trap enables 0; one
 * sequence in four runs in the default mode. FPSR: the cumulative flags (IOC, DZC, OFC, UFC,
 * IXC, IDC, QC) random, or 0. */
static uint64_t gen_fpcr(Rng *r)
{
    if (rng_below(r, 4) == 0)
        return 0;
    uint64_t v = (uint64_t)rng_below(r, 4) << 22;       /* RMode */
    if (rng_below(r, 2)) v |= 1ULL << 24;               /* FZ */
    if (rng_below(r, 2)) v |= 1ULL << 25;               /* DN */
    if (rng_below(r, 3) == 0) v |= 1ULL << 26;          /* AHP */
    return v;
}

static uint64_t gen_fpsr(Rng *r)
{
    if (rng_below(r, 2))
        return 0;
    return (rng_next(r) & 0x9fULL) | (rng_below(r, 2) ? 1ULL << 27 : 0);
}

/* ---- sequences ---------------------------------------------------------------------------- */
typedef struct Seq {
    long index;
    int len;
    uint32_t insn[MAX_LEN];
    uint64_t in[REC_WORDS];
    /* results */
    uint64_t qemu[REC_WORDS];
    int state;                /* 0 = pending, 1 = qemu ok, 2 = skipped */
    char skip_why[512];
} Seq;

static void gen_seq(Seq *s, long index)
{
    Rng r = { opt_seed * 0x2545f4914f6cdd1dULL ^ ((uint64_t)index * 0x9e3779b97f4a7c15ULL) };
    rng_next(&r);
    uint8_t hot[4];
    for (int i = 0; i < 4; i++)
        do
            hot[i] = (uint8_t)rng_below(&r, 31);
        while (ldst_mode && hot[i] == LDST_BASE);
    memset(s, 0, sizeof *s);
    s->index = index;
    s->len = opt_len;
    for (int i = 0; i < REC_PAD; i++)
        s->in[i] = gen_value(&r);
    s->in[REC_NZCV] = (uint64_t)rng_below(&r, 16) << 28;
    s->in[REC_PAD] = 0;
    for (int i = 0; i < 32; i++)
        gen_vreg(&r, &s->in[REC_V + 2 * i]);
    s->in[REC_FPCR] = gen_fpcr(&r);
    s->in[REC_FPSR] = gen_fpsr(&r);
    for (int i = 0; i < s->len; i++)
        s->insn[i] = gen_insn(&r, hot);
}

/* ---- A64 encoders for the harness ------------------------------------------------------------ */
static uint32_t enc_adr(int rd, int64_t off)
{
    return 0x10000000u | ((uint32_t)(off & 3) << 29) | ((uint32_t)((off >> 2) & 0x7ffff) << 5) |
           (uint32_t)rd;
}
static uint32_t enc_add_imm0(int rd, int rn) { return 0x91000000u | (uint32_t)(rn << 5) | (uint32_t)rd; }
static uint32_t enc_ldr(int rt, int rn, int off) { return 0xf9400000u | (uint32_t)((off / 8) << 10) | (uint32_t)(rn << 5) | (uint32_t)rt; }
static uint32_t enc_str(int rt, int rn, int off) { return 0xf9000000u | (uint32_t)((off / 8) << 10) | (uint32_t)(rn << 5) | (uint32_t)rt; }
static uint32_t enc_ldp_post(int rt, int rt2, int rn, int off)
{
    return 0xa8c00000u | ((uint32_t)((off / 8) & 0x7f) << 15) | (uint32_t)(rt2 << 10) | (uint32_t)(rn << 5) | (uint32_t)rt;
}
static uint32_t enc_stp(int rt, int rt2, int rn, int off)
{
    return 0xa9000000u | ((uint32_t)((off / 8) & 0x7f) << 15) | (uint32_t)(rt2 << 10) | (uint32_t)(rn << 5) | (uint32_t)rt;
}
static uint32_t enc_movz(int rd, uint32_t imm16, int hw) { return 0xd2800000u | (uint32_t)(hw << 21) | (imm16 << 5) | (uint32_t)rd; }
static uint32_t enc_movk(int rd, uint32_t imm16, int hw) { return 0xf2800000u | (uint32_t)(hw << 21) | (imm16 << 5) | (uint32_t)rd; }
static uint32_t enc_b(int64_t off) { return 0x14000000u | ((uint32_t)(off >> 2) & 0x3ffffff); }
/* LDP/STP Qt, Qt2, [Xn], #off (post-index; off a multiple of 16) */
static uint32_t enc_ldp_q_post(int rt, int rt2, int rn, int off)
{
    return 0xacc00000u | ((uint32_t)((off / 16) & 0x7f) << 15) | (uint32_t)(rt2 << 10) | (uint32_t)(rn << 5) | (uint32_t)rt;
}
static uint32_t enc_stp_q_post(int rt, int rt2, int rn, int off)
{
    return 0xac800000u | ((uint32_t)((off / 16) & 0x7f) << 15) | (uint32_t)(rt2 << 10) | (uint32_t)(rn << 5) | (uint32_t)rt;
}
#define MSR_NZCV(rt) (0xd51b4200u | (uint32_t)(rt))
#define MSR_FPCR(rt) (0xd51b4400u | (uint32_t)(rt))
#define MRS_FPCR(rt) (0xd53b4400u | (uint32_t)(rt))
#define MSR_FPSR(rt) (0xd51b4420u | (uint32_t)(rt))
#define MRS_FPSR(rt) (0xd53b4420u | (uint32_t)(rt))
#define MRS_NZCV(rt) (0xd53b4200u | (uint32_t)(rt))
#define MSR_TPIDR(rt) (0xd51bd040u | (uint32_t)(rt))
#define MRS_TPIDR(rt) (0xd53bd040u | (uint32_t)(rt))
#define SVC0 0xd4000001u

/* ---- images -------------------------------------------------------------------------------- */
typedef struct Image {
    uint8_t *buf;
    size_t size;              /* bytes from IMG_BASE */
    int nslots;
    uint32_t slot_bytes;
    uint64_t data_off;        /* offset of the input records */
    uint64_t out_off;         /* offset of the output records */
    uint64_t scratch_off;     /* offset of the scratch areas (right after the output records,
                               * so one write() returns both) */
    uint32_t scratch_bytes;   /* per slot; 0 unless the ldst_simd group is selected */
} Image;

static uint64_t slot_code(const Image *im, int k) { return (uint64_t)k * im->slot_bytes; }
static uint64_t slot_seq(const Image *im, int k) { return slot_code(im, k) + PROLOGUE_INSNS * 4; }
static uint64_t slot_in(const Image *im, int k) { return im->data_off + (uint64_t)k * REC_BYTES; }
static uint64_t slot_out(const Image *im, int k) { return im->out_off + (uint64_t)k * REC_BYTES; }
static uint64_t slot_scratch(const Image *im, int k) { return im->scratch_off + (uint64_t)k * im->scratch_bytes; }

/* Scratch area per slot: X28 starts in its middle and each load/store moves it by at most
 * 512 bytes (pairs) and reaches at most 1008 + 64 bytes beyond it, so L instructions stay
 * within L KiB + 2 KiB either side. */
static uint32_t scratch_bytes(int len)
{
    return ldst_mode ? (uint32_t)(((uint64_t)len * 1024 + 2048) * 2 + 4095) & ~4095u : 0;
}
/* Bytes QEMU writes at the end: the output records and the scratch areas. */
static size_t result_bytes(const Image *im)
{
    return (size_t)im->nslots * (REC_BYTES + im->scratch_bytes);
}

static void put32(Image *im, uint64_t off, uint32_t v) { memcpy(im->buf + off, &v, 4); }
/* Appends v at instruction n of the code at pc (v is evaluated before n moves on). */
static void emit(Image *im, uint64_t pc, int *n, uint32_t v)
{
    put32(im, pc + (uint64_t)*n * 4, v);
    (*n)++;
}

/* Layout for nslots slots of sequences of `len` instructions. */
static void image_layout(Image *im, int nslots, int len)
{
    memset(im, 0, sizeof *im);
    im->nslots = nslots;
    im->slot_bytes = (uint32_t)((PROLOGUE_INSNS + len + EPILOGUE_INSNS + 1) * 4 + 15) & ~15u;
    uint64_t code_end = (uint64_t)nslots * im->slot_bytes + 16 * 4;
    im->data_off = (code_end + 4095) & ~4095ULL;
    im->out_off = im->data_off + (uint64_t)nslots * REC_BYTES;
    im->scratch_off = im->out_off + (uint64_t)nslots * REC_BYTES;
    im->scratch_bytes = scratch_bytes(len);
    im->size = (im->scratch_off + (uint64_t)nslots * im->scratch_bytes + 4095) & ~4095ULL;
    im->buf = malloc(im->size);
    memset(im->buf, 0, im->out_off);
    memset(im->buf + im->out_off, POISON, im->size - im->out_off);
}

/* The scratch area's first contents, from (seed, index): SIMD&FP values like the registers'. */
static void fill_scratch(uint8_t *p, uint32_t bytes, long index)
{
    Rng r = { opt_seed * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)index * 0x2545f4914f6cdd1dULL) ^ 0x5c7a7c4ULL };
    for (uint32_t off = 0; off < bytes; off += 16)
        gen_vreg(&r, (uint64_t *)(void *)(p + off));
}

/* Writes sequence s into slot k; the slot's code ends with a branch to slot `next` (or the
 * tail when next == nslots). */
static void image_put(Image *im, int k, Seq *s, int next)
{
    uint64_t pc = slot_code(im, k), in = slot_in(im, k), out = slot_out(im, k);
    int n = 0;
#define EMIT(v) emit(im, pc, &n, (v))
#define HERE (pc + (uint64_t)n * 4)
    EMIT(enc_adr(0, (int64_t)(in + REC_V * 8 - HERE)));
    for (int v = 0; v < 32; v += 2)
        EMIT(enc_ldp_q_post(v, v + 1, 0, 32));
    EMIT(enc_ldr(1, 0, 0));                     /* x0 = &in[REC_FPCR] now */
    EMIT(MSR_FPCR(1));
    EMIT(enc_ldr(1, 0, 8));
    EMIT(MSR_FPSR(1));
    EMIT(enc_adr(0, (int64_t)(in - HERE)));
    EMIT(enc_add_imm0(31, 0));                  /* mov sp, x0 */
    EMIT(enc_ldr(1, 31, REC_NZCV * 8));
    EMIT(MSR_NZCV(1));
    for (int r = 0; r < 30; r += 2)
        EMIT(enc_ldp_post(r, r + 1, 31, 16));   /* sp = in + 240 afterwards */
    EMIT(enc_ldr(30, 31, (REC_SP - 30) * 8));
    EMIT(enc_add_imm0(31, 30));                 /* mov sp, x30 */
    EMIT(enc_adr(30, (int64_t)(in + 30 * 8 - HERE)));
    EMIT(enc_ldr(30, 30, 0));
    if (n != PROLOGUE_INSNS)
        abort();
    for (int i = 0; i < s->len; i++)
        EMIT(s->insn[i]);
    EMIT(MSR_TPIDR(0));
    EMIT(enc_adr(0, (int64_t)(out - HERE)));
    for (int r = 1; r < 31; r += 2)
        EMIT(enc_stp(r, r + 1, 0, r * 8));
    EMIT(MRS_TPIDR(1));
    EMIT(enc_str(1, 0, 0));
    EMIT(MRS_NZCV(1));
    EMIT(enc_str(1, 0, REC_NZCV * 8));
    EMIT(enc_add_imm0(1, 31));                  /* mov x1, sp */
    EMIT(enc_str(1, 0, REC_SP * 8));
    EMIT(0x91000000u | (REC_V * 8) << 10 | 0 << 5 | 1);   /* add x1, x0, #REC_V*8 */
    for (int v = 0; v < 32; v += 2)
        EMIT(enc_stp_q_post(v, v + 1, 1, 32));
    EMIT(MRS_FPCR(2));
    EMIT(enc_str(2, 1, 0));
    EMIT(MRS_FPSR(2));
    EMIT(enc_str(2, 1, 8));
    if (n != PROLOGUE_INSNS + s->len + EPILOGUE_INSNS)
        abort();
    EMIT(enc_b((int64_t)(slot_code(im, next) - HERE)));
#undef EMIT
#undef HERE
    if (im->scratch_bytes) {
        s->in[LDST_BASE] = IMG_BASE + slot_scratch(im, k) + im->scratch_bytes / 2;
        fill_scratch(im->buf + slot_scratch(im, k), im->scratch_bytes, s->index);
    }
    memcpy(im->buf + in, s->in, REC_BYTES);
}

static void image_tail(Image *im)
{
    uint64_t pc = slot_code(im, im->nslots);
    uint64_t len = result_bytes(im);
    int n = 0;
#define EMIT(v) emit(im, pc, &n, (v))
    EMIT(enc_movz(0, 1, 0));
    EMIT(enc_adr(1, (int64_t)(im->out_off - (pc + (uint64_t)n * 4))));
    EMIT(enc_movz(2, (uint32_t)(len & 0xffff), 0));
    EMIT(enc_movk(2, (uint32_t)((len >> 16) & 0xffff), 1));
    EMIT(enc_movz(8, 64, 0));
    EMIT(SVC0);
    EMIT(enc_movz(0, 0, 0));
    EMIT(enc_movz(8, 94, 0));
    EMIT(SVC0);
#undef EMIT
}

/* Builds the image of the slots listed in use[] (others stay empty and are jumped over). */
static void image_build(Image *im, Seq **seqs, const int *use, int nuse, int nslots)
{
    image_layout(im, nslots, opt_len);
    for (int i = 0; i < nuse; i++)
        image_put(im, use[i], seqs[use[i]], i + 1 < nuse ? use[i + 1] : nslots);
    image_tail(im);
    if (nuse == 0 || use[0] != 0)   /* entry at slot 0: jump to the first used slot */
        put32(im, 0, enc_b((int64_t)slot_code(im, nuse ? use[0] : nslots)));
}

static bool write_elf(const Image *im, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
    if (fd < 0)
        return false;
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    memset(&eh, 0, sizeof eh);
    memset(&ph, 0, sizeof ph);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_AARCH64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = IMG_BASE;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof ph;
    eh.e_phnum = 1;
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_W | PF_X;
    ph.p_offset = ELF_DATA_OFF;
    ph.p_vaddr = ph.p_paddr = IMG_BASE;
    ph.p_filesz = ph.p_memsz = im->size;
    ph.p_align = 0x10000;
    bool ok = pwrite(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
              pwrite(fd, &ph, sizeof ph, sizeof eh) == (ssize_t)sizeof ph &&
              pwrite(fd, im->buf, im->size, ELF_DATA_OFF) == (ssize_t)im->size;
    return close(fd) == 0 && ok;
}

/* ---- QEMU ------------------------------------------------------------------------------------ */
static char elf_path[256];
static long qemu_runs;

/* Runs the ELF; returns 0 and fills out (want bytes) on success, else -1 with why[] set. */
static int run_qemu(const Image *im, uint8_t *out, size_t want, char *why, size_t whylen)
{
    if (!write_elf(im, elf_path)) {
        snprintf(why, whylen, "cannot write %s: %s", elf_path, strerror(errno));
        return -1;
    }
    int pfd[2];
    if (pipe(pfd) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);   /* qemu-user writes guest core files otherwise */
        struct rlimit cpu = { 60, 60 };
        setrlimit(RLIMIT_CPU, &cpu);
        dup2(pfd[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && !opt_verbose)
            dup2(devnull, 2);
        close(pfd[0]);
        close(pfd[1]);
        execlp(opt_qemu, opt_qemu, "-cpu", opt_cpu ? opt_cpu : "max", elf_path, (char *)NULL);
        _exit(127);
    }
    qemu_runs++;
    close(pfd[1]);
    size_t got = 0;
    uint8_t junk[4096];
    for (;;) {
        ssize_t k;
        if (got < want)
            k = read(pfd[0], out + got, want - got);
        else
            k = read(pfd[0], junk, sizeof junk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(st)) {
        snprintf(why, whylen, "qemu killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
        return -1;
    }
    if (WEXITSTATUS(st) != 0) {
        snprintf(why, whylen, "qemu exit status %d", WEXITSTATUS(st));
        return -1;
    }
    if (got != want) {
        snprintf(why, whylen, "qemu wrote %zu bytes, want %zu", got, want);
        return -1;
    }
    return 0;
}

static bool qemu_available(void)
{
    if (strchr(opt_qemu, '/'))
        return access(opt_qemu, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[4096];
    while (*path) {
        const char *e = strchr(path, ':');
        size_t l = e ? (size_t)(e - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)l, path, opt_qemu);
        if (l && access(buf, X_OK) == 0)
            return true;
        if (!e)
            break;
        path = e + 1;
    }
    return false;
}

static void disas(uint32_t insn, uint64_t pc, char *buf, size_t len)
{
    a64_disas(insn, pc, buf, len);
}

/* Finds which single instruction of s makes QEMU die (each alone, same inputs). */
static void find_culprit_insn(Seq *s, int nslots)
{
    static Seq one;
    char why[400];
    for (int i = 0; i < s->len; i++) {
        Seq *arr[1] = { &one };
        memset(&one, 0, sizeof one);
        one.len = 1;
        one.insn[0] = s->insn[i];
        memcpy(one.in, s->in, sizeof one.in);
        int saved = opt_len;
        opt_len = 1;
        Image im;
        int use[1] = { 0 };
        image_build(&im, arr, use, 1, 1);
        opt_len = saved;
        size_t want = result_bytes(&im);
        uint8_t *out = malloc(want);
        int rc = run_qemu(&im, out, want, why, sizeof why);
        free(out);
        free(im.buf);
        if (rc < 0) {
            char d[96];
            disas(s->insn[i], IMG_BASE + slot_seq(&(Image){ .slot_bytes = 0 }, 0), d, sizeof d);
            snprintf(s->skip_why, sizeof s->skip_why, "%s on %08x %s", why, s->insn[i], d);
            return;
        }
    }
    (void)nslots;
}

/* QEMU's scratch areas of the batch's slots (ldst_simd), slot k at k * scratch_bytes. */
static uint8_t *batch_scratch;

/* Runs the slots use[0..nuse) of a batch of nslots on QEMU, bisecting when QEMU dies. */
static void qemu_slots(Seq **seqs, const int *use, int nuse, int nslots)
{
    Image im;
    char why[400];
    image_build(&im, seqs, use, nuse, nslots);
    size_t want = result_bytes(&im);
    uint8_t *out = malloc(want);
    int rc = run_qemu(&im, out, want, why, sizeof why);
    if (rc == 0) {
        uint8_t *scratch = out + (size_t)nslots * REC_BYTES;
        for (int i = 0; i < nuse; i++) {
            Seq *s = seqs[use[i]];
            memcpy(s->qemu, out + (uint64_t)use[i] * REC_BYTES, REC_BYTES);
            memcpy(batch_scratch + (size_t)use[i] * im.scratch_bytes,
                   scratch + (size_t)use[i] * im.scratch_bytes, im.scratch_bytes);
            s->state = 1;
        }
    }
    if (opt_keep && nuse == nslots) {
        write_elf(&im, opt_keep);
        opt_keep = NULL;
    }
    free(out);
    free(im.buf);
    if (rc == 0)
        return;
    if (nuse == 1) {
        Seq *s = seqs[use[0]];
        s->state = 2;
        snprintf(s->skip_why, sizeof s->skip_why, "%s", why);
        find_culprit_insn(s, nslots);
        return;
    }
    qemu_slots(seqs, use, nuse / 2, nslots);
    qemu_slots(seqs, use + nuse / 2, nuse - nuse / 2, nslots);
}

/* ---- hvsim --------------------------------------------------------------------------------- */
static Machine *hv_m;
static Arm64Cpu *hv_c;

static void hv_init(void)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = RAM_SIZE;
    if (opt_cpu) {
        g_free(cfg.cpu_model);
        cfg.cpu_model = g_strdup(opt_cpu);
    }
    char *err = NULL;
    hv_m = machine_new(&cfg, IMG_BASE, &err);
    machine_config_free(&cfg);
    if (!hv_m) {
        fprintf(stderr, "difftest: machine_new: %s\n", err ? err : "?");
        exit(1);
    }
    hv_m->out = stdout;
    hv_c = a64_cpu_new(hv_m, 0);
    machine_add_cpu(hv_m, hv_c, &a64_cpu_class);
    a64_cpu_reset(hv_c, IMG_BASE, 1);
    /* CPACR_EL1.FPEN = 0b11: SIMD&FP at EL1 untrapped, as qemu-user runs EL0 code */
    hv_c->sys[A64_SYS_CPACR_EL1] |= 3ULL << 20;
}

static void hv_load(const Image *im)
{
    memcpy(hv_m->ram, im->buf, im->size);
    for (uint64_t off = 0; off < im->size; off += A64_PAGE_SIZE)
        a64_invalidate_code_page(hv_m, IMG_BASE + off);
}

/* Runs slot k; returns the exit code and copies the output record. */
static int hv_run_slot(const Image *im, int k, const Seq *s, uint64_t *out, char *msg, size_t msglen)
{
    hv_c->pc = IMG_BASE + slot_code(im, k);
    hv_c->halted = 0;
    hv_c->powered = 1;
    hv_m->stop = false;
    hv_m->exit_code = 0;
    hv_m->stop_msg[0] = 0;
    hv_m->cfg.max_insns = machine_icount(hv_m) + PROLOGUE_INSNS + (uint64_t)s->len + EPILOGUE_INSNS;
    int rc = machine_run(hv_m);
    memcpy(out, hv_m->ram + slot_out(im, k), REC_BYTES);
    if (rc == 0 && im->scratch_bytes) {
        const uint8_t *hv = hv_m->ram + slot_scratch(im, k);
        const uint8_t *q = batch_scratch + (size_t)k * im->scratch_bytes;
        for (uint32_t off = 0; off < im->scratch_bytes; off++)
            if (hv[off] != q[off]) {
                int64_t rel = (int64_t)off - (int64_t)(im->scratch_bytes / 2);
                snprintf(msg, msglen, "scratch memory differs first at x28%+" PRId64 " (initial "
                         "x28): qemu=%02x hvsim=%02x", rel, q[off], hv[off]);
                return -1;
            }
    }
    if (rc != 0) {
        uint64_t pc = hv_c->pc, seq = IMG_BASE + slot_seq(im, k);
        const char *where = pc >= seq && pc < seq + 4 * (uint64_t)s->len ? "in the sequence"
                                                                           : "in the harness code";
        snprintf(msg, msglen, "hvsim stopped with exit code %d at PC 0x%" PRIx64 " (%s): %s", rc,
                 pc, where, hv_m->stop_msg[0] ? hv_m->stop_msg : "(no message)");
    }
    return rc;
}

/* ---- reporting ----------------------------------------------------------------------------- */
static long npass, nfail, nskip, nreported;

/* Names of the general words of a record (V registers are printed as 128-bit values). */
static const char *reg_name(int i, char *buf)
{
    if (i < 31)
        sprintf(buf, "x%d", i);
    else if (i == REC_NZCV)
        strcpy(buf, "nzcv");
    else if (i == REC_SP)
        strcpy(buf, "sp");
    else if (i == REC_FPCR)
        strcpy(buf, "fpcr");
    else
        strcpy(buf, "fpsr");
    return buf;
}

static bool vreg_differs(const uint64_t *a, const uint64_t *b, int v)
{
    return a[REC_V + 2 * v] != b[REC_V + 2 * v] || a[REC_V + 2 * v + 1] != b[REC_V + 2 * v + 1];
}

/* The words compared: everything but the pad word. */
static bool record_differs(const uint64_t *a, const uint64_t *b)
{
    for (int i = 0; i < REC_WORDS; i++)
        if (i != REC_PAD && a[i] != b[i])
            return true;
    return false;
}

#define V128(r, v) (r)[REC_V + 2 * (v) + 1], (r)[REC_V + 2 * (v)]

static void print_seq(const Image *im, int k, const Seq *s)
{
    uint64_t pc = IMG_BASE + slot_seq(im, k);
    for (int i = 0; i < s->len; i++) {
        char d[128];
        disas(s->insn[i], pc + 4 * (uint64_t)i, d, sizeof d);
        printf("    %08" PRIx64 ": %08x  %s\n", pc + 4 * (uint64_t)i, s->insn[i], d);
    }
}

static void report(const Image *im, int k, const Seq *s, const uint64_t *hv, const char *msg)
{
    nfail++;
    if (nreported++ >= opt_max_report) {
        if (nreported == opt_max_report + 1)
            printf("difftest: (further failures not shown; --max-report N)\n");
        return;
    }
    printf("FAIL seed=%" PRIu64 " index=%ld (rerun: --seed %" PRIu64 " --index %ld --len %d)\n",
           opt_seed, s->index, opt_seed, s->index, s->len);
    if (msg)
        printf("  %s\n", msg);
    static const int words[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, REC_NZCV,
                                 REC_SP, REC_FPCR, REC_FPSR };
    const int nwords = (int)(sizeof words / sizeof words[0]);
    for (int j = 0; j < nwords; j++) {
        int i = words[j];
        if (s->qemu[i] != hv[i]) {
            char nb[8];
            printf("  differs: %s qemu=0x%016" PRIx64 " hvsim=0x%016" PRIx64 "\n",
                   reg_name(i, nb), s->qemu[i], hv[i]);
        }
    }
    for (int v = 0; v < 32; v++)
        if (vreg_differs(s->qemu, hv, v))
            printf("  differs: v%d qemu=0x%016" PRIx64 "%016" PRIx64 " hvsim=0x%016" PRIx64
                   "%016" PRIx64 "\n", v, V128(s->qemu, v), V128(hv, v));
    print_seq(im, k, s);
    printf("    %-5s %-18s   %-18s   %-18s\n", "reg", "input", "qemu", "hvsim");
    for (int j = 0; j < nwords; j++) {
        int i = words[j];
        char nb[8];
        bool diff = s->qemu[i] != hv[i];
        printf("    %-5s 0x%016" PRIx64 "   0x%016" PRIx64 "   0x%016" PRIx64 "%s\n",
               reg_name(i, nb), s->in[i], s->qemu[i], hv[i], diff ? "   <<<" : "");
    }
    printf("    %-5s %-34s   %-34s   %-34s\n", "vreg", "input", "qemu", "hvsim");
    for (int v = 0; v < 32; v++)
        printf("    v%-4d 0x%016" PRIx64 "%016" PRIx64 "   0x%016" PRIx64 "%016" PRIx64
               "   0x%016" PRIx64 "%016" PRIx64 "%s\n", v, V128(s->in, v), V128(s->qemu, v),
               V128(hv, v), vreg_differs(s->qemu, hv, v) ? "   <<<" : "");
    fflush(stdout);
}


/* ---- allocation check ------------------------------------------------------------------------
 * Random words from the encoding spaces of the selected groups: QEMU runs them all in one
 * program whose SIGILL handler records the faulting word and skips it; hvsim accepts a word
 * when a pattern of the space's groups decodes it and its prep function agrees. Any
 * disagreement fails, except for the forms hvsim deliberately does not model.
 * A space is checked when all its groups are selected (the SIMD&FP data-processing space
 * holds four tables). The integer spaces force Rd to x9 (nothing else is clobbered); the
 * SIMD&FP space keeps its words whole (bits 0..4 are an opcode in FCMP and friends): the
 * general registers it may write are not used between the probed words, and it never
 * writes SP. Load/store spaces are not probed (random addresses). */
typedef struct Space { const char *groups; uint32_t mask, match; bool rd9; } Space;
static const Space spaces[] = {
    { "dp_imm", 0x1c000000u, 0x10000000u, true },                     /* op0 = 100x */
    { "dp_reg", 0x0e000000u, 0x0a000000u, true },                     /* op0 = x101 */
    { "fp,simd_fp,simd_int,crypto", 0x0e000000u, 0x0e000000u, false }, /* op0 = x111 */
};

static bool space_selected(const Space *sp)
{
    char g[64];
    for (const char *s = sp->groups; *s;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        snprintf(g, sizeof g, "%.*s", (int)l, s);
        if (!group_selected(g))
            return false;
        if (!e)
            break;
        s = e + 1;
    }
    return true;
}

/* SIMD&FP encodings QEMU's max CPU executes and hvsim leaves unallocated on purpose, as no
 * model advertises the feature: FEAT_FP16 (half-precision arithmetic: scalar ftype = 11 other
 * than FCVT, the AdvSIMD half-precision classes, immh = 001x conversions, FMOV immediate),
 * FEAT_FRINTTS, FEAT_BF16, the "three same (extra)" class (FEAT_RDM, FEAT_DotProd,
 * FEAT_FCMA), FEAT_FHM's FMLAL/FMLSL, the by-element forms of those, and the crypto
 * extensions beyond AES/SHA-1/SHA-256 (FEAT_SHA3, FEAT_SHA512, FEAT_SM3, FEAT_SM4). */
static const char *not_modelled_simd_fp(uint32_t w)
{
    unsigned op5 = (w >> 12) & 0x1f, op4 = (w >> 12) & 0xf, size = (w >> 22) & 3, u = (w >> 29) & 1;
    if ((w & 0x5fc00000u) == 0x1ec00000u && (w & 0x003e7c00u) != 0x00224000u)
        return "FEAT_FP16 scalar";                      /* ftype = 11, not FCVT from half */
    if ((w & 0x5fc00000u) == 0x1fc00000u)
        return "FEAT_FP16 multiply-add";
    if ((w & 0x9f60c400u) == 0x0e400400u || (w & 0xdf60c400u) == 0x5e400400u)
        return "FEAT_FP16 three same";
    if ((w & 0x9f7e0c00u) == 0x0e780800u || (w & 0xdf7e0c00u) == 0x5e780800u)
        return "FEAT_FP16 two-register misc";
    if ((w & 0x9ff0e400u) == 0x0f10e400u || (w & 0xdff0e400u) == 0x5f10e400u)
        return "FEAT_FP16 fixed-point conversion";       /* immh = 001x */
    if ((w & 0x9ff8fc00u) == 0x0f00fc00u)
        return "FEAT_FP16 FMOV (vector, immediate)";
    /* U = 0 forms; QEMU ignores size<0> in them, so it is not matched */
    if ((w & 0xbf3e0c00u) == 0x0e300800u && (op5 == 0x0c || op5 == 0x0f))
        return "FEAT_FP16 across lanes";
    if ((w & 0xff3e0c00u) == 0x5e300800u && (op5 == 0x0c || op5 == 0x0d || op5 == 0x0f))
        return "FEAT_FP16 pairwise";
    if ((w & 0xff3e7c00u) == 0x1e284000u || (w & 0x9fbfec00u) == 0x0e21e800u)
        return "FEAT_FRINTTS";                           /* FRINT32Z/X, FRINT64Z/X */
    if ((w & 0xbffffc00u) == 0x0ea16800u || (w & 0xfffffc00u) == 0x1e634000u)
        return "FEAT_BF16 BFCVT/BFCVTN";
    if ((w & 0x9f208400u) == 0x0e008400u || (w & 0xdf208400u) == 0x5e008400u)
        return "three same (extra): FEAT_RDM/DotProd/FCMA";
    if ((w & 0xbf60fc00u) == 0x0e20ec00u || (w & 0xbf60fc00u) == 0x2e20cc00u)
        return "FEAT_FHM FMLAL/FMLSL";
    if ((w & 0x9f000400u) == 0x0f000000u || (w & 0xdf000400u) == 0x5f000000u) {  /* by element */
        if (size == 0 && (op4 == 0x9 || (!u && (op4 == 0x1 || op4 == 0x5))))
            return "FEAT_FP16 by element";
        if (u && (op4 & 0x9) == 0x1 && (size == 1 || size == 2))
            return "FEAT_FCMA by element";
        if (size == 2 && ((!u && (op4 == 0x0 || op4 == 0x4)) || (u && (op4 == 0x8 || op4 == 0xc))))
            return "FEAT_FHM by element";
        if (op4 == 0xe || (!u && op4 == 0xf))
            return "FEAT_DotProd/I8MM/BF16 by element";
        if (u && (op4 == 0xd || op4 == 0xf))
            return "FEAT_RDM by element";
    }
    if ((w & 0xff000000u) == 0xce000000u)
        return "FEAT_SHA3/SHA512/SM3/SM4";
    return NULL;
}

/* Encodings QEMU may accept that hvsim leaves unallocated on purpose (MTE, pointer
 * authentication, FEAT_FLAGM RMIF/SETF, FEAT_CSSC). */
static const char *not_modelled(uint32_t w)
{
    unsigned op6 = (w >> 10) & 0x3f;
    if ((w & 0x1f800000u) == 0x11800000u)
        return "FEAT_MTE/FEAT_CSSC immediate";          /* ADDG/SUBG, SMAX/UMAX... immediate */
    if ((w & 0x5fe00000u) == 0x1ac00000u &&
        (op6 == 0x00 || op6 == 0x04 || op6 == 0x05 || op6 == 0x0c || (op6 >= 0x18 && op6 <= 0x1b)))
        return "SUBP/IRG/GMI/PACGA/CSSC min-max";
    if ((w & 0x5fe00000u) == 0x5ac00000u && (((w >> 16) & 0x1f) == 1 || (op6 >= 0x06 && op6 <= 0x08)))
        return "PAC/AUT/XPAC, CTZ/CNT/ABS";
    if ((w & 0x1fe00000u) == 0x1a000000u && op6 != 0)
        return "RMIF/SETF";
    return not_modelled_simd_fp(w);
}

static long alloc_fail, alloc_not_modelled;
#define ALLOC_CHUNK 100000L

static void run_alloc(long n, long chunk)
{
    const int H = 16, R = 48;                 /* handler and sigreturn trampoline (insns) */
    const uint64_t words = 64 * 4;            /* first probed word */
    uint64_t tail = words + (uint64_t)n * 4;
    uint64_t act = (tail + 64 + 15) & ~15ULL, res = act + 64;
    uint32_t *w = malloc(sizeof(uint32_t) * (size_t)n);
    const Space **wsp = malloc(sizeof(*wsp) * (size_t)n);
    int nsp = 0;
    const Space *sp[8];
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        if (space_selected(&spaces[i]))
            sp[nsp++] = &spaces[i];
    if (!nsp) {
        free(w);
        free(wsp);
        return;
    }
    Rng r = { (opt_seed ^ 0xa110ca7edULL) + (uint64_t)chunk * 0x9e3779b97f4a7c15ULL };
    for (long i = 0; i < n; i++) {
        const Space *s = sp[i % nsp];
        uint32_t v = ((uint32_t)rng_next(&r) & ~s->mask) | s->match;
        w[i] = s->rd9 ? (v & ~0x1fu) | 9 : v; /* Rd = x9 (CCMP: nzcv = 1001, o3 = 0) */
        wsp[i] = s;
    }
    Image im;
    memset(&im, 0, sizeof im);
    im.size = (res + (uint64_t)n + 4095) & ~4095ULL;
    im.buf = calloc(1, im.size);
    int k = 0;
    uint64_t pc = 0;
    /* rt_sigaction(SIGILL, &act, NULL, 8); b words */
    emit(&im, pc, &k, enc_adr(1, (int64_t)(act - (pc + (uint64_t)k * 4))));
    emit(&im, pc, &k, enc_movz(0, 4, 0));
    emit(&im, pc, &k, enc_movz(2, 0, 0));
    emit(&im, pc, &k, enc_movz(3, 8, 0));
    emit(&im, pc, &k, enc_movz(8, 134, 0));
    emit(&im, pc, &k, SVC0);
    emit(&im, pc, &k, enc_b((int64_t)(words - (pc + (uint64_t)k * 4))));
    /* handler(sig, info, uc): results[(pc - words) / 4] = 1; pc += 4 (uc_mcontext.pc at 440) */
    pc = (uint64_t)H * 4;
    k = 0;
    emit(&im, pc, &k, enc_ldr(3, 2, 440));
    emit(&im, pc, &k, enc_adr(4, (int64_t)(words - (pc + (uint64_t)k * 4))));
    emit(&im, pc, &k, 0xcb040065u);                       /* sub x5, x3, x4 */
    emit(&im, pc, &k, 0xd342fca5u);                       /* lsr x5, x5, #2 */
    emit(&im, pc, &k, enc_adr(6, (int64_t)(res - (pc + (uint64_t)k * 4))));
    emit(&im, pc, &k, 0x52800027u);                       /* mov w7, #1 */
    emit(&im, pc, &k, 0x382568c7u);                       /* strb w7, [x6, x5] */
    emit(&im, pc, &k, 0x91001063u);                       /* add x3, x3, #4 */
    emit(&im, pc, &k, enc_str(3, 2, 440));
    emit(&im, pc, &k, 0xd65f03c0u);                       /* ret (to the restorer) */
    pc = (uint64_t)R * 4;
    k = 0;
    emit(&im, pc, &k, enc_movz(8, 139, 0));               /* rt_sigreturn */
    emit(&im, pc, &k, SVC0);
    for (long i = 0; i < n; i++)
        put32(&im, words + (uint64_t)i * 4, w[i]);
    /* write(1, results, n); exit_group(0) */
    pc = tail;
    k = 0;
    emit(&im, pc, &k, enc_movz(0, 1, 0));
    emit(&im, pc, &k, enc_adr(1, (int64_t)(res - (pc + (uint64_t)k * 4))));
    emit(&im, pc, &k, enc_movz(2, (uint32_t)(n & 0xffff), 0));
    emit(&im, pc, &k, enc_movk(2, (uint32_t)((n >> 16) & 0xffff), 1));
    emit(&im, pc, &k, enc_movz(8, 64, 0));
    emit(&im, pc, &k, SVC0);
    emit(&im, pc, &k, enc_movz(0, 0, 0));
    emit(&im, pc, &k, enc_movz(8, 94, 0));
    emit(&im, pc, &k, SVC0);
    /* struct sigaction: handler, SA_SIGINFO | SA_RESTORER, restorer, mask */
    uint64_t sa[4] = { IMG_BASE + (uint64_t)H * 4, 0x04000004ULL, IMG_BASE + (uint64_t)R * 4, 0 };
    memcpy(im.buf + act, sa, sizeof sa);
    uint8_t *ill = malloc((size_t)n);
    char why[400];
    if (run_qemu(&im, ill, (size_t)n, why, sizeof why) < 0) {
        printf("ERROR allocation check: %s\n", why);
        alloc_fail++;
        goto out;
    }
    for (long i = 0; i < n; i++) {
        A64Args a;
        memset(&a, 0, sizeof a);
        int op = a64_decode_args(w[i], &a);
        bool hv_ok = false;
        if (op >= 0 && in_list(wsp[i]->groups, a64_patterns[op].group)) {
            A64Insn d;
            memset(&d, 0, sizeof d);
            d.raw = w[i];
            d.op = (uint16_t)op;
            hv_ok = a64_prep_op(op, &d, &a);
        }
        bool q_ok = !ill[i];
        if (q_ok == hv_ok)
            continue;
        const char *nm = not_modelled(w[i]);
        if (q_ok && nm) {
            alloc_not_modelled++;
            continue;
        }
        if (alloc_fail++ < opt_max_report) {
            char dis[128];
            disas(w[i], IMG_BASE + words + (uint64_t)i * 4, dis, sizeof dis);
            printf("FAIL allocation: %08x  %-40s qemu %s, hvsim %s (%s)\n", w[i], dis,
                   q_ok ? "executes it" : "raises SIGILL", hv_ok ? "decodes it" : "unallocated",
                   op >= 0 ? a64_patterns[op].name : "no pattern");
        }
    }
out:
    free(ill);
    free(im.buf);
    free(w);
    free(wsp);
}

/* ---- main loop ------------------------------------------------------------------------------ */
static void usage(void)
{
    fprintf(stderr,
            "usage: difftest [--seed N] [--count N] [--len L] [--batch N] [--index I]\n"
            "                [--groups g1,g2] [--cpu MODEL] [--qemu PATH] [--keep FILE.elf]\n"
            "                [--max-report N] [--alloc N] [--no-cs-filter] [-v]\n");
    exit(1);
}

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && (v ? (i++, 1) : (usage(), 0)))
        if (!strcmp(a, "-v"))
            opt_verbose = 1;
        else if (!strcmp(a, "-no-cs-filter"))
            opt_no_cs_filter = 1;
        else if (ARG("-seed"))
            opt_seed = strtoull(v, NULL, 0);
        else if (ARG("-count"))
            opt_count = strtol(v, NULL, 0);
        else if (ARG("-len"))
            opt_len = atoi(v);
        else if (ARG("-batch"))
            opt_batch = atoi(v);
        else if (ARG("-index"))
            opt_index = strtol(v, NULL, 0);
        else if (ARG("-groups"))
            opt_groups = v;
        else if (ARG("-qemu"))
            opt_qemu = v;
        else if (ARG("-cpu"))
            opt_cpu = v;
        else if (ARG("-keep"))
            opt_keep = v;
        else if (ARG("-alloc"))
            opt_alloc = strtol(v, NULL, 0);
        else if (ARG("-max-report"))
            opt_max_report = atoi(v);
        else
            usage();
#undef ARG
    }
    if (opt_len < 1 || opt_len > MAX_LEN || opt_batch < 1 || opt_count < 0)
        usage();
    if (!groups_known())
        return 1;
    if (opt_cpu && !a64_cpu_model_known(opt_cpu)) {
        fprintf(stderr, "difftest: unknown CPU model '%s'\n", opt_cpu);
        return 1;
    }
    ldst_mode = group_selected("ldst_simd");
    /* keep ADR reach (+-1 MiB) from the code to the records */
    long max_batch = (900L << 10) / ((PROLOGUE_INSNS + opt_len + EPILOGUE_INSNS + 1) * 4 + 2 * REC_BYTES);
    /* and the scratch areas within guest RAM (half of it: the code and records come first) */
    if (ldst_mode && max_batch > (long)(RAM_SIZE / 2 / scratch_bytes(opt_len)))
        max_batch = (long)(RAM_SIZE / 2 / scratch_bytes(opt_len));
    if (max_batch < 1)
        max_batch = 1;
    if (opt_batch > max_batch)
        opt_batch = (int)max_batch;

    if (!qemu_available()) {
        printf("difftest: %s not found; differential testing skipped\n", opt_qemu);
        printf("difftest: 0 passed, 0 failed\n");
        printf("difftest: (all skipped: no %s)\n", opt_qemu);
        return 0;
    }
    if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &cs) != CS_ERR_OK) {
        fprintf(stderr, "difftest: cannot open Capstone\n");
        return 1;
    }
    if (collect_patterns() == 0) {
        printf("difftest: no fuzzable patterns in groups %s\n", opt_groups);
        printf("difftest: 0 passed, 1 failed\n");
        return 1;
    }
    if (opt_verbose) {
        printf("difftest: %d patterns:", nfpats);
        for (int i = 0; i < nfpats; i++)
            printf(" %s", fpats[i].p->name);
        printf("\n");
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(elf_path, sizeof elf_path, "%s/difftest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(elf_path);
    if (fd < 0) {
        perror("difftest: mkstemp");
        return 1;
    }
    /* mkstemp creates mode 0600 and qemu-user refuses to load a file without execute
     * permission ("Permission denied", exit status 1) */
    if (fchmod(fd, 0700) < 0) {
        perror("difftest: fchmod");
        return 1;
    }
    close(fd);

    hv_init();
    double t0 = now_s();
    long first = 0, total = opt_count;
    if (opt_index >= 0) {
        first = opt_index;
        total = 1;
    }
    Seq **seqs = calloc((size_t)opt_batch, sizeof *seqs);
    batch_scratch = calloc((size_t)opt_batch, scratch_bytes(opt_len) + 1);
    for (int i = 0; i < opt_batch; i++)
        seqs[i] = malloc(sizeof(Seq));
    int *use = malloc(sizeof(int) * (size_t)opt_batch);
    long skip_qemu = 0;
    for (long done = 0; done < total;) {
        int n = (int)(total - done < opt_batch ? total - done : opt_batch);
        for (int k = 0; k < n; k++) {
            gen_seq(seqs[k], first + done + k);
            use[k] = k;
        }
        qemu_slots(seqs, use, n, n);
        Image im;
        image_build(&im, seqs, use, n, n);
        hv_load(&im);
        for (int k = 0; k < n; k++) {
            Seq *s = seqs[k];
            if (s->state != 1 && !strstr(s->skip_why, "signal 4 ")) {
                /* Only SIGILL (an encoding QEMU does not accept) is a reason to skip; any
                 * other QEMU failure means the harness is broken and must not pass. */
                nfail++;
                printf("ERROR index=%ld: QEMU could not run the sequence: %s\n", s->index,
                       s->skip_why);
                print_seq(&im, k, s);
                continue;
            }
            if (s->state != 1) {
                nskip++;
                skip_qemu++;
                if (opt_verbose) {
                    printf("SKIP index=%ld: %s\n", s->index, s->skip_why);
                    print_seq(&im, k, s);
                }
                continue;
            }
            uint64_t hv[REC_WORDS];
            char msg[700];
            msg[0] = 0;
            int rc = hv_run_slot(&im, k, s, hv, msg, sizeof msg);
            if (rc != 0)
                report(&im, k, s, hv, msg);
            else if (record_differs(hv, s->qemu))
                report(&im, k, s, hv, NULL);
            else
                npass++;
        }
        free(im.buf);
        done += n;
    }
    bool any_space = false;
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        any_space |= space_selected(&spaces[i]);
    if (opt_alloc > 0 && opt_index < 0 && any_space) {
        /* chunks keep ADR (+-1 MiB) reaching from the code to the data */
        for (long done = 0, c = 0; done < opt_alloc; done += ALLOC_CHUNK, c++)
            run_alloc(opt_alloc - done < ALLOC_CHUNK ? opt_alloc - done : ALLOC_CHUNK, c);
        printf("difftest: allocation check of %ld encodings: %ld disagree with QEMU (%ld not "
               "modelled on purpose)\n", opt_alloc, alloc_fail, alloc_not_modelled);
        nfail += alloc_fail;
    }
    unlink(elf_path);
    if (opt_verbose)
        fprintf(stderr, "difftest: %.2f s, %ld qemu runs\n", now_s() - t0, qemu_runs);
    printf("difftest: %ld passed, %ld failed\n", npass, nfail);
    if (nskip)
        printf("difftest: (%ld skipped: %ld QEMU rejected the sequence)\n", nskip, skip_qemu);
    if (total > 0 && npass == 0 && nfail == 0) {
        printf("difftest: nothing was compared (every sequence skipped)\n");
        nfail = 1;
    }
    machine_free(hv_m);
    cs_close(&cs);
    for (int i = 0; i < opt_batch; i++)
        free(seqs[i]);
    free(seqs);
    free(batch_scratch);
    free(use);
    free(fpats);
    return nfail ? 1 : 0;
}
