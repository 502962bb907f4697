/* The cryptographic extension (Arm ARM C4.1, the cryptographic classes; the AES* and SHA*
 * pages of C7.2 and the pseudocode functions they call) and PMULL/PMULL2 with 64-bit elements
 * (FEAT_PMULL).
 *
 * Written by hand: the instructions are single AES rounds and SHA compression steps, which
 * no library's API exposes. The AES S-box is computed once from its definition (FIPS-197
 * 5.1.1: the multiplicative inverse in GF(2^8) followed by the affine transform) rather than
 * typed in.
 *
 * Slots: rd, rn, rm = V register numbers; u8c = the operation (PMULL: the half, Q). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/simd_internal.h"
#include "a64_decode_gen.h"

/* ---- AES ------------------------------------------------------------------------------- */
static uint8_t aes_sbox[256], aes_inv_sbox[256];

/* Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2). */
static uint8_t gmul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    while (b) {
        if (b & 1)
            r ^= a;
        a = (uint8_t)((a << 1) ^ (a & 0x80 ? 0x1b : 0));
        b >>= 1;
    }
    return r;
}

static uint8_t rol8(uint8_t x, unsigned n)
{
    return (uint8_t)(x << n | x >> (8 - n));
}

__attribute__((constructor)) static void aes_tables_init(void)
{
    for (unsigned x = 0; x < 256; x++) {
        uint8_t inv = 0;
        for (unsigned y = 1; x && y < 256; y++)
            if (gmul((uint8_t)x, (uint8_t)y) == 1) {
                inv = (uint8_t)y;
                break;
            }
        uint8_t s = inv ^ rol8(inv, 1) ^ rol8(inv, 2) ^ rol8(inv, 3) ^ rol8(inv, 4) ^ 0x63;
        aes_sbox[x] = s;
        aes_inv_sbox[s] = (uint8_t)x;
    }
}

/* The state is the register's 16 bytes in column order: byte r + 4c is row r, column c.
 * ShiftRows moves row r left by r columns; the inverse moves it right. */
static void aes_round_bytes(A64Vreg *st, bool decrypt)
{
    A64Vreg t = *st;
    for (unsigned r = 0; r < 4; r++)
        for (unsigned col = 0; col < 4; col++) {
            unsigned src = decrypt ? (col + 4 - r) & 3 : (col + r) & 3;
            uint8_t b = t.b[r + 4 * src];
            st->b[r + 4 * col] = decrypt ? aes_inv_sbox[b] : aes_sbox[b];
        }
}

/* MixColumns (FIPS-197 5.1.3) with the matrix rows {2,3,1,1}, InvMixColumns (5.3.3) with
 * {14,11,13,9}; each row of the matrix is the previous one rotated. */
static void aes_mix(A64Vreg *st, const uint8_t k[4])
{
    A64Vreg t = *st;
    for (unsigned col = 0; col < 4; col++)
        for (unsigned r = 0; r < 4; r++) {
            uint8_t acc = 0;
            for (unsigned i = 0; i < 4; i++)
                acc ^= gmul(k[(i + 4 - r) & 3], t.b[i + 4 * col]);
            st->b[r + 4 * col] = acc;
        }
}

enum { OP_AESE, OP_AESD, OP_AESMC, OP_AESIMC };

A64_EXEC(exec_aes)
{
    static const uint8_t mix[4] = { 2, 3, 1, 1 }, inv_mix[4] = { 14, 11, 13, 9 };
    A64_FP_CHECK(c, d);
    A64Vreg st = c->v[d->rn];
    switch (d->u8c) {
    case OP_AESE:
    case OP_AESD:                       /* AddRoundKey, (Inv)ShiftRows, (Inv)SubBytes */
        st.d[0] ^= c->v[d->rd].d[0];
        st.d[1] ^= c->v[d->rd].d[1];
        aes_round_bytes(&st, d->u8c == OP_AESD);
        break;
    case OP_AESMC:
        aes_mix(&st, mix);
        break;
    default:
        aes_mix(&st, inv_mix);
        break;
    }
    c->v[d->rd] = st;
    return d + 1;
}

bool a64_prep_aes(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->u8c = (d->raw >> 12) & 3;
    d->fn = exec_aes;
    return true;
}

/* ---- SHA-1 and SHA-256 ------------------------------------------------------------------ */
static uint32_t rol32(uint32_t x, unsigned n) { return x << n | x >> (32 - n); }
static uint32_t ror32(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }
static uint32_t sha_choose(uint32_t x, uint32_t y, uint32_t z) { return ((y ^ z) & x) ^ z; }
static uint32_t sha_parity(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
static uint32_t sha_majority(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | ((x | y) & z); }

enum { OP_SHA1C, OP_SHA1P, OP_SHA1M, OP_SHA1SU0, OP_SHA256H, OP_SHA256H2, OP_SHA256SU1 };

/* SHA1C/P/M: four rounds on the hash abcd in Qd and e in Sn with W+K in Vm (C7.2):
 * after each, the 160-bit value Y:X rotates left by 32. */
static void sha1_rounds(A64Vreg *x, uint32_t y, const A64Vreg *w, unsigned op)
{
    for (unsigned e = 0; e < 4; e++) {
        uint32_t t = op == OP_SHA1C ? sha_choose(x->s[1], x->s[2], x->s[3])
                   : op == OP_SHA1P ? sha_parity(x->s[1], x->s[2], x->s[3])
                                    : sha_majority(x->s[1], x->s[2], x->s[3]);
        y += rol32(x->s[0], 5) + t + w->s[e];
        x->s[1] = rol32(x->s[1], 30);
        uint32_t top = x->s[3];
        x->s[3] = x->s[2];
        x->s[2] = x->s[1];
        x->s[1] = x->s[0];
        x->s[0] = y;
        y = top;
    }
}

/* SHA256hash (C7.2): four rounds; part1 returns X (SHA256H), else Y (SHA256H2). */
static A64Vreg sha256_hash(A64Vreg x, A64Vreg y, const A64Vreg *w, bool part1)
{
    for (unsigned e = 0; e < 4; e++) {
        uint32_t chs = sha_choose(y.s[0], y.s[1], y.s[2]);
        uint32_t maj = sha_majority(x.s[0], x.s[1], x.s[2]);
        uint32_t sig1 = ror32(y.s[0], 6) ^ ror32(y.s[0], 11) ^ ror32(y.s[0], 25);
        uint32_t sig0 = ror32(x.s[0], 2) ^ ror32(x.s[0], 13) ^ ror32(x.s[0], 22);
        uint32_t t = y.s[3] + sig1 + chs + w->s[e];
        x.s[3] += t;
        y.s[3] = t + sig0 + maj;
        /* <Y, X> = ROL(Y:X, 32) */
        uint32_t xt = x.s[3], yt = y.s[3];
        x.s[3] = x.s[2]; x.s[2] = x.s[1]; x.s[1] = x.s[0]; x.s[0] = yt;
        y.s[3] = y.s[2]; y.s[2] = y.s[1]; y.s[1] = y.s[0]; y.s[0] = xt;
    }
    return part1 ? x : y;
}

A64_EXEC(exec_sha3)
{
    A64_FP_CHECK(c, d);
    A64Vreg vd = c->v[d->rd], vn = c->v[d->rn], vm = c->v[d->rm], r = { { 0, 0 } };
    switch (d->u8c) {
    case OP_SHA1C:
    case OP_SHA1P:
    case OP_SHA1M:
        r = vd;
        sha1_rounds(&r, vn.s[0], &vm, d->u8c);
        break;
    case OP_SHA1SU0:                    /* (Vn<63:0>:Vd<127:64>) ^ Vd ^ Vm */
        r.d[0] = vd.d[1] ^ vd.d[0] ^ vm.d[0];
        r.d[1] = vn.d[0] ^ vd.d[1] ^ vm.d[1];
        break;
    case OP_SHA256H:
        r = sha256_hash(vd, vn, &vm, true);
        break;
    case OP_SHA256H2:
        r = sha256_hash(vn, vd, &vm, false);
        break;
    default: {                          /* SHA256SU1 (C7.2) */
        uint32_t t0[4] = { vn.s[1], vn.s[2], vn.s[3], vm.s[0] };
        uint32_t t1[2] = { vm.s[2], vm.s[3] };
        for (unsigned e = 0; e < 4; e++) {
            uint32_t elt = e < 2 ? t1[e] : r.s[e - 2];
            elt = ror32(elt, 17) ^ ror32(elt, 19) ^ (elt >> 10);
            r.s[e] = elt + vd.s[e] + t0[e];
        }
        break;
    }
    }
    c->v[d->rd] = r;
    return d + 1;
}

bool a64_prep_sha3(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    d->u8c = (d->raw >> 12) & 7;
    d->fn = exec_sha3;
    return true;
}

enum { OP_SHA1H, OP_SHA1SU1, OP_SHA256SU0 };

A64_EXEC(exec_sha2)
{
    A64_FP_CHECK(c, d);
    A64Vreg vd = c->v[d->rd], vn = c->v[d->rn], r = { { 0, 0 } };
    switch (d->u8c) {
    case OP_SHA1H:                      /* Sd = ROL(Sn, 30) */
        r.s[0] = rol32(vn.s[0], 30);
        break;
    case OP_SHA1SU1: {                  /* C7.2: T = Vd ^ (Vn >> 32) */
        uint32_t t[4] = { vd.s[0] ^ vn.s[1], vd.s[1] ^ vn.s[2], vd.s[2] ^ vn.s[3], vd.s[3] };
        r.s[0] = rol32(t[0], 1);
        r.s[1] = rol32(t[1], 1);
        r.s[2] = rol32(t[2], 1);
        r.s[3] = rol32(t[3], 1) ^ rol32(t[0], 2);
        break;
    }
    default: {                          /* SHA256SU0 (C7.2): T = Vn<31:0>:Vd<127:32> */
        uint32_t t[4] = { vd.s[1], vd.s[2], vd.s[3], vn.s[0] };
        for (unsigned e = 0; e < 4; e++)
            r.s[e] = (ror32(t[e], 7) ^ ror32(t[e], 18) ^ (t[e] >> 3)) + vd.s[e];
        break;
    }
    }
    c->v[d->rd] = r;
    return d + 1;
}

bool a64_prep_sha2(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->u8c = (d->raw >> 12) & 3;
    d->fn = exec_sha2;
    return true;
}

/* ---- PMULL/PMULL2 (1Q <- 1D x 1D) ------------------------------------------------------- */
A64_EXEC(exec_PMULL_1q)
{
    A64_FP_CHECK(c, d);
    a64_u128 p = clmul64(c->v[d->rn].d[d->u8c], c->v[d->rm].d[d->u8c]);
    A64Vreg r = { { (uint64_t)p, (uint64_t)(p >> 64) } };
    c->v[d->rd] = r;
    return d + 1;
}

bool a64_prep_PMULL_1q(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    d->u8c = (uint8_t)a->q;
    d->fn = exec_PMULL_1q;
    return true;
}
