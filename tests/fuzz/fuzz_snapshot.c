/* Snapshot loader, structure-aware. Inputs are whole snapshot files (seeds: snapshots of the
 * fuzz machine at a few instruction counts). Random bytes would only ever meet the checksum,
 * so the custom mutator below edits field values inside the sections (whole values set to
 * boundaries, bit flips, byte mutations), occasionally the section structure or the RAM run
 * headers, and then recomputes the file's SHA-256. Each input is loaded with snapshot_load();
 * an accepted snapshot is run for RUN_INSNS instructions (where out-of-range state shows),
 * hashed, and must then save and load again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint/snapshot.h"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 20000
#define PREAMBLE 16
#define END_LEN (4 + 3 + 8 + 32)

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static Machine *m;
static FzFile file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    m = fz_machine_new();
    fz_file_init(&file, "snapshot");
    if (fz_gen_dir()) {
        static const uint64_t at[] = { 0, 3000, 20000 };
        for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
            fz_run(m, at[i] - machine_icount(m));
            char *name = g_strdup_printf("icount-%llu.snap", (unsigned long long)at[i]);
            char *path = g_build_filename(fz_gen_dir(), name, NULL);
            char *err = NULL;
            if (snapshot_save(m, path, true, &err)) {
                fprintf(stderr, "fuzz: %s\n", err);
                exit(1);
            }
            printf("fuzz: wrote seed %s\n", path);
            g_free(path);
            g_free(name);
        }
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("HVSIM_FUZZ_VERBOSE") != NULL;
    if (snapshot_load(m, fz_file_set(&file, data, size), &err)) {
        if (verbose)
            fprintf(stderr, "refused: %s\n", err);
        g_free(err);
        return 0;
    }
    if (verbose)
        fprintf(stderr, "accepted\n");
    fz_run(m, RUN_INSNS);
    char h[65];
    machine_state_hash(m, h);
    /* what the simulator saves of a running machine, it must load again */
    GByteArray *b = fz_snapshot_now(m);
    if (snapshot_decode(m, b->data, b->len, &err)) {
        fprintf(stderr, "fuzz: a snapshot of the running machine is refused: %s\n", err);
        abort();
    }
    g_byte_array_free(b, TRUE);
    return 0;
}

/* ---- the structure-aware mutator ----------------------------------------------------------- */
typedef struct Rng {
    uint64_t s;
} Rng;
static uint64_t rnd(Rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}
static uint64_t below(Rng *r, uint64_t n)
{
    return n ? rnd(r) % n : 0;
}

typedef struct Sec {
    size_t hdr;       /* offset of the section header in the file */
    size_t data, len; /* payload */
    char name[64];
} Sec;

/* A saved field's elements: `count` values of `size` bytes at `off` (file offset). */
typedef struct Slot {
    size_t off, meta; /* meta: offset of the u32 element size, then u32 count */
    uint32_t size, count;
    int sec;
} Slot;

#define MAX_SECS 64
#define MAX_SLOTS 4096

typedef struct Parsed {
    Sec secs[MAX_SECS];
    int nsecs;
    Slot slots[MAX_SLOTS];
    int nslots;
} Parsed;

static bool parse(const uint8_t *d, size_t size, Parsed *p)
{
    p->nsecs = p->nslots = 0;
    if (size < PREAMBLE + END_LEN || memcmp(d, "HVSIMSNP", 8))
        return false;
    size_t pos = PREAMBLE, end = size - END_LEN;
    while (pos < end && p->nsecs < MAX_SECS) {
        uint32_t nl;
        uint64_t l;
        if (end - pos < 4)
            return false;
        memcpy(&nl, d + pos, 4);
        if (nl == 0 || nl >= 64 || end - pos - 4 < nl + 8u)
            return false;
        Sec *s = &p->secs[p->nsecs];
        s->hdr = pos;
        memcpy(s->name, d + pos + 4, nl);
        s->name[nl] = 0;
        memcpy(&l, d + pos + 4 + nl, 8);
        pos += 4 + nl + 8;
        if (l > end - pos)
            return false;
        s->data = pos;
        s->len = (size_t)l;
        pos += (size_t)l;
        /* state sections: u16 name length, name, u32 element size, u32 count, elements */
        if (strcmp(s->name, "header") && strncmp(s->name, "mem.", 4)) {
            size_t q = s->data, qe = s->data + s->len;
            while (qe - q >= 2 && p->nslots < MAX_SLOTS) {
                uint16_t fl;
                uint32_t es, cnt;
                memcpy(&fl, d + q, 2);
                if (qe - q < 2u + fl + 8u)
                    break;
                memcpy(&es, d + q + 2 + fl, 4);
                memcpy(&cnt, d + q + 2 + fl + 4, 4);
                size_t meta = q + 2 + fl;
                q += 2u + fl + 8u;
                if (!es || !cnt || (uint64_t)es * cnt > qe - q)
                    break;
                p->slots[p->nslots++] = (Slot){ q, meta, es, cnt, p->nsecs };
                q += (size_t)es * cnt;
            }
        }
        p->nsecs++;
    }
    return pos == end;
}

static void fix_checksum(uint8_t *d, size_t size)
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, d, (gssize)(size - END_LEN));
    gsize l = 32;
    memcpy(d + size - END_LEN, "\x03\0\0\0end\x20\0\0\0\0\0\0\0", 15);
    g_checksum_get_digest(ck, d + size - 32, &l);
    g_checksum_free(ck);
}

static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 63, 64, 74, 127, 128, 255, 256, 1023, 1024, 4095,
    4096, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
    0x40000000, 0x40080000, 0x43fffff8, 0x44000000, 0x09000000, 0x08000000, 0x7fffffffffffffff,
    0x8000000000000000, 0xfffffffffffffffe, 0xffffffffffffffff,
};

/* Sets one value of `size` bytes (1, 2, 4 or 8) at d. */
static void mutate_value(Rng *r, uint8_t *d, uint32_t size)
{
    uint64_t v = 0;
    memcpy(&v, d, size);
    switch (below(r, 6)) {
    case 0:
    case 1: v = interesting[below(r, G_N_ELEMENTS(interesting))]; break;
    case 2: v ^= 1ULL << below(r, size * 8); break;
    case 3: v += below(r, 33) - 16; break;
    case 4: v = rnd(r); break;
    default: v = ~v; break;
    }
    memcpy(d, &v, size);
}

static size_t mutate_once(Rng *r, uint8_t *d, size_t size, size_t max_size, Parsed *p)
{
    unsigned what = (unsigned)below(r, 20);
    if (p->nslots && what < 14) {
        /* a field value: a whole element when it is a scalar size, else bytes in it */
        Slot *s = &p->slots[below(r, (uint64_t)p->nslots)];
        size_t el = s->off + (size_t)below(r, s->count) * s->size;
        if (s->size == 1 || s->size == 2 || s->size == 4 || s->size == 8) {
            mutate_value(r, d + el, s->size);
        } else if (what < 10) {
            uint32_t at = (uint32_t)below(r, s->size) & ~7u;
            mutate_value(r, d + el + at, s->size - at >= 8 ? 8 : s->size - at);
        } else {
            uint8_t tmp[4096];
            size_t n = s->size < sizeof tmp ? s->size : sizeof tmp;
            memcpy(tmp, d + el, n);
            size_t got = LLVMFuzzerMutate(tmp, n, n);
            memcpy(d + el, tmp, got < n ? got : n);
        }
        return size;
    }
    if (p->nslots && what < 15) {
        /* a field's element size or count */
        Slot *s = &p->slots[below(r, (uint64_t)p->nslots)];
        mutate_value(r, d + s->meta + 4 * below(r, 2), 4);
        return size;
    }
    if (what < 17) {
        /* a RAM run header: first page, page count, compressed length */
        for (int i = 0; i < p->nsecs; i++) {
            Sec *s = &p->secs[(i + below(r, (uint64_t)p->nsecs)) % p->nsecs];
            if (strncmp(s->name, "mem.", 4) || s->len < 16)
                continue;
            size_t at = s->data;   /* the first run (the DTB, the kernel, data pages) */
            uint64_t k = below(r, 3);
            mutate_value(r, d + at + (k == 0 ? 0 : k == 1 ? 8 : 12), k == 0 ? 8 : 4);
            return size;
        }
        return size;
    }
    if (what < 18 && p->nsecs) {
        /* a section's length (the framing) */
        Sec *s = &p->secs[below(r, (uint64_t)p->nsecs)];
        size_t nl = strlen(s->name);
        mutate_value(r, d + s->hdr + 4 + nl, 1 + (uint32_t)below(r, 2));
        return size;
    }
    /* bytes anywhere between the preamble and the end section (sizes may change) */
    size_t body = size - END_LEN;
    uint8_t *tmp = g_malloc(max_size);
    memcpy(tmp, d, body);
    size_t nb = PREAMBLE + LLVMFuzzerMutate(tmp + PREAMBLE, body - PREAMBLE, max_size - END_LEN - PREAMBLE);
    memcpy(tmp + nb, d + body, END_LEN);
    memcpy(d, tmp, nb + END_LEN);
    g_free(tmp);
    return nb + END_LEN;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    static Parsed p;
    if (!parse(data, size, &p)) {
        /* framing already broken: plain byte mutation, still under a valid checksum */
        size = LLVMFuzzerMutate(data, size, max_size);
        if (size >= PREAMBLE + END_LEN && !memcmp(data, "HVSIMSNP", 8))
            fix_checksum(data, size);
        return size;
    }
    Rng r = { seed * 0x9e3779b97f4a7c15ULL + 1 };
    int n = 1 + (int)below(&r, 3);
    for (int i = 0; i < n; i++) {
        size = mutate_once(&r, data, size, max_size, &p);
        if (i + 1 < n && !parse(data, size, &p))
            break;
    }
    if (size >= PREAMBLE + END_LEN)
        fix_checksum(data, size);
    return size;
}
