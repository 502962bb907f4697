/* Differential tester for the x86-64 integer instructions: random sequences on hvsim (in
 * process, decode + execute) and on qemu-x86_64 (user mode), comparing the general registers,
 * the defined arithmetic flags and DF, and the memory the sequences write.
 *
 * How it works:
 *  - Candidates: the decoder's forms (x86_forms[], generated from cpu/x86_64/decode/) valid
 *    in 64-bit mode and not !nofuzz, less the few whose targets would be random (RET,
 *    indirect JMP/CALL). The table drives the encoder: prefixes (66, REX with random W/X,
 *    67, LOCK where the form allows it, REP for strings, the mandatory prefix a form asks
 *    for), the map and opcode, ModRM (the digit from the form's set; a register, [R15+disp],
 *    or RIP-relative into the slot's scratch area) and the immediate.
 *  - RSP and R15 are never operands: RSP points into the slot's stack area, R15 into its
 *    scratch area. Instructions with implicit addresses get a setup first (LEA RSI/RDI/RBX
 *    into the scratch area and a small RCX before string instructions and XLAT, RBP near RSP
 *    before ENTER/LEAVE, moffs pointing into the scratch area). Branches go forward to an
 *    instruction boundary of the same sequence.
 *  - Flags the SDM leaves undefined are tracked per sequence ("poisoned"): a poisoned flag
 *    is not compared, and an instruction that reads one is not drawn while it is poisoned.
 *  - A batch becomes one static ELF64 (one RWX PT_LOAD). Slot i's code loads RAX..R15 and
 *    RFLAGS from its input record, runs the sequence, stores the registers and RFLAGS to its
 *    output record and jumps to slot i+1. A signal handler (SIGSEGV, SIGFPE, SIGILL, SIGBUS,
 *    SIGTRAP) records the signal in the slot's record and resumes at the next slot, so a
 *    faulting sequence is compared as "faulted with this signal". After the last slot the
 *    whole data area (records, scratch, stacks) goes to stdout.
 *  - hvsim runs the same image slot by slot in 64-bit mode at CPL 3 with flat segments and
 *    page tables mapping just the image (so a stray access faults as under QEMU); a fault
 *    is mapped to the signal Linux would send and recorded the same way.
 *  - --mode 32 does the same in 32-bit protected mode against qemu-i386 (an ELF32, int 0x80
 *    system calls, the legacy-only forms such as the BCD adjustments and INC/DEC 40-4F, no
 *    REX, EBP as the scratch base, 32-bit paging on hvsim).
 *  - Also compared: XMM0-15 (a NaN lane against a NaN lane passes: QEMU 7.2 picks between
 *    two NaN operands by the x87 rule), MM0-7, MXCSR but DE (QEMU never sets it). Where QEMU
 *    7.2 departs from the SDM the generator leaves the case out and says why at the spot.
 *  - A quarter of the instructions get prefixes that change nothing (repeated 66/67,
 *    ignored segment overrides, F2/F3 where no mandatory prefix applies, an extra REX).
 * Everything derives from --seed: sequence i uses its own PRNG seeded from (seed, i), so
 * `--seed S --index I` reproduces one sequence. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/machine.h"
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/sys_internal.h"
#include "x86_decode_gen.h"

/* ---- the image's layout --------------------------------------------------------------- */
#define IMG_BASE 0x10000000ULL
#define ELF_DATA_OFF 0x1000
#define OFF_HANDLER 0x200     /* signal handler */
#define OFF_RESTORER 0x280    /* rt_sigreturn */
#define OFF_ACT 0x300         /* struct kernel_sigaction */
#define OFF_CUR 0x400         /* the running slot's index */
#define OFF_FCW 0x408         /* 0x037F, for the epilogue's FLDCW */
#define OFF_ALTSTK 0x500     /* stack_t for sigaltstack */
#define OFF_GSTACK 0x1000     /* top of the epilogue's and handler's stack (0x800 below it) */
#define SIGSTK_ADDR 0x70000000ULL   /* the signal frames' stack (never the slot's stack,
                                     * where a frame would overwrite the slots' data below
                                     * it), mmapped by the entry code outside the image:
                                     * hvsim does not map it, so a stray access to QEMU's
                                     * frames cannot read what hvsim lacks */
#define SIGSTK_SIZE 0x10000
#define OFF_SLOTS 0x20000
#define SLOT_CODE 0x400       /* bytes of code per slot */
#define SLOT_DATA 0xe00       /* bytes of data per slot: */
#define D_IN 0                /*   input: RAX..R15, RFLAGS */
#define D_OUT 144             /*   output: RAX..R15, RFLAGS */
#define D_SIG 280             /*   the signal that ended the slot, 0 if none, and (+4) the
                               *   address of the instruction it came from */
#define D_MXIN 288            /*   input MXCSR */
#define D_MXOUT 292           /*   output MXCSR */
#define D_FSWOUT 296          /*   output FSW */
#define D_FCWIN 298           /*   input FCW */
#define D_MMIN 320            /*   input: MM0..MM7 */
#define D_MMOUT 384           /*   output: MM0..MM7 */
#define D_STOUT 448           /*   output: ST0..ST7 as FSTP m80 stores them */
#define D_XIN 528             /*   input: XMM0..XMM15 */
#define D_XOUT 784            /*   output: XMM0..XMM15 */
#define D_X87IN 1040          /*   input: up to 4 extended values the prologue pushes */
#define D_SCRATCH 1280        /*   1 KiB of memory operands, R15 at its middle */
#define D_STACK 2304          /*   1 KiB of stack, RSP at its middle */
#define SCRATCH_MID (D_SCRATCH + 512)
#define STACK_MID (D_STACK + 512)
#define MAX_SEQ 8             /* random instructions per sequence */
#define MAX_ITEMS (MAX_SEQ * 4)

typedef struct { uint64_t s; } Rng;
static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint32_t rng_below(Rng *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }

/* ---- options ---------------------------------------------------------------------------- */
static uint64_t opt_seed = 1;
static long opt_count = 2000;
static long opt_batch = 500;
static long opt_index = -1;
static long opt_first;        /* --first N: the first sequence index (bisecting a batch) */
static int opt_verbose;
static int opt_max_report = 10;
static const char *opt_qemu = "qemu-x86_64";
static const char *opt_keep;
static const char *opt_only;  /* draw only forms whose name starts with this */
static int opt_cut;
static int opt_rem;           /* --rem: draw FPREM/FPREM1 too (against --qemu native) */
static long opt_bytes;        /* --bytes N: random byte strings on hvsim alone */
/* --mode 32: 32-bit protected mode (user code under qemu-i386): the legacy forms, no REX,
 * EBP the scratch base (so no ENTER/LEAVE/POPA), [disp32] absolute where 64-bit mode has
 * RIP-relative operands */
static bool mode32;           /* debugging: keep only the first N items of each sequence */

/* ---- one sequence ------------------------------------------------------------------------ */
typedef struct Item {
    uint8_t b[16];
    uint8_t len;
    int8_t rel_at, rel_len;   /* branch displacement field (-1: none) */
    int8_t rip_at;            /* RIP-relative disp32 field (-1: none) */
    int16_t rip_target;       /* its target: offset from the slot's data */
    uint8_t skip;             /* branch: instructions to skip */
    uint16_t op;              /* X86_OP_*, or 0xffff for a setup instruction */
} Item;

typedef struct Seq {
    Item it[MAX_ITEMS];
    int n;
    uint32_t poison;          /* flags not to compare */
    unsigned shadow;          /* instructions still within reach of a forward branch */
    uint64_t in[17];
    uint64_t xin[32];
    uint32_t mxcsr;
    uint64_t mmin[8];
    uint16_t fcw;
    uint8_t x87in[4][10];
    int x87_depth0, x87_depth;    /* the stack the prologue leaves, and after the sequence */
    bool uses_x87, uses_mmx;      /* MMX and x87 never meet in a sequence (see gen_insn) */
    uint8_t scratch[1024], stack[1024];
} Seq;

static const uint32_t CMP_FLAGS = X86_FLAGS_ARITH | X86_DF;

/* Flags an instruction reads, and those it leaves undefined (SDM), by form. */
static void flag_info(const X86Form *f, unsigned digit, uint32_t *reads, uint32_t *undef)
{
    *reads = *undef = 0;
    switch (f->op) {
    case X86_OP_ADC_EbGb: case X86_OP_ADC_EvGv: case X86_OP_ADC_GbEb: case X86_OP_ADC_GvEv:
    case X86_OP_ADC_ALIb: case X86_OP_ADC_rAXIz: case X86_OP_SBB_EbGb: case X86_OP_SBB_EvGv:
    case X86_OP_SBB_GbEb: case X86_OP_SBB_GvEv: case X86_OP_SBB_ALIb: case X86_OP_SBB_rAXIz:
    case X86_OP_CMC:
        *reads = X86_CF;
        break;
    case X86_OP_GRP1_EbIb: case X86_OP_GRP1_EvIz: case X86_OP_GRP1_EvIbs:
        if (digit == 2 || digit == 3)
            *reads = X86_CF;
        if (digit == 1 || digit == 4 || digit == 6)
            *undef = X86_AF;
        break;
    case X86_OP_OR_EbGb: case X86_OP_OR_EvGv: case X86_OP_OR_GbEb: case X86_OP_OR_GvEv:
    case X86_OP_OR_ALIb: case X86_OP_OR_rAXIz: case X86_OP_AND_EbGb: case X86_OP_AND_EvGv:
    case X86_OP_AND_GbEb: case X86_OP_AND_GvEv: case X86_OP_AND_ALIb: case X86_OP_AND_rAXIz:
    case X86_OP_XOR_EbGb: case X86_OP_XOR_EvGv: case X86_OP_XOR_GbEb: case X86_OP_XOR_GvEv:
    case X86_OP_XOR_ALIb: case X86_OP_XOR_rAXIz: case X86_OP_TEST_EbGb: case X86_OP_TEST_EvGv:
    case X86_OP_TEST_ALIb: case X86_OP_TEST_rAXIz: case X86_OP_TEST_EbIb: case X86_OP_TEST_EvIz:
        *undef = X86_AF;
        break;
    case X86_OP_SHIFT_EbIb: case X86_OP_SHIFT_EvIb: case X86_OP_SHIFT_Eb1: case X86_OP_SHIFT_Ev1:
    case X86_OP_SHIFT_EbCL: case X86_OP_SHIFT_EvCL:
        if (digit == 2 || digit == 3)
            *reads = X86_CF;
        *undef = digit < 4 ? X86_OF : X86_OF | X86_AF;
        break;
    case X86_OP_SHLD_Ib: case X86_OP_SHLD_CL: case X86_OP_SHRD_Ib: case X86_OP_SHRD_CL:
        *undef = X86_OF | X86_AF;
        break;
    case X86_OP_MULDIV_Eb: case X86_OP_MULDIV_Ev:
        *undef = digit >= 6 ? X86_FLAGS_ARITH : X86_SF | X86_ZF | X86_AF | X86_PF;
        break;
    case X86_OP_IMUL_GvEvIz: case X86_OP_IMUL_GvEvIbs: case X86_OP_IMUL_GvEv:
        *undef = X86_SF | X86_ZF | X86_AF | X86_PF;
        break;
    case X86_OP_BT_EvGv: case X86_OP_BTS_EvGv: case X86_OP_BTR_EvGv: case X86_OP_BTC_EvGv:
    case X86_OP_BT_EvIb: case X86_OP_BTx_EvIb:
        *undef = X86_OF | X86_SF | X86_AF | X86_PF;
        break;
    case X86_OP_BSF: case X86_OP_BSR:
        *undef = X86_CF | X86_OF | X86_SF | X86_AF | X86_PF;
        break;
    case X86_OP_CMPXCHG8B:
        /* only ZF changes (SDM); QEMU 7.2 recomputes the others from a stale state */
        *undef = X86_FLAGS_ARITH & ~X86_ZF;
        break;
    case X86_OP_TZCNT: case X86_OP_LZCNT:
        *undef = X86_OF | X86_SF | X86_AF | X86_PF;
        break;
    case X86_OP_SETcc: case X86_OP_CMOVcc: case X86_OP_Jcc_Jb: case X86_OP_Jcc_Jz:
    case X86_OP_PUSHF:
        *reads = CMP_FLAGS;
        break;
    case X86_OP_LOOPE: case X86_OP_LOOPNE:
        *reads = X86_ZF;
        break;
    case X86_OP_ADX:
        *reads = X86_CF | X86_OF;         /* one of them, by the prefix */
        break;
    case X86_OP_VEX_ANDN: case X86_OP_VEX_BLSx: case X86_OP_VEX_BZHI:
        *undef = X86_AF | X86_PF;
        break;
    case X86_OP_VEX_BEXTR:
        *undef = X86_AF | X86_SF | X86_PF;
        break;
    case X86_OP_X87_DA: case X86_OP_X87_DB:
        if (digit < 4)
            *reads = X86_CF | X86_ZF | X86_PF;     /* FCMOVcc (register forms) */
        break;
    case X86_OP_LAHF:
        *reads = X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF;
        break;
    case X86_OP_DAA: case X86_OP_DAS:
        *reads = X86_CF | X86_AF;
        *undef = X86_OF;
        break;
    case X86_OP_AAA: case X86_OP_AAS:
        *reads = X86_AF;
        *undef = X86_OF | X86_SF | X86_ZF | X86_PF;
        break;
    case X86_OP_AAM: case X86_OP_AAD:
        *undef = X86_OF | X86_AF | X86_CF;
        break;
    default:
        break;
    }
}

/* Flags an instruction writes (so a poisoned flag it writes is defined again). */
static uint32_t flags_written(const X86Form *f, unsigned digit)
{
    switch (f->op) {
    case X86_OP_INCDEC_Eb: case X86_OP_INCDEC_Ev: case X86_OP_INC_r: case X86_OP_DEC_r:
        return X86_FLAGS_ARITH & ~X86_CF;
    case X86_OP_NOTNEG_Eb: case X86_OP_NOTNEG_Ev:
        return digit == 3 ? X86_FLAGS_ARITH : 0;
    case X86_OP_CMPXCHG8B:
        return X86_ZF;
    case X86_OP_SAHF:
        return X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF;
    case X86_OP_CLC: case X86_OP_STC: case X86_OP_CMC:
        return X86_CF;
    case X86_OP_CLD: case X86_OP_STD:
        return X86_DF;
    case X86_OP_SHIFT_EbIb: case X86_OP_SHIFT_EvIb: case X86_OP_SHIFT_Eb1: case X86_OP_SHIFT_Ev1:
    case X86_OP_SHIFT_EbCL: case X86_OP_SHIFT_EvCL: case X86_OP_SHLD_Ib: case X86_OP_SHLD_CL:
    case X86_OP_SHRD_Ib: case X86_OP_SHRD_CL:
        return 0;         /* a zero count writes nothing: never counted as defining */
    default:
        break;
    }
    const char *n = x86_op_names[f->op];
    static const char *const arith[] = { "ADD_", "OR_", "ADC_", "SBB_", "AND_", "SUB_", "XOR_",
                                         "DAA", "DAS", "AAA", "AAS", "AAM", "AAD",
                                         "CMP_", "GRP1_", "TEST_", "MULDIV_", "IMUL_", "BSF",
                                         "BSR", "TZCNT", "LZCNT", "POPCNT", "XADD_",
                                         "CMPXCHG_", "VEX_ANDN", "VEX_BLSx", "VEX_BZHI",
                                         "VEX_BEXTR" };
    for (size_t i = 0; i < sizeof arith / sizeof arith[0]; i++)
        if (!strncmp(n, arith[i], strlen(arith[i])))
            return X86_FLAGS_ARITH;
    return 0;
}

static const X86Form *cands[X86_OP_COUNT];
static int ncands;

static void init_candidates(void)
{
    for (int i = 0; i < X86_OP_COUNT; i++) {
        const X86Form *f = &x86_forms[i];
        if ((f->flags & X86_F_NOFUZZ) || !(f->modes & (mode32 ? X86_MODE_LEGACY : X86_MODE_64)))
            continue;
        if (mode32 && (f->op == X86_OP_ENTER || f->op == X86_OP_LEAVE || f->op == X86_OP_POPA))
            continue;         /* they move EBP, the scratch base */
        /* targets from registers or the stack would be random */
        if (f->op == X86_OP_RET || f->op == X86_OP_RET_Iw || f->op == X86_OP_JMP_Ev ||
            f->op == X86_OP_CALL_Ev)
            continue;
        /* QEMU 7.2's CMPXCHG8B/16B recomputes RFLAGS from a stale state (DF and IOPL
         * included: a misaligned CMPXCHG16B aborts QEMU); tests/unit/test_x86_isa.c has it */
        if (f->op == X86_OP_CMPXCHG8B)
            continue;
        if (opt_only && strncmp(x86_op_names[f->op], opt_only, strlen(opt_only)))
            continue;
        bool native = !strcmp(opt_qemu, "native");
        /* x87 against QEMU 7.2: its precision control rounds loads, it has no C1 round-up
         * and no stack faults; the x87 is compared with the host's own FPU (--qemu native) */
        if (!native && !strncmp(x86_op_names[f->op], "X87", 3))
            continue;
        /* ADCX/ADOX: QEMU 7.2's lazy flags for them go wrong (and can abort it) */
        if (!native && f->op == X86_OP_ADX)
            continue;
        /* RCPPS/RSQRTPS: approximations whose bits are the CPU's own */
        if (native && f->op == X86_OP_SSE_RCP)
            continue;
        cands[ncands++] = f;
    }
}

/* A register operand: anything but RSP (the stack) and R15 (the scratch base). */
static unsigned pick_reg(Rng *r)
{
    static const uint8_t regs[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    static const uint8_t regs32[] = { 0, 1, 2, 3, 6, 7 };        /* not ESP, EBP */
    if (mode32)
        return regs32[rng_below(r, sizeof regs32)];
    return regs[rng_below(r, sizeof regs)];
}

static void emit_setup(Seq *s, const uint8_t *b, unsigned len)
{
    Item *it = &s->it[s->n++];
    memset(it, 0, sizeof *it);
    memcpy(it->b, b, len);
    it->len = (uint8_t)len;
    it->rel_at = it->rip_at = -1;
    it->op = 0xffff;
}

/* LEA reg64, [R15 + d8] */
static void setup_lea_r15(Seq *s, unsigned reg, int8_t d8)
{
    if (mode32) {                             /* LEA reg32, [EBP + d8] */
        uint8_t b3[3] = { 0x8d, (uint8_t)(0x45 | (reg << 3)), (uint8_t)d8 };
        emit_setup(s, b3, 3);
        return;
    }
    uint8_t b[4] = { (uint8_t)(0x49 | (reg >= 8 ? 4 : 0)), 0x8d,
                     (uint8_t)(0x47 | ((reg & 7) << 3)), (uint8_t)d8 };
    emit_setup(s, b, 4);
}

static int64_t random_value(Rng *r)
{
    static const uint64_t special[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
                                        0x7fffffffffffffffULL, 0x8000000000000000ULL,
                                        ~0ULL, ~0ULL - 1 };
    switch (rng_below(r, 4)) {
    case 0: return (int64_t)special[rng_below(r, sizeof special / sizeof special[0])];
    case 1: return (int64_t)rng_below(r, 64) - 32;
    default: return (int64_t)rng_next(r);
    }
}

/* Inserts byte v at position p of it (fields after p move along). */
static void insert_byte(Item *it, unsigned p, uint8_t v)
{
    memmove(it->b + p + 1, it->b + p, it->len - p);
    it->b[p] = v;
    it->len++;
    if (it->rel_at >= (int)p)
        it->rel_at++;
    if (it->rip_at >= (int)p)
        it->rip_at++;
}

/* Prefixes that change nothing, to check the decoder's prefix rules against QEMU's: a
 * repeated 66 or 67 (if there is one), segment overrides (CS/DS/ES/SS are ignored in 64-bit
 * mode; FS and GS have base 0 here), F2/F3 on forms that take no mandatory prefix (rep_ok;
 * reserved by the SDM, ignored by QEMU and hvsim, not by every CPU: an AMD EPYC runs F3 E0
 * as LOOPE, so never against --qemu native), a second REX before the real one (the last REX
 * counts). At most 15 bytes. */
static void add_junk_prefixes(Rng *r, Item *it, unsigned legacy_end, bool has_rex, bool p66,
                              bool a32, bool rep_ok)
{
    static const uint8_t segs64[] = { 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65 };
    /* 32-bit mode: DS, ES, SS only (a CS write faults on hvsim, not under QEMU user; FS/GS
     * are not flat there) */
    static const uint8_t segs32[] = { 0x3e, 0x26, 0x36, 0x3e, 0x26, 0x36 };
    const uint8_t *segs = mode32 ? segs32 : segs64;
    unsigned k = 1 + rng_below(r, 3);
    for (unsigned i = 0; i < k && it->len < 15; i++) {
        uint8_t v;
        switch (rng_below(r, 5)) {
        case 0: v = p66 ? 0x66 : segs[rng_below(r, 6)]; break;
        case 1: v = a32 ? 0x67 : segs[rng_below(r, 6)]; break;
        case 2: v = rep_ok ? (rng_below(r, 2) ? 0xf3 : 0xf2) : 0x3e; break;
        case 3:
            if (has_rex && !mode32) {                    /* an extra REX, overridden by the real one */
                insert_byte(it, legacy_end, (uint8_t)(0x40 | rng_below(r, 16)));
                continue;
            }
            v = segs[0];
            break;
        default: v = segs[rng_below(r, 6)]; break;
        }
        unsigned p = rng_below(r, legacy_end + 1);
        insert_byte(it, p, v);
        legacy_end++;
    }
}

/* The x87 stack an instance needs and leaves: *need registers in use, *delta pushes minus
 * pops, *reset (FNINIT); false for what the tester leaves out (FLDCW: random masks would
 * unmask exceptions; FFREE/FFREEP/FINCSTP/FDECSTP: holes in the stack; reserved forms). */
static bool x87_effect(const X86Form *f, unsigned digit, unsigned rm, bool mem, unsigned *need,
                       int *delta, bool *reset)
{
    unsigned k = rm + 1 > 1 ? rm + 1 : 1;
    *need = 0;
    *delta = 0;
    *reset = false;
    switch (f->op) {
    case X86_OP_X87_D8: case X86_OP_X87_DC: case X86_OP_X87_DA: case X86_OP_X87_DE:
        if (mem) {
            *need = 1;
            *delta = digit == 3 ? -1 : 0;
            return true;
        }
        if (f->op == X86_OP_X87_DA) {
            if (digit < 4) { *need = k; return true; }
            if (digit == 5 && rm == 1) { *need = 2; *delta = -2; return true; }
            return false;
        }
        if (f->op == X86_OP_X87_DE) {
            if (digit == 3) {
                if (rm != 1)
                    return false;
                *need = 2;
                *delta = -2;
                return true;
            }
            *need = k;
            *delta = -1;
            return true;
        }
        *need = k;
        *delta = digit == 3 ? -1 : 0;
        return true;
    case X86_OP_X87_D9_LD:
        if (mem) {
            if (digit == 1)
                return false;
            *need = digit ? 1 : 0;
            *delta = digit == 0 ? 1 : digit == 3 ? -1 : 0;
            return true;
        }
        if (digit == 2 && rm)
            return false;
        *need = digit == 2 ? 0 : k;
        *delta = digit == 0 ? 1 : digit == 3 ? -1 : 0;
        return true;
    case X86_OP_X87_D9_REG: {
        unsigned code = 0xc0 | (digit << 3) | rm;
        switch (code) {
        case 0xe0: case 0xe1: case 0xe4: case 0xfa: case 0xfc: *need = 1; return true;
        case 0xe5: return true;
        case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
            *delta = 1;
            return true;
        case 0xf4: *need = 1; *delta = 1; return true;
        case 0xfd: case 0xf5: case 0xf8: *need = 2; return true;
        default: return false;
        }
    }
    case X86_OP_X87_STCW:
        return true;
    case X86_OP_X87_DB:
        if (mem) {
            if (digit == 4 || digit == 6)
                return false;
            *need = (digit == 0 || digit == 5) ? 0 : 1;
            *delta = (digit == 0 || digit == 5) ? 1 : digit == 2 ? 0 : -1;
            return true;
        }
        if (digit < 4 || digit == 5 || digit == 6) { *need = k; return true; }
        if (digit == 4 && rm <= 4) { *reset = rm == 3; return true; }
        return false;
    case X86_OP_X87_DD_LD:
        if (mem) {
            *need = digit ? 1 : 0;
            *delta = digit == 0 ? 1 : (digit == 1 || digit == 3) ? -1 : 0;
            return true;
        }
        if (digit == 0)
            return false;
        *need = k;
        *delta = digit == 3 ? -1 : 0;
        return true;
    case X86_OP_X87_DD_UCOM:
        *need = k;
        *delta = digit == 5 ? -1 : 0;
        return true;
    case X86_OP_X87_DF:
        if (mem) {
            bool push = digit == 0 || digit == 4 || digit == 5;
            *need = push ? 0 : 1;
            *delta = push ? 1 : digit == 2 ? 0 : -1;
            return true;
        }
        if (digit == 0 || digit == 7 || digit == 4)
            return false;         /* FFREEP; FNSTSW AX (C1, see fsw_out) */
        *need = digit == 4 ? 0 : k;
        *delta = (digit == 2 || digit == 3 || digit >= 5) ? -1 : 0;
        return true;
    default:
        return false;             /* FLDCW and the nofuzz ones */
    }
}

/* Encodes one random instance of f (after the setup it needs); false: not drawn now. */
static bool gen_insn(Rng *r, Seq *s, const X86Form *f)
{
    unsigned digit = 0;
    if (f->flags & X86_F_MODRM) {
        unsigned opts[8], no = 0;
        for (unsigned i = 0; i < 8; i++)
            if (f->regmask & (1u << i))
                opts[no++] = i;
        digit = opts[rng_below(r, no)];
    }
    /* BLSI: QEMU 7.2 computes its CF wrongly (the SDM and the hardware: CF = source != 0) */
    if (f->op == X86_OP_VEX_BLSx && digit == 3 && strcmp(opt_qemu, "native"))
        return false;
    /* F6/F7 /1 is TEST on Intel and AMD parts (hvsim runs it) but #UD in QEMU */
    if ((f->op == X86_OP_TEST_EbIb || f->op == X86_OP_TEST_EvIz) && digit == 1)
        return false;
    uint32_t reads, undef;
    flag_info(f, digit, &reads, &undef);
    if (reads & s->poison)
        return false;
    if (s->n + 4 > MAX_ITEMS)
        return false;
    uint8_t op = (uint8_t)(f->lo + rng_below(r, f->hi - f->lo + 1u));
    /* x87: the transcendental functions (double precision here, QEMU's own approximations
     * there) and FPREM/FPREM1 (an incomplete reduction's step is implementation-defined) */
    int force_rm = -1, x87_mem = 0;       /* x87: 1 memory form, 2 register form */
    if (f->op == X86_OP_X87_D9_REG && (digit == 6 || digit == 7)) {
        unsigned low = rng_below(r, 8), code = 0xc0 | (digit << 3) | low;
        force_rm = (int)low;
        bool rem = code == 0xf5 || code == 0xf8;
        if (code != 0xf4 && code != 0xf6 && code != 0xf7 && code != 0xfa && code != 0xfc &&
            code != 0xfd && !(rem && opt_rem))
            return false;
    }
    /* x87 against MMX: QEMU 7.2 leaves an MMX register's exponent as it was (the SDM sets it
     * to all ones), so a sequence uses one or the other; x87 stack faults are QEMU's own
     * business too (it does not model them), so the tester keeps the stack in range */
    bool x87 = !strncmp(x86_op_names[f->op], "X87", 3);
    bool mmxf = !strncmp(x86_op_names[f->op], "MMX", 3) || f->op == X86_OP_SSE_CVTPI2P ||
                f->op == X86_OP_SSE_CVTP2PI;
    if ((x87 && s->uses_mmx) || (mmxf && s->uses_x87) || (x87 && s->shadow))
        return false;
    unsigned x87_rm = force_rm >= 0 ? (unsigned)force_rm : rng_below(r, 8);
    if (x87) {
        bool is_mem = f->mod == 2 || (f->mod == 0 && rng_below(r, 2));
        unsigned need;
        int delta;
        bool reset;
        if (!x87_effect(f, digit, x87_rm, is_mem, &need, &delta, &reset))
            return false;
        if ((int)need > s->x87_depth || s->x87_depth + delta > 8 || s->x87_depth + delta < 0)
            return false;
        s->x87_depth = reset ? 0 : s->x87_depth + delta;
        force_rm = (int)x87_rm;
        x87_mem = is_mem ? 1 : 2;
        s->uses_x87 = true;
    }
    if (mmxf)
        s->uses_mmx = true;
    /* MIN/MAX under DAZ: hvsim returns the zero a denormal operand was read as, QEMU the
     * operand itself */
    if (f->op == X86_OP_SSE_ARITH_5C && (op == 0x5d || op == 0x5f) && (s->mxcsr & 0x40))
        return false;
    bool is_string = f->op == X86_OP_MOVS || f->op == X86_OP_CMPS || f->op == X86_OP_STOS ||
                     f->op == X86_OP_LODS || f->op == X86_OP_SCAS;

    /* the setup */
    if (is_string) {
        setup_lea_r15(s, X86_RSI, (int8_t)(rng_below(r, 128) - 64));
        setup_lea_r15(s, X86_RDI, (int8_t)(rng_below(r, 128) - 64));
        uint8_t b[5] = { 0xb9, (uint8_t)rng_below(r, 17), 0, 0, 0 };     /* MOV ECX, n */
        emit_setup(s, b, 5);
    } else if (f->op == X86_OP_SSE_MASKMOV || f->op == X86_OP_MMX_MASKMOVQ) {
        setup_lea_r15(s, X86_RDI, (int8_t)(rng_below(r, 128) - 64));
    } else if (f->op == X86_OP_XLAT) {
        setup_lea_r15(s, X86_RBX, -128);
    } else if (f->op == X86_OP_ENTER || f->op == X86_OP_LEAVE) {
        uint8_t b[5] = { 0x48, 0x8d, 0x6c, 0x24, (uint8_t)(8 * (rng_below(r, 9) - 4)) };
        emit_setup(s, b, 5);                                    /* LEA RBP, [RSP + d8] */
    }

    Item *it = &s->it[s->n];
    memset(it, 0, sizeof *it);
    it->rel_at = it->rip_at = -1;
    it->op = f->op;
    uint8_t *b = it->b;
    unsigned n = 0;
    bool mem = false, v = f->size == X86_SZ_V || f->size == X86_SZ_D64 || f->size == X86_SZ_F64;
    unsigned mod = 3;
    if (f->flags & X86_F_MODRM) {
        if (f->mod == 2 || (f->mod == 0 && rng_below(r, 3) == 0))
            mod = 0;          /* memory */
        if (x87_mem)
            mod = x87_mem == 1 ? 0 : 3;
        mem = mod != 3;
    }
    /* SSE forms: XMM operands (but for the GPR ones named here), aligned memory */
    const char *name = x86_op_names[f->op];
    bool sse = !strncmp(name, "SSE", 3) || !strncmp(name, "SSSE3", 5) ||
               !strncmp(name, "MMX", 3) || f->op == X86_OP_MOVNTI;
    bool gpr_reg = !sse || f->op == X86_OP_SSE_MOVMSKP || f->op == X86_OP_SSE_PMOVMSKB ||
                   f->op == X86_OP_SSE_PEXTRW || f->op == X86_OP_MOVNTI;
    bool gpr_rm = !sse || f->op == X86_OP_SSE_MOVD_TO || f->op == X86_OP_SSE_MOVD_FROM ||
                  f->op == X86_OP_SSE_PINSRW || f->op == X86_OP_SSE_CVTSI2S ||
                  f->op == X86_OP_SSE42_CRC32 || f->op == X86_OP_SSE41_PEXTR ||
                  f->op == X86_OP_SSE41_PINSRB || f->op == X86_OP_SSE41_PINSRD ||
                  f->op == X86_OP_MMX_MOVD || f->op == X86_OP_MMX_MOVD_ST ||
                  f->op == X86_OP_MMX_PINSRW;
    if (f->op == X86_OP_SSE_CVTS2SI || f->op == X86_OP_SSE42_CRC32 ||
        f->op == X86_OP_MMX_PEXTRW || f->op == X86_OP_MMX_PMOVMSKB)
        gpr_reg = true;
    /* prefixes */
    bool p66 = false, w = false;
    unsigned pfx = 0;
    if (sse && f->pfx == 0xf)
        pfx = 1u << rng_below(r, 4);      /* 0F 10/11: MOVUPS/MOVUPD/MOVSS/MOVSD */
    if (f->pfx != 0xf) {
        unsigned opts[4], no = 0;
        for (unsigned i = 0; i < 4; i++)
            if (f->pfx & (1u << i))
                opts[no++] = i;
        pfx = 1u << opts[rng_below(r, no)];
    }
    /* 66 0F 12/13/16/17 with a register operand: #UD by the SDM (memory only); QEMU runs
     * them as MOVHLPS/MOVLHPS */
    if ((f->op == X86_OP_SSE_MOVLP || f->op == X86_OP_SSE_MOVHP) && !mem && pfx == X86_PFX_66)
        return false;
    if (pfx == X86_PFX_66)
        p66 = true;
    else if (v && !sse && f->size != X86_SZ_F64 && rng_below(r, 6) == 0 && pfx != X86_PFX_NP)
        p66 = true;
    if (v && f->size == X86_SZ_V && rng_below(r, 2) && !mode32)
        w = true;
    if (f->op == X86_OP_MOVBE_GvMv || f->op == X86_OP_MOVBE_MvGv)
        w = w && !p66;        /* QEMU takes 66 over REX.W there; the SDM the other way */
    if (f->op == X86_OP_SSE42_PCMPSTR)
        w = false;            /* QEMU 7.2 reads EAX/EDX for the lengths even with REX.W */
    if (f->op == X86_OP_BSWAP && p66 && !w)
        p66 = false;          /* 16-bit BSWAP is undefined */
    if (f->op == X86_OP_MOV_rvIv && !w && rng_below(r, 2) && !mode32)
        w = true;
    /* VEX forms: the mandatory prefix goes into VEX.pp, W into VEX.W; no legacy 66/F2/F3 */
    bool vexf = (f->flags & X86_F_VEX) != 0;
    if (vexf) {
        p66 = false;
        w = !mode32 && rng_below(r, 2);
    }
    if ((f->flags & X86_F_LOCK) && mem && rng_below(r, 3) == 0)
        b[n++] = 0xf0;
    if (p66)
        b[n++] = 0x66;
    if (vexf)
        ;
    else if (pfx == X86_PFX_F3)
        b[n++] = 0xf3;
    else if (pfx == X86_PFX_F2)
        b[n++] = 0xf2;
    else if (is_string && rng_below(r, 2))
        b[n++] = rng_below(r, 2) ? 0xf3 : 0xf2;
    bool a32 = (mem || f->imm == X86_IMM_OV || is_string) && rng_below(r, 8) == 0 && !mode32;
    if (a32)
        b[n++] = 0x67;
    if (mem && rng_below(r, 16) == 0)
        b[n++] = 0x3e;        /* DS override: ignored in 64-bit mode */
    /* register numbers */
    unsigned reg = (f->flags & X86_F_MODRM) ? digit : 0, rm = 0, opreg = 0;
    bool rex_r = false, rex_b = false, rip_rel = false;
    /* the shifts take their operation from ModRM.reg (a digit, as drawn for flag_info) */
    bool digit_form = f->op == X86_OP_SHIFT_EbIb || f->op == X86_OP_SHIFT_EvIb ||
                      f->op == X86_OP_SHIFT_Eb1 || f->op == X86_OP_SHIFT_Ev1 ||
                      f->op == X86_OP_SHIFT_EbCL || f->op == X86_OP_SHIFT_EvCL;
    if ((f->flags & X86_F_MODRM) && f->regmask == 0xff && !x87 && !digit_form) {
        reg = gpr_reg ? pick_reg(r) : rng_below(r, mode32 ? 8 : 16);
        rex_r = reg >= 8;
    }
    if (f->flags & X86_F_PLUSR) {
        opreg = pick_reg(r);
        rex_b = opreg >= 8;
        op = (uint8_t)((op & ~7) | (opreg & 7));
    }
    if ((f->flags & X86_F_MODRM) && !mem) {
        rm = gpr_rm ? pick_reg(r) : rng_below(r, mode32 ? 8 : 16);
        if (force_rm >= 0)
            rm = (unsigned)force_rm;
        rex_b = rm >= 8;
    } else if (mem) {
        /* QEMU 7.2 forgets SHLD/SHRD's immediate when it adds RIP (its EA is one byte
         * short); RIP-relative operands of other forms are compared */
        rip_rel = rng_below(r, 4) == 0 && !a32 && f->op != X86_OP_SHLD_Ib &&
                  f->op != X86_OP_SHRD_Ib;
        if (!rip_rel && !mode32)
            rex_b = true;     /* [R15 + disp] */
    }
    bool rex_x = rng_below(r, 8) == 0 && !mode32;
    /* MMX register operands take no REX.R/REX.B: hardware ignores them, QEMU 7.2 indexes
     * past MM7 with them */
    bool mmx = !strncmp(name, "MMX", 3);
    bool mm_reg = (mmx && !gpr_reg && !(f->op == X86_OP_MMX_MOVQ2DQ && pfx == X86_PFX_F3)) ||
                  f->op == X86_OP_SSE_CVTP2PI;
    bool mm_rm = (mmx && !gpr_rm && !(f->op == X86_OP_MMX_MOVQ2DQ && pfx == X86_PFX_F2)) ||
                 f->op == X86_OP_SSE_CVTPI2P || !strncmp(name, "X87", 3);
    if (mm_reg) {
        reg &= 7;
        rex_r = false;
    }
    if (mm_rm && !mem) {
        rm &= 7;
        rex_b = false;
    }
    bool want_rex = !mode32 && (w || rex_r || rex_b || rex_x ||
                                (f->size == X86_SZ_B && rng_below(r, 3) == 0));
    unsigned legacy_end = n;              /* the legacy prefixes are b[0..legacy_end) */
    if (vexf) {
        /* C4 RXB.mmmmm W.vvvv.L.pp, the extra register from the GPRs too */
        unsigned vreg = f->op == X86_OP_VEX_RORX ? 0 : pick_reg(r);   /* RORX: vvvv 1111b */
        unsigned pp = pfx == X86_PFX_66 ? 1 : pfx == X86_PFX_F3 ? 2
                                                            : pfx == X86_PFX_F2 ? 3 : 0;
        b[n++] = 0xc4;
        b[n++] = (uint8_t)((rex_r ? 0 : 0x80) | 0x40 | (rex_b ? 0 : 0x20) | f->map);
        b[n++] = (uint8_t)((w ? 0x80 : 0) | ((~vreg & 15) << 3) | pp);
    } else {
        if (want_rex)
            b[n++] = (uint8_t)(0x40 | (w ? 8 : 0) | (rex_r ? 4 : 0) | (rex_x ? 2 : 0) |
                               (rex_b ? 1 : 0));
        if (f->map >= 1)
            b[n++] = 0x0f;
        if (f->map == 2)
            b[n++] = 0x38;
        else if (f->map == 3)
            b[n++] = 0x3a;
    }
    b[n++] = op;
    if (f->flags & X86_F_MODRM) {
        if (!mem) {
            b[n++] = (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7));
        } else if (rip_rel) {
            b[n++] = (uint8_t)(((reg & 7) << 3) | 5);      /* RIP + d32 ([d32] in mode32) */
            it->rip_at = (int8_t)n;
            it->rip_target = (int16_t)(SCRATCH_MID + (int)rng_below(r, 256) - 128);
            if (sse)
                it->rip_target &= ~15;
            n += 4;
        } else if (rng_below(r, 4) == 0) {
            b[n++] = (uint8_t)(0x80 | ((reg & 7) << 3) | (mode32 ? 5 : 7));   /* [base+d32] */
            int32_t d = (int32_t)rng_below(r, 512) - 256;
            if (sse)
                d &= ~15;
            memcpy(b + n, &d, 4);
            n += 4;
        } else {
            b[n++] = (uint8_t)(0x40 | ((reg & 7) << 3) | (mode32 ? 5 : 7));   /* [base+d8] */
            b[n++] = (uint8_t)(rng_next(r) & (sse ? 0xf0 : 0xff));
        }
    }
    /* the operand size, for the immediate */
    unsigned osz = f->size == X86_SZ_B ? 1 : w ? 8 : p66 ? 2 : 4;
    if (f->size == X86_SZ_D64)
        osz = p66 && !w ? 2 : mode32 ? 4 : 8;
    if (f->size == X86_SZ_F64)
        osz = mode32 ? (p66 ? 2 : 4) : 8;
    uint64_t imm = rng_next(r);
    switch (f->imm) {
    case X86_IMM_IB: case X86_IMM_IBS:
        if (f->op == X86_OP_SSE_CMP)
            imm &= 7;         /* predicates 8-31 are AVX's (QEMU: #UD) */
        b[n++] = (uint8_t)imm;
        break;
    case X86_IMM_IW:
        memcpy(b + n, &imm, 2);
        n += 2;
        break;
    case X86_IMM_IZ:
        memcpy(b + n, &imm, osz == 2 ? 2 : 4);
        n += osz == 2 ? 2 : 4;
        break;
    case X86_IMM_IV:
        if (rng_below(r, 2))
            imm = (uint64_t)random_value(r);
        memcpy(b + n, &imm, osz);
        n += osz;
        break;
    case X86_IMM_JB:
    case X86_IMM_JZ:
        it->rel_at = (int8_t)n;
        it->rel_len = f->imm == X86_IMM_JB ? 1 : 4;
        it->skip = (uint8_t)rng_below(r, 3);
        n += (unsigned)it->rel_len;
        break;
    case X86_IMM_IWIB: {
        uint16_t size = (uint16_t)rng_below(r, 64);
        memcpy(b + n, &size, 2);
        b[n + 2] = (uint8_t)rng_below(r, 4);
        n += 3;
        break;
    }
    case X86_IMM_OV: {
        /* patched with the slot's address when the image is built */
        it->rip_at = (int8_t)n;
        it->rel_len = a32 || mode32 ? 4 : 8;
        it->rip_target = (int16_t)(SCRATCH_MID + (int)rng_below(r, 256) - 128);
        n += (unsigned)it->rel_len;
        break;
    }
    default:
        break;
    }
    it->len = (uint8_t)n;
    if (rng_below(r, 4) == 0)
        add_junk_prefixes(r, it, legacy_end, want_rex && !vexf, p66, a32, !vexf &&
                          f->pfx == 0xf && !sse && !is_string && f->map != 2 &&
                          f->op != X86_OP_XCHG_rAX && strcmp(opt_qemu, "native"));
    s->n++;
    /* an instruction a branch may skip defines nothing for sure */
    uint32_t wr = s->shadow ? 0 : flags_written(f, digit);
    if (s->shadow)
        s->shadow--;
    if (it->rel_at >= 0 && it->skip > s->shadow)
        s->shadow = it->skip;
    s->poison = (s->poison & ~wr) | undef;
    return true;
}

static void gen_seq(uint64_t seed, long index, Seq *s)
{
    Rng r = { seed * 0x100000001b3ULL ^ (uint64_t)index * 0x9e3779b97f4a7c15ULL };
    rng_next(&r);
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 16; i++)
        s->in[i] = (uint64_t)random_value(&r);
    /* CF PF AF ZF SF OF and DF at random */
    s->in[16] = 2 | (rng_next(&r) & (X86_FLAGS_ARITH | (rng_below(&r, 4) == 0 ? X86_DF : 0)));
    for (int i = 0; i < 16; i++) {
        uint8_t *x = (uint8_t *)&s->xin[2 * i];
        static const uint8_t pool[] = { 0, 0xff, 0x80, 0x7f, 1, 'a', 0xfe };
        /* one QNaN per format and no SNaN: with two NaN operands QEMU 7.2 picks by the x87
         * rule (larger significand), the SDM's SSE rule (and hvsim) the first source; the
         * unit tests cover the SSE NaN rules */
        static const uint64_t dpool[] = { 0, 1ull << 63, 0x3ff0000000000000ull,
                                          0xbff8000000000000ull, 0x7ff0000000000000ull,
                                          0xfff0000000000000ull, 0x7ff8000000000000ull,
                                          0x7ff8000000000000ull, 0x0000000000000001ull,
                                          0x000fffffffffffffull, 0x0010000000000000ull,
                                          0x7fefffffffffffffull, 0x41e0000000000000ull,
                                          0xc3e0000000000000ull, 0x4330000000000001ull };
        static const uint32_t spool[] = { 0, 0x80000000u, 0x3f800000u, 0xbfc00000u,
                                          0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7fc00000u,
                                          0x00000001u, 0x007fffffu, 0x00800000u, 0x7f7fffffu,
                                          0x4f000000u, 0xcf000000u, 0x3eaaaaabu };
        switch (rng_below(&r, 6)) {
        case 4:                       /* doubles: specials or random with a sane exponent */
            for (int k = 0; k < 2; k++)
                s->xin[2 * i + k] = rng_below(&r, 2) ? dpool[rng_below(&r, 15)]
                    : (rng_next(&r) & 0x800fffffffffffffull) |
                      ((uint64_t)(0x3f0 + rng_below(&r, 32)) << 52);
            break;
        case 5:                       /* floats likewise */
            for (int k = 0; k < 4; k++) {
                uint32_t v = rng_below(&r, 2) ? spool[rng_below(&r, 15)]
                    : ((uint32_t)rng_next(&r) & 0x807fffffu) | ((0x70u + rng_below(&r, 32)) << 23);
                memcpy(x + 4 * k, &v, 4);
            }
            break;
        case 0:                       /* bytes from a small pool: equal elements, signs */
            for (int k = 0; k < 16; k++) {
                x[k] = pool[rng_below(&r, sizeof pool)];
                /* but no NaN in a float or double lane (QEMU's NaN choice, see above) */
                if (k % 4 == 3 && (x[k] & 0x7f) == 0x7f)
                    x[k] ^= 1;
            }
            break;
        case 1:                       /* a copy of a lower register */
            if (i) {
                memcpy(x, &s->xin[2 * rng_below(&r, (uint32_t)i)], 16);
                break;
            }
            /* fall through */
        default:
            for (int k = 0; k < 16; k++)
                x[k] = (uint8_t)rng_next(&r);
            break;
        }
    }
    for (int i = 0; i < 8; i++)
        s->mmin[i] = rng_below(&r, 2) ? s->xin[2 * rng_below(&r, 16)] : rng_next(&r);
    for (size_t i = 0; i < sizeof s->scratch; i++)
        s->scratch[i] = (uint8_t)rng_next(&r);
    for (size_t i = 0; i < sizeof s->stack; i++)
        s->stack[i] = (uint8_t)rng_next(&r);
    /* x87: FCW with any rounding and precision (every exception masked), 0-4 values pushed */
    static const unsigned pcs[3] = { 0, 2, 3 };
    s->fcw = (uint16_t)(0x037f & ~0xf00u) | (uint16_t)(rng_below(&r, 4) << 10) |
             (uint16_t)(pcs[rng_below(&r, 3)] << 8);
    s->x87_depth0 = s->x87_depth = (int)rng_below(&r, 5);
    for (int k = 0; k < 4; k++) {
        uint64_t m;
        uint16_t se;
        switch (rng_below(&r, 6)) {
        case 0: m = 0; se = (uint16_t)(rng_below(&r, 2) << 15); break;              /* zero */
        case 1: m = 1ull << 63; se = 0x7fff | (uint16_t)(rng_below(&r, 2) << 15); break;
        case 2: m = rng_next(&r) >> 1; se = (uint16_t)(rng_below(&r, 2) << 15); break;  /* denormal */
        default:
            m = rng_next(&r) | (1ull << 63);
            se = (uint16_t)((0x3fff - 70 + rng_below(&r, 140)) | (rng_below(&r, 2) << 15));
            break;
        }
        memcpy(s->x87in[k], &m, 8);
        memcpy(s->x87in[k] + 8, &se, 2);
    }
    /* MXCSR: every exception masked; any rounding; sometimes DAZ or FTZ */
    s->mxcsr = 0x1f80 | (rng_below(&r, 4) << 13) | (rng_below(&r, 8) ? 0 : 0x40) |
               (rng_below(&r, 8) ? 0 : 0x8000);
    int want = 1 + (int)rng_below(&r, MAX_SEQ);
    for (int k = 0, tries = 0; k < want && tries < 100 && (!opt_cut || s->n < opt_cut); tries++)
        if (gen_insn(&r, s, cands[rng_below(&r, (uint32_t)ncands)]))
            k++;
}

/* ---- the image ------------------------------------------------------------------------- */
typedef struct Image {
    uint8_t *buf;
    size_t size;
    uint64_t data;            /* address of slot 0's data */
    long nslots;
} Image;

static uint64_t slot_code(long i) { return IMG_BASE + OFF_SLOTS + (uint64_t)i * SLOT_CODE; }
static uint64_t slot_data(const Image *im, long i) { return im->data + (uint64_t)i * SLOT_DATA; }

static uint8_t *put(uint8_t *p, const void *b, size_t n)
{
    memcpy(p, b, n);
    return p + n;
}
static uint8_t *put32(uint8_t *p, uint32_t v) { return put(p, &v, 4); }
static uint8_t *put64(uint8_t *p, uint64_t v) { return put(p, &v, 8); }

static bool build_slot32(Image *im, long i, const Seq *s);

/* Lays out one slot's code and data; returns false if the sequence's code is too long. */
static bool build_slot(Image *im, long i, const Seq *s)
{
    if (mode32)
        return build_slot32(im, i, s);
    uint8_t *code = im->buf + (slot_code(i) - IMG_BASE), *p = code;
    uint64_t data = slot_data(im, i);
    uint8_t *dp = im->buf + (data - IMG_BASE);
    memcpy(dp + D_IN, s->in, sizeof s->in);
    memcpy(dp + D_XIN, s->xin, sizeof s->xin);
    memcpy(dp + D_MXIN, &s->mxcsr, 4);
    memcpy(dp + D_MMIN, s->mmin, sizeof s->mmin);
    memcpy(dp + D_FCWIN, &s->fcw, 2);
    memcpy(dp + D_X87IN, s->x87in, sizeof s->x87in);
    ((uint64_t *)(dp + D_IN))[X86_RSP] = data + STACK_MID;
    ((uint64_t *)(dp + D_IN))[X86_R15] = data + SCRATCH_MID;
    memcpy(dp + D_SCRATCH, s->scratch, sizeof s->scratch);
    memcpy(dp + D_STACK, s->stack, sizeof s->stack);
    /* prologue: record the slot, pop the registers and RFLAGS off the input record */
    p = put(p, "\x48\xc7\x04\x25", 4);
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put32(p, (uint32_t)i);
    for (unsigned r = 0; r < 16; r++) {                    /* MOVDQU XMMr, [in] */
        *p++ = 0xf3;
        if (r >= 8)
            *p++ = 0x44;
        p = put(p, (uint8_t[]){ 0x0f, 0x6f, (uint8_t)(((r & 7) << 3) | 4), 0x25 }, 4);
        p = put32(p, (uint32_t)(data + D_XIN + 16 * r));
    }
    for (unsigned r = 0; r < 8; r++) {                     /* MOVQ MMr, [in] */
        p = put(p, (uint8_t[]){ 0x0f, 0x6f, (uint8_t)((r << 3) | 4), 0x25 }, 4);
        p = put32(p, (uint32_t)(data + D_MMIN + 8 * r));
    }
    p = put(p, "\xdb\xe3\xd9\x2c\x25", 5);             /* FNINIT; FLDCW [in] */
    p = put32(p, (uint32_t)(data + D_FCWIN));
    for (int k = 0; k < s->x87_depth0; k++) {              /* FLD m80 [in] */
        p = put(p, "\xdb\x2c\x25", 3);
        p = put32(p, (uint32_t)(data + D_X87IN + 10 * (unsigned)k));
    }
    p = put(p, "\x0f\xae\x14\x25", 4);                  /* LDMXCSR [in] */
    p = put32(p, (uint32_t)(data + D_MXIN));
    p = put(p, "\x48\xbc", 2);
    p = put64(p, data + D_IN);
    for (unsigned r = 0; r < 16; r++) {
        if (r == X86_RSP)
            p = put(p, "\x48\x83\xc4\x08", 4);
        else if (r < 8)
            *p++ = (uint8_t)(0x58 + r);
        else
            p = put(p, (uint8_t[]){ 0x41, (uint8_t)(0x58 + r - 8) }, 2);
    }
    *p++ = 0x9d;                                    /* POPFQ */
    p = put(p, "\x48\xbc", 2);                      /* MOV RSP, stack */
    p = put64(p, data + STACK_MID);
    /* the sequence; then branch displacements and RIP-relative fields */
    uint8_t *start[MAX_ITEMS + 1];
    for (int k = 0; k < s->n; k++) {
        start[k] = p;
        p = put(p, s->it[k].b, s->it[k].len);
    }
    start[s->n] = p;
    for (int k = 0; k < s->n; k++) {
        const Item *it = &s->it[k];
        uint8_t *next = start[k] + it->len;
        if (it->rel_at >= 0 && it->op != 0xffff && (x86_forms[it->op].imm == X86_IMM_JB ||
                                                    x86_forms[it->op].imm == X86_IMM_JZ)) {
            int t = k + 1 + it->skip;
            if (t > s->n)
                t = s->n;
            int64_t rel = start[t] - next;
            if (it->rel_len == 1) {
                if (rel > 127)
                    rel = 0;
                start[k][it->rel_at] = (uint8_t)rel;
            } else {
                memcpy(start[k] + it->rel_at, &(int32_t){ (int32_t)rel }, 4);
            }
        }
        if (it->rip_at >= 0) {
            uint64_t target = data + (uint64_t)(int64_t)it->rip_target;
            if (it->op != 0xffff && x86_forms[it->op].imm == X86_IMM_OV) {
                memcpy(start[k] + it->rip_at, &target, (size_t)it->rel_len);
            } else {
                uint64_t ip = slot_code(i) + (uint64_t)(next - code);
                memcpy(start[k] + it->rip_at, &(int32_t){ (int32_t)(target - ip) }, 4);
            }
        }
    }
    /* epilogue: store the registers, then RFLAGS through a stack outside the data */
    for (unsigned r = 0; r < 16; r++) {
        p = put(p, (uint8_t[]){ (uint8_t)(0x48 | (r >= 8 ? 4 : 0)), 0x89,
                                (uint8_t)(((r & 7) << 3) | 4), 0x25 }, 4);
        p = put32(p, (uint32_t)(data + D_OUT + 8 * r));
    }
    for (unsigned r = 0; r < 16; r++) {                    /* MOVDQU [out], XMMr */
        *p++ = 0xf3;
        if (r >= 8)
            *p++ = 0x44;
        p = put(p, (uint8_t[]){ 0x0f, 0x7f, (uint8_t)(((r & 7) << 3) | 4), 0x25 }, 4);
        p = put32(p, (uint32_t)(data + D_XOUT + 16 * r));
    }
    /* x87: FNSTSW [out]; FNCLEX; FLDCW [0x37F]; FSTP m80 [out] for the registers in use,
     * before the MMX stores make every tag valid */
    p = put(p, "\xdd\x3c\x25", 3);
    p = put32(p, (uint32_t)(data + D_FSWOUT));
    p = put(p, "\xdb\xe2\xd9\x2c\x25", 5);
    p = put32(p, (uint32_t)(IMG_BASE + OFF_FCW));
    for (int r = 0; r < s->x87_depth; r++) {              /* only the registers in use */
        p = put(p, "\xdb\x3c\x25", 3);
        p = put32(p, (uint32_t)(data + D_STOUT + 10 * (unsigned)r));
    }
    for (unsigned r = 0; r < 8; r++) {                     /* MOVQ [out], MMr */
        p = put(p, (uint8_t[]){ 0x0f, 0x7f, (uint8_t)((r << 3) | 4), 0x25 }, 4);
        p = put32(p, (uint32_t)(data + D_MMOUT + 8 * r));
    }
    p = put(p, "\x0f\xae\x1c\x25", 4);                  /* STMXCSR [out] */
    p = put32(p, (uint32_t)(data + D_MXOUT));
    p = put(p, "\x48\xbc", 2);
    p = put64(p, IMG_BASE + OFF_GSTACK);
    p = put(p, "\x9c\x58\x48\x89\x04\x25", 6);      /* PUSHFQ; POP RAX; MOV [out], RAX */
    p = put32(p, (uint32_t)(data + D_OUT + 128));
    *p++ = 0xe9;                                    /* JMP next slot */
    uint64_t after = slot_code(i) + (uint64_t)(p + 4 - code);
    p = put32(p, (uint32_t)(slot_code(i + 1) - after));
    return p - code <= SLOT_CODE;
}

/* Places the sequence at p (branch displacements and absolute/RIP-relative fields
 * patched); returns the end. */
static uint8_t *place_seq(uint8_t *code, uint8_t *p, long i, uint64_t data, const Seq *s)
{
    uint8_t *start[MAX_ITEMS + 1];
    for (int k = 0; k < s->n; k++) {
        start[k] = p;
        p = put(p, s->it[k].b, s->it[k].len);
    }
    start[s->n] = p;
    for (int k = 0; k < s->n; k++) {
        const Item *it = &s->it[k];
        uint8_t *next = start[k] + it->len;
        if (it->rel_at >= 0 && it->op != 0xffff && (x86_forms[it->op].imm == X86_IMM_JB ||
                                                    x86_forms[it->op].imm == X86_IMM_JZ)) {
            int t = k + 1 + it->skip;
            if (t > s->n)
                t = s->n;
            int64_t rel = start[t] - next;
            if (it->rel_len == 1)
                start[k][it->rel_at] = (uint8_t)(rel > 127 ? 0 : rel);
            else
                memcpy(start[k] + it->rel_at, &(int32_t){ (int32_t)rel }, 4);
        }
        if (it->rip_at >= 0) {
            uint64_t target = data + (uint64_t)(int64_t)it->rip_target;
            if ((it->op != 0xffff && x86_forms[it->op].imm == X86_IMM_OV))
                memcpy(start[k] + it->rip_at, &target, (size_t)it->rel_len);
            else if (mode32)
                memcpy(start[k] + it->rip_at, &(uint32_t){ (uint32_t)target }, 4);
            else
                memcpy(start[k] + it->rip_at,
                       &(int32_t){ (int32_t)(target - (slot_code(i) + (uint64_t)(next - code))) },
                       4);
        }
    }
    return p;
}

/* The 32-bit slot: the same layout, registers as 32-bit values (input packed, output in
 * the low halves of the 64-bit record), XMM0-7, absolute addressing (mod 0, r/m 5). */
static bool build_slot32(Image *im, long i, const Seq *s)
{
    uint8_t *code = im->buf + (slot_code(i) - IMG_BASE), *p = code;
    uint64_t data = slot_data(im, i);
    uint8_t *dp = im->buf + (data - IMG_BASE);
    for (int r = 0; r < 8; r++) {
        uint32_t v = (uint32_t)s->in[r];
        if (r == X86_RSP)
            v = (uint32_t)(data + STACK_MID);
        if (r == X86_RBP)
            v = (uint32_t)(data + SCRATCH_MID);
        memcpy(dp + D_IN + 4 * r, &v, 4);
    }
    memcpy(dp + D_IN + 32, &(uint32_t){ (uint32_t)s->in[16] }, 4);
    memcpy(dp + D_XIN, s->xin, 128);
    memcpy(dp + D_MXIN, &s->mxcsr, 4);
    memcpy(dp + D_MMIN, s->mmin, sizeof s->mmin);
    memcpy(dp + D_FCWIN, &s->fcw, 2);
    memcpy(dp + D_X87IN, s->x87in, sizeof s->x87in);
    memcpy(dp + D_SCRATCH, s->scratch, sizeof s->scratch);
    memcpy(dp + D_STACK, s->stack, sizeof s->stack);
    p = put(p, "\xc7\x05", 2);                            /* MOV [cur], i */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put32(p, (uint32_t)i);
    for (unsigned r = 0; r < 8; r++) {
        p = put(p, (uint8_t[]){ 0x0f, 0x6f, (uint8_t)((r << 3) | 5) }, 3);   /* MOVQ MMr */
        p = put32(p, (uint32_t)(data + D_MMIN + 8 * r));
        p = put(p, (uint8_t[]){ 0xf3, 0x0f, 0x6f, (uint8_t)((r << 3) | 5) }, 4); /* MOVDQU */
        p = put32(p, (uint32_t)(data + D_XIN + 16 * r));
    }
    p = put(p, "\xdb\xe3\xd9\x2d", 4);                   /* FNINIT; FLDCW [in] */
    p = put32(p, (uint32_t)(data + D_FCWIN));
    for (int k = 0; k < s->x87_depth0; k++) {
        p = put(p, "\xdb\x2d", 2);                         /* FLD m80 [in] */
        p = put32(p, (uint32_t)(data + D_X87IN + 10 * (unsigned)k));
    }
    p = put(p, "\x0f\xae\x15", 3);                        /* LDMXCSR */
    p = put32(p, (uint32_t)(data + D_MXIN));
    *p++ = 0xbc;                                            /* MOV ESP, in */
    p = put32(p, (uint32_t)(data + D_IN));
    for (unsigned r = 0; r < 8; r++) {
        if (r == X86_RSP)
            p = put(p, "\x83\xc4\x04", 3);
        else
            *p++ = (uint8_t)(0x58 + r);
    }
    *p++ = 0x9d;                                            /* POPFD */
    *p++ = 0xbc;
    p = put32(p, (uint32_t)(data + STACK_MID));
    p = place_seq(code, p, i, data, s);
    for (unsigned r = 0; r < 8; r++) {                      /* MOV [out], reg */
        p = put(p, (uint8_t[]){ 0x89, (uint8_t)((r << 3) | 5) }, 2);
        p = put32(p, (uint32_t)(data + D_OUT + 8 * r));
    }
    p = put(p, "\xdd\x3d", 2);                             /* FNSTSW [out] */
    p = put32(p, (uint32_t)(data + D_FSWOUT));
    p = put(p, "\xdb\xe2\xd9\x2d", 4);                   /* FNCLEX; FLDCW [0x37F] */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_FCW));
    for (int r = 0; r < s->x87_depth; r++) {               /* FSTP m80 [out] */
        p = put(p, "\xdb\x3d", 2);
        p = put32(p, (uint32_t)(data + D_STOUT + 10 * (unsigned)r));
    }
    for (unsigned r = 0; r < 8; r++) {
        p = put(p, (uint8_t[]){ 0x0f, 0x7f, (uint8_t)((r << 3) | 5) }, 3);
        p = put32(p, (uint32_t)(data + D_MMOUT + 8 * r));
        p = put(p, (uint8_t[]){ 0xf3, 0x0f, 0x7f, (uint8_t)((r << 3) | 5) }, 4);
        p = put32(p, (uint32_t)(data + D_XOUT + 16 * r));
    }
    p = put(p, "\x0f\xae\x1d", 3);                        /* STMXCSR */
    p = put32(p, (uint32_t)(data + D_MXOUT));
    *p++ = 0xbc;
    p = put32(p, (uint32_t)(IMG_BASE + OFF_GSTACK));
    p = put(p, "\x9c\x58\x89\x05", 4);                   /* PUSHFD; POP EAX; MOV [out] */
    p = put32(p, (uint32_t)(data + D_OUT + 128));
    *p++ = 0xe9;
    uint64_t after = slot_code(i) + (uint64_t)(p + 4 - code);
    p = put32(p, (uint32_t)(slot_code(i + 1) - after));
    return p - code <= SLOT_CODE;
}

/* i386 Linux: int 0x80 system calls, the handler's arguments on the stack, ucontext's
 * EIP at 76 and ESP at 48 (and 88, UESP). */
static void build_common32(Image *im)
{
    uint8_t *b = im->buf, *p = b;
    static const int sigs[] = { SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV };
    /* mmap2(SIGSTK_ADDR, SIGSTK_SIZE, RW, PRIVATE|ANONYMOUS|FIXED, -1, 0) */
    p = put(p, "\xb8\xc0\x00\x00\x00\xbb", 6);
    p = put32(p, (uint32_t)SIGSTK_ADDR);
    *p++ = 0xb9;
    p = put32(p, SIGSTK_SIZE);
    p = put(p, "\xba\x03\x00\x00\x00\xbe\x32\x00\x00\x00\xbf\xff\xff\xff\xff\x31\xed\xcd\x80",
            19);
    p = put(p, "\xb8\xba\x00\x00\x00\xbb", 6);          /* sigaltstack(&ss, 0) */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_ALTSTK));
    p = put(p, "\x31\xc9\xcd\x80", 4);
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        p = put(p, "\xb8\xae\x00\x00\x00\xbb", 6);      /* rt_sigaction(sig, &act, 0, 8) */
        p = put32(p, (uint32_t)sigs[k]);
        *p++ = 0xb9;
        p = put32(p, (uint32_t)(IMG_BASE + OFF_ACT));
        p = put(p, "\x31\xd2\xbe\x08\x00\x00\x00\xcd\x80", 9);
    }
    *p++ = 0xe9;
    p = put32(p, (uint32_t)(slot_code(0) - (IMG_BASE + (uint64_t)(p + 4 - b))));
    p = b + OFF_HANDLER;
    *p++ = 0xa1;                                            /* MOV EAX, [cur] */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put(p, "\x69\xc0", 2);                             /* IMUL EAX, EAX, SLOT_DATA */
    p = put32(p, SLOT_DATA);
    p = put(p, "\x8b\x4c\x24\x04\x89\x88", 6);          /* MOV ECX, sig; MOV [EAX+], ECX */
    p = put32(p, (uint32_t)(im->data + D_SIG));
    p = put(p, "\x8b\x54\x24\x0c\x8b\x4a\x4c\x89\x88", 9);  /* ECX = uc EIP; MOV [.+4] */
    p = put32(p, (uint32_t)(im->data + D_SIG + 4));
    *p++ = 0xa1;
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put(p, "\x40\x69\xc0", 3);                         /* INC EAX; IMUL */
    p = put32(p, SLOT_CODE);
    *p++ = 0x05;                                            /* ADD EAX, slots */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_SLOTS));
    p = put(p, "\x8b\x54\x24\x0c\x89\x42\x4c", 7);      /* EDX = uc; uc EIP = EAX */
    p = put(p, "\xc7\x42\x30", 3);                         /* uc ESP */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_GSTACK));
    p = put(p, "\xc7\x42\x58", 3);                         /* uc UESP */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_GSTACK));
    *p++ = 0xc3;
    p = b + OFF_RESTORER;
    p = put(p, "\xb8\xad\x00\x00\x00\xcd\x80", 7);      /* rt_sigreturn */
    p = b + OFF_ACT;
    p = put32(p, (uint32_t)(IMG_BASE + OFF_HANDLER));
    p = put32(p, 0x4 | 0x04000000 | 0x08000000 | 0x40000000);
    p = put32(p, (uint32_t)(IMG_BASE + OFF_RESTORER));
    p = put64(p, 0);
    memcpy(b + OFF_FCW, &(uint16_t){ 0x037f }, 2);
    p = b + OFF_ALTSTK;
    p = put32(p, (uint32_t)SIGSTK_ADDR);
    p = put32(p, 0);
    p = put32(p, SIGSTK_SIZE);
    p = b + (slot_code(im->nslots) - IMG_BASE);
    p = put(p, "\xb8\x04\x00\x00\x00\xbb\x01\x00\x00\x00\xb9", 11);   /* write */
    p = put32(p, (uint32_t)im->data);
    *p++ = 0xba;
    p = put32(p, (uint32_t)(im->nslots * SLOT_DATA));
    p = put(p, "\xcd\x80\xb8\xfc\x00\x00\x00\x31\xdb\xcd\x80", 11);  /* exit_group(0) */
}

static void build_common(Image *im)
{
    if (mode32) {
        build_common32(im);
        return;
    }
    uint8_t *b = im->buf, *p = b;
    /* entry: rt_sigaction(sig, &act, NULL, 8) for each signal, then slot 0 */
    static const int sigs[] = { SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV };
    /* mmap(SIGSTK_ADDR, SIGSTK_SIZE, RW, PRIVATE|ANONYMOUS|FIXED, -1, 0) */
    p = put(p, "\xb8\x09\x00\x00\x00\xbf", 6);
    p = put32(p, (uint32_t)SIGSTK_ADDR);
    *p++ = 0xbe;
    p = put32(p, SIGSTK_SIZE);
    p = put(p, "\xba\x03\x00\x00\x00\x41\xba\x32\x00\x00\x00\x49\xc7\xc0\xff\xff\xff\xff"
               "\x45\x31\xc9\x0f\x05", 23);
    p = put(p, "\xb8\x83\x00\x00\x00\xbf", 6);          /* sigaltstack(&ss, NULL) */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_ALTSTK));
    p = put(p, "\x31\xf6\x0f\x05", 4);
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        p = put(p, "\xb8\x0d\x00\x00\x00", 5);                  /* MOV EAX, 13 */
        *p++ = 0xbf;                                            /* MOV EDI, sig */
        p = put32(p, (uint32_t)sigs[k]);
        *p++ = 0xbe;                                            /* MOV ESI, &act */
        p = put32(p, (uint32_t)(IMG_BASE + OFF_ACT));
        p = put(p, "\x31\xd2\x41\xba\x08\x00\x00\x00\x0f\x05", 10); /* XOR EDX; R10D=8; SYSCALL */
    }
    *p++ = 0xe9;
    p = put32(p, (uint32_t)(slot_code(0) - (IMG_BASE + (uint64_t)(p + 4 - b))));
    /* handler(sig in EDI, info, ucontext in RDX): record sig, resume at the next slot */
    p = b + OFF_HANDLER;
    p = put(p, "\x48\x8b\x04\x25", 4);                          /* MOV RAX, [cur] */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put(p, "\x48\x69\xc0", 3);                              /* IMUL RAX, RAX, SLOT_DATA */
    p = put32(p, SLOT_DATA);
    p = put(p, "\x89\xb8", 2);                                  /* MOV [RAX + sig0], EDI */
    p = put32(p, (uint32_t)(im->data + D_SIG));
    p = put(p, "\x48\x8b\x8a\xa8\x00\x00\x00\x89\x88", 9);  /* ECX = uc RIP; MOV [.+4] */
    p = put32(p, (uint32_t)(im->data + D_SIG + 4));
    p = put(p, "\x48\x8b\x04\x25", 4);
    p = put32(p, (uint32_t)(IMG_BASE + OFF_CUR));
    p = put(p, "\x48\xff\xc0\x48\x69\xc0", 6);                  /* INC RAX; IMUL RAX, ... */
    p = put32(p, SLOT_CODE);
    p = put(p, "\x48\x05", 2);                                  /* ADD RAX, slots */
    p = put32(p, (uint32_t)(IMG_BASE + OFF_SLOTS));
    p = put(p, "\x48\x89\x82\xa8\x00\x00\x00", 7);              /* uc RIP */
    p = put(p, "\x48\xb8", 2);
    p = put64(p, IMG_BASE + OFF_GSTACK);
    p = put(p, "\x48\x89\x82\xa0\x00\x00\x00", 7);              /* uc RSP */
    *p++ = 0xc3;
    p = b + OFF_RESTORER;
    p = put(p, "\xb8\x0f\x00\x00\x00\x0f\x05", 7);              /* rt_sigreturn */
    p = b + OFF_ACT;
    p = put64(p, IMG_BASE + OFF_HANDLER);
    p = put64(p, 0x4 | 0x04000000 | 0x08000000 | 0x40000000);   /* SIGINFO|RESTORER|ONSTACK|
                                                                * NODEFER */
    p = put64(p, IMG_BASE + OFF_RESTORER);
    p = put64(p, 0);
    memcpy(b + OFF_FCW, &(uint16_t){ 0x037f }, 2);
    p = b + OFF_ALTSTK;
    p = put64(p, SIGSTK_ADDR);
    p = put64(p, 0);
    p = put64(p, SIGSTK_SIZE);
    /* after the last slot: write(1, data, size); exit_group(0) */
    p = b + (slot_code(im->nslots) - IMG_BASE);
    p = put(p, "\xb8\x01\x00\x00\x00\xbf\x01\x00\x00\x00\xbe", 11);
    p = put32(p, (uint32_t)im->data);
    *p++ = 0xba;
    p = put32(p, (uint32_t)(im->nslots * SLOT_DATA));
    p = put(p, "\x0f\x05\xb8\xe7\x00\x00\x00\x31\xff\x0f\x05", 11);
}

static void image_init(Image *im, long nslots)
{
    im->nslots = nslots;
    uint64_t code_end = OFF_SLOTS + (uint64_t)(nslots + 1) * SLOT_CODE;
    im->data = IMG_BASE + ((code_end + 0xfff) & ~0xfffULL);
    im->size = (size_t)(im->data - IMG_BASE) + (size_t)nslots * SLOT_DATA;
    im->buf = calloc(1, im->size);
    if (!im->buf) {
        fprintf(stderr, "difftest-x86: out of memory\n");
        exit(2);
    }
}

static bool write_elf32(const Image *im, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0)
        return false;
    Elf32_Ehdr eh;
    Elf32_Phdr ph;
    memset(&eh, 0, sizeof eh);
    memset(&ph, 0, sizeof ph);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = (uint32_t)IMG_BASE;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof ph;
    eh.e_phnum = 1;
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_W | PF_X;
    ph.p_offset = ELF_DATA_OFF;
    ph.p_vaddr = ph.p_paddr = (uint32_t)IMG_BASE;
    ph.p_filesz = ph.p_memsz = (uint32_t)im->size;
    ph.p_align = 0x1000;
    bool ok = pwrite(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
              pwrite(fd, &ph, sizeof ph, sizeof eh) == (ssize_t)sizeof ph &&
              pwrite(fd, im->buf, im->size, ELF_DATA_OFF) == (ssize_t)im->size;
    return close(fd) == 0 && ok;
}

static bool write_elf(const Image *im, const char *path)
{
    if (mode32)
        return write_elf32(im, path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
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
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
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
    ph.p_align = 0x1000;
    bool ok = pwrite(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
              pwrite(fd, &ph, sizeof ph, sizeof eh) == (ssize_t)sizeof ph &&
              pwrite(fd, im->buf, im->size, ELF_DATA_OFF) == (ssize_t)im->size;
    return close(fd) == 0 && ok;
}

/* ---- QEMU -------------------------------------------------------------------------------- */
static int run_qemu(const char *elf, uint8_t *out, size_t want, char *why, size_t whylen)
{
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
        setrlimit(RLIMIT_CORE, &rl);
        struct rlimit cpu = { 60, 60 };
        setrlimit(RLIMIT_CPU, &cpu);
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        if (!strcmp(opt_qemu, "native"))
            execl(elf, elf, (char *)NULL);    /* the host CPU itself as the reference */
        execlp(opt_qemu, opt_qemu, "-cpu", "max", elf, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    uint8_t junk[4096];
    for (;;) {
        ssize_t k = got < want ? read(pfd[0], out + got, want - got)
                               : read(pfd[0], junk, sizeof junk);
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
        snprintf(why, whylen, "qemu killed by signal %d", WTERMSIG(st));
        return -1;
    }
    if (WEXITSTATUS(st)) {
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
    if (!strcmp(opt_qemu, "native"))
        return true;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", opt_qemu);
    return system(cmd) == 0;
}

/* ---- hvsim --------------------------------------------------------------------------------- */
typedef struct Sim {
    Machine *m;
    X86Cpu *c;
} Sim;

static void seg_flat(X86Seg *s, uint16_t sel, uint32_t type_attr)
{
    s->base = 0;
    s->limit = 0xffffffff;
    s->sel = sel;
    s->attr = type_attr;
}

/* Page tables after the image: 4 KiB pages mapping exactly the image (user, writable),
 * so an access outside it is a #PF as it is a SIGSEGV under QEMU. Returns CR3. */
static uint64_t build_page_tables(Machine *m, const Image *im)
{
    uint64_t img_end = IMG_BASE + ((im->size + 0xfff) & ~0xfffULL);
    uint64_t pml4 = img_end, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000, next_pt = pd + 0x1000;
    uint64_t pt_of[512] = { 0 };
#define PTE(a) ((uint64_t *)(m->ram + ((a) - IMG_BASE)))
    *PTE(pml4) = pdpt | 7;                    /* present, writable, user */
    *PTE(pdpt) = pd | 7;
    for (uint64_t va = IMG_BASE; va < img_end; va += 0x1000) {
        unsigned pdi = (va >> 21) & 511;
        if (!pt_of[pdi]) {
            pt_of[pdi] = next_pt;
            next_pt += 0x1000;
            PTE(pd)[pdi] = pt_of[pdi] | 7;
        }
        PTE(pt_of[pdi])[(va >> 12) & 511] = va | 7;
    }
#undef PTE
    machine_ram_written(m, pml4, next_pt - pml4);
    return pml4;
}

/* 32-bit paging (CR4.PAE clear): a page directory and 4 KiB page tables over the image. */
static uint32_t build_page_tables32(Machine *m, const Image *im)
{
    uint64_t img_end = IMG_BASE + ((im->size + 0xfff) & ~0xfffULL);
    uint64_t pd = img_end, next_pt = pd + 0x1000;
    uint64_t pt_of[1024] = { 0 };
#define PTE32(a) ((uint32_t *)(m->ram + ((a) - IMG_BASE)))
    for (uint64_t va = IMG_BASE; va < img_end; va += 0x1000) {
        unsigned pdi = (unsigned)(va >> 22) & 1023;
        if (!pt_of[pdi]) {
            pt_of[pdi] = next_pt;
            next_pt += 0x1000;
            PTE32(pd)[pdi] = (uint32_t)pt_of[pdi] | 7;
        }
        PTE32(pt_of[pdi])[(va >> 12) & 1023] = (uint32_t)va | 7;
    }
#undef PTE32
    machine_ram_written(m, pd, next_pt - pd);
    return (uint32_t)pd;
}

static bool sim_new(Sim *s, const Image *im)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");      /* as QEMU's -cpu max: BMI1 (TZCNT), BMI2, ADX */
    /* the image, then its page tables (at most 3 + 1 per 2 MiB) */
    cfg.ram_size = (im->size + 0x1000 * (8 + im->size / 0x200000) + 0xfffff) & ~0xfffffULL;
    char *err = NULL;
    s->m = machine_new(&cfg, IMG_BASE, &err);
    machine_config_free(&cfg);
    if (!s->m) {
        fprintf(stderr, "difftest-x86: machine_new: %s\n", err ? err : "?");
        return false;
    }
    s->c = x86_cpu_new(s->m, 0);
    return true;
}

/* 64-bit mode at CPL 3 with flat segments and 4-level paging over the image (once per
 * batch: no fuzzed instruction changes the mode). */
static void sim_setup(Sim *s, const Image *im)
{
    X86Cpu *c = s->c;
    if (mode32) {
        /* 32-bit protected mode, CPL 3, flat segments, 32-bit paging */
        c->cr3 = build_page_tables32(s->m, im);
        c->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
        c->cr4 = X86_CR4_OSFXSR;
        c->efer = 0;
        seg_flat(&c->seg[X86_CS], 0x23, 0xb | 0x10 | 0x60 | 0x80 | X86_SEG_ATTR_DB | (1u << 15));
        for (int i = 0; i < X86_NSEG; i++)
            if (i != X86_CS)
                seg_flat(&c->seg[i], 0x2b, 0x3 | 0x10 | 0x60 | 0x80 | X86_SEG_ATTR_DB | (1u << 15));
        x86_update_mode(c);
        x86_tlb_flush(c);
        return;
    }
    c->cr3 = build_page_tables(s->m, im);
    c->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
    c->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR;
    c->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
    /* code: type 0xb (execute/read, accessed), S, DPL 3, P, L; data: type 3, S, DPL 3, P, B */
    seg_flat(&c->seg[X86_CS], 0x33, 0xb | 0x10 | 0x60 | 0x80 | X86_SEG_ATTR_L | (1u << 15));
    for (int i = 0; i < X86_NSEG; i++)
        if (i != X86_CS)
            seg_flat(&c->seg[i], 0x2b, 0x3 | 0x10 | 0x60 | 0x80 | X86_SEG_ATTR_DB | (1u << 15));
    x86_update_mode(c);
    x86_tlb_flush(c);
}

/* Each slot starts from the registers its prologue loads; RFLAGS as a user process has. */
static void sim_reset(Sim *s)
{
    X86Cpu *c = s->c;
    memset(c->gpr, 0, sizeof c->gpr);
    c->exc.vector = -1;
    c->rflags = 2 | X86_IF;
    c->fcw = 0x37f;               /* a process starts with the FPU as FNINIT leaves it */
    c->fsw = c->ftw = 0;
}

static int vector_signal(int v)
{
    switch (v) {
    case X86_DE: return SIGFPE;
    case X86_UD: return SIGILL;
    case X86_DB: case X86_BP: return SIGTRAP;
    case X86_AC_EXC: return SIGBUS;
    default: return SIGSEGV;
    }
}

/* Runs slot i on hvsim: until RIP reaches the next slot, a fault, or a step limit. */
static void sim_slot(Sim *s, const Image *im, long i)
{
    X86Cpu *c = s->c;
    uint64_t end = slot_code(i + 1);
    c->rip = slot_code(i);
    for (long steps = 0; steps < 100000 && c->rip != end; steps++) {
        X86Insn d;
        c->exc.vector = -1;
        c->start_ip = c->rip;
        if (!x86_decode(c, &d) || x86_execute(c, &d) == X86_FAULT) {
            uint32_t sig = (uint32_t)vector_signal(c->exc.vector), ip = (uint32_t)c->rip;
            memcpy(s->m->ram + (slot_data(im, i) + D_SIG - IMG_BASE), &sig, 4);
            memcpy(s->m->ram + (slot_data(im, i) + D_SIG + 4 - IMG_BASE), &ip, 4);
            c->exc.vector = -1;
            return;
        }
    }
    if (c->rip != end) {
        uint32_t sig = 0xdead;            /* never ended: reported as a mismatch */
        memcpy(s->m->ram + (slot_data(im, i) + D_SIG - IMG_BASE), &sig, 4);
    }
}

/* --bytes N: N random byte strings on hvsim alone (no QEMU), at CPL 3 and sometimes CPL 0
 * (system instructions too), from the state sim_setup makes: the decoder and the handlers
 * must neither crash nor trip the sanitizers (make difftest-x86-asan runs it). A fault skips
 * one byte; each string gets at most 400 steps. */
static int run_bytes(long count)
{
    Image im;
    image_init(&im, 1);
    build_common(&im);
    Sim sim;
    if (!sim_new(&sim, &im))
        return 2;
    memcpy(sim.m->ram, im.buf, im.size);
    machine_ram_written(sim.m, IMG_BASE, im.size);
    X86Cpu *c = sim.c;
    uint64_t code = slot_code(0), data = slot_data(&im, 0);
    static const uint8_t hot[] = { 0x0f, 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x48, 0x41, 0x4c, 0x2e,
                                   0x64, 0x38, 0x3a, 0xc4, 0xc5, 0xd9, 0xdb, 0xdd, 0xdf };
    long steps_total = 0, faults = 0;
    for (long i = 0; i < count; i++) {
        Rng r = { opt_seed * 0x2545f4914f6cdd1dULL ^ (uint64_t)i * 0x9e3779b97f4a7c15ULL };
        uint8_t *p = sim.m->ram + (code - IMG_BASE);
        for (int k = 0; k < 256; k++)
            p[k] = rng_below(&r, 3) ? (uint8_t)rng_next(&r) : hot[rng_below(&r, sizeof hot)];
        machine_ram_written(sim.m, code, 256);
        x86_cpu_reset(c, true);
        sim_setup(&sim, &im);
        sim_reset(&sim);
        if (rng_below(&r, 5) == 0) {          /* CPL 0 */
            c->seg[X86_CS].attr &= ~0x60u;
            c->seg[X86_SS].attr &= ~0x60u;
            x86_update_mode(c);
        }
        for (int k = 0; k < 16; k++)
            c->gpr[k] = rng_below(&r, 2) ? data + D_SCRATCH + rng_below(&r, 1024)
                                         : (uint64_t)random_value(&r);
        c->gpr[X86_RSP] = data + STACK_MID;
        c->rip = code;
        for (int st = 0; st < 400 && c->rip >= code && c->rip < code + 240; st++) {
            X86Insn d;
            c->exc.vector = -1;
            c->start_ip = c->rip;
            steps_total++;
            if (!x86_decode(c, &d) || x86_execute(c, &d) == X86_FAULT) {
                faults++;
                c->rip = c->start_ip + 1;
            }
        }
    }
    printf("difftest-x86%s: --bytes: %ld random strings, %ld steps, %ld faults skipped\n",
           mode32 ? " (32-bit)" : "", count, steps_total, faults);
    machine_free(sim.m);
    g_free(sim.c);
    free(im.buf);
    return 0;
}

/* ---- comparison and reports ------------------------------------------------------------------ */
static const char *const reg_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi",
                                           "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
                                           "r14", "r15" };

static void print_seq(const Seq *s, uint64_t pc)
{
    for (int k = 0; k < s->n; k++) {
        char hex[64], text[128];
        if (x86_disas_bits(mode32 ? 32 : 64, pc, s->it[k].b, s->it[k].len, hex, sizeof hex,
                           text, sizeof text) != s->it[k].len || mode32)
            for (unsigned j = 0; j < s->it[k].len && 2 * j + 3 <= sizeof hex; j++)
                snprintf(hex + 2 * j, sizeof hex - 2 * j, "%02x", s->it[k].b[j]);
        printf("    %-30s %s%s\n", hex, text, s->it[k].op == 0xffff ? "   (setup)" : "");
        pc += s->it[k].len;
    }
}

/* FSW after the sequence but C1: QEMU 7.2 does not set it when rounding rounded up, the
 * SDM (and hvsim) does (so FNSTSW is not drawn either). */
#define FSW_C1_FLAG 0x200u
static uint16_t fsw_out(const uint8_t *slot)
{
    uint16_t v;
    memcpy(&v, slot + D_FSWOUT, 2);
    return v;
}

/* MXCSR after the sequence; DE (a denormal operand) is not compared: QEMU 7.2 never sets
 * it for SSE instructions, hardware (and hvsim) does. */
#define MX_DE_FLAG 0x2u
static uint32_t mx_out(const uint8_t *slot)
{
    uint32_t v;
    memcpy(&v, slot + D_MXOUT, 4);
    return v;
}

/* XMM registers q (QEMU's) and h (hvsim's) are equal, or differ only in which NaN a lane
 * holds (as floats or as doubles): QEMU 7.2 applies the x87 rule (the larger significand)
 * where the SDM has SSE return the first source's NaN, which hvsim does. */
static bool nan_lane32(uint32_t x) { return (x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffff); }
static bool nan_lane64(uint64_t x)
{
    return (x & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (x & 0x000fffffffffffffull);
}
static bool xmm_equal(const uint8_t *q, const uint8_t *h)
{
    bool ok32 = true, ok64 = true;
    for (int i = 0; i < 4; i++) {
        uint32_t a, b;
        memcpy(&a, q + 4 * i, 4);
        memcpy(&b, h + 4 * i, 4);
        ok32 = ok32 && (a == b || (nan_lane32(a) && nan_lane32(b)));
    }
    for (int i = 0; i < 2; i++) {
        uint64_t a, b;
        memcpy(&a, q + 8 * i, 8);
        memcpy(&b, h + 8 * i, 8);
        ok64 = ok64 && (a == b || (nan_lane64(a) && nan_lane64(b)));
    }
    return ok32 || ok64;
}

static bool xmm_all_equal(const uint8_t *q, const uint8_t *h)
{
    for (int r = 0; r < 16; r++)
        if (!xmm_equal(q + 16 * r, h + 16 * r))
            return false;
    return true;
}

/* Compares slot i; prints the differences; true if equal. */
static bool compare_slot(const Image *im, long i, long index, const Seq *s, const uint8_t *q,
                         const uint8_t *h, bool report)
{
    size_t off = (size_t)i * SLOT_DATA;
    const uint8_t *qd = q + off, *hd = h + off;
    uint32_t qsig, hsig;
    memcpy(&qsig, qd + D_SIG, 4);
    memcpy(&hsig, hd + D_SIG, 4);
    bool ok = qsig == hsig;
    uint32_t mask = CMP_FLAGS & ~s->poison;
    const uint64_t *qo = (const uint64_t *)(qd + D_OUT), *ho = (const uint64_t *)(hd + D_OUT);
    if (ok && !qsig) {
        ok = !memcmp(qo, ho, 128) && ((qo[16] ^ ho[16]) & mask) == 0 &&
             xmm_all_equal(qd + D_XOUT, hd + D_XOUT) &&
             !memcmp(qd + D_MMOUT, hd + D_MMOUT, 64) &&
             (s->uses_mmx || (!memcmp(qd + D_STOUT, hd + D_STOUT, 80) &&
                              ((fsw_out(qd) ^ fsw_out(hd)) & ~FSW_C1_FLAG) == 0)) &&
             ((mx_out(qd) ^ mx_out(hd)) & ~MX_DE_FLAG) == 0 &&
             !memcmp(qd + D_SCRATCH, hd + D_SCRATCH, 2048);
    } else if (ok) {
        /* faulted alike: at the same instruction, and what the sequence wrote before the
         * fault must agree too (the signal frames are on their own stack, outside the data) */
        ok = !memcmp(qd + D_SIG + 4, hd + D_SIG + 4, 4) &&
             !memcmp(qd + D_SCRATCH, hd + D_SCRATCH, 2048);
    }
    if (ok || !report)
        return ok;
    printf("MISMATCH seed %" PRIu64 " index %ld:\n", opt_seed, index);
    print_seq(s, slot_code(i));
    uint32_t qip, hip;
    memcpy(&qip, qd + D_SIG + 4, 4);
    memcpy(&hip, hd + D_SIG + 4, 4);
    if (qsig != hsig)
        printf("  signal: qemu %u, hvsim %u\n", qsig, hsig);
    else if (qsig && qip != hip)
        printf("  signal %u from different instructions: qemu at %08x, hvsim at %08x\n", qsig,
               qip, hip);
    if (opt_verbose) {
        for (int r = 0; r < 16; r++)
            printf("  in %-4s %016" PRIx64 "%s", reg_names[r], s->in[r], r % 4 == 3 ? "\n" : "");
        for (int r = 0; r < 16; r++)
            printf("  in xmm%-2d %016" PRIx64 "%016" PRIx64 "\n", r, s->xin[2 * r + 1],
                   s->xin[2 * r]);
        printf("  in fcw %04x, x87 depth %d:", s->fcw, s->x87_depth0);
        for (int k = 0; k < s->x87_depth0; k++) {
            uint64_t m;
            uint16_t se;
            memcpy(&m, s->x87in[k], 8);
            memcpy(&se, s->x87in[k] + 8, 2);
            printf(" %04x:%016" PRIx64, se, m);
        }
        printf("\n");
    }
    for (int r = 0; r < 16 && qsig == hsig; r++)
        if (qo[r] != ho[r])
            printf("  %-4s qemu %016" PRIx64 " hvsim %016" PRIx64 " (in %016" PRIx64 ")\n",
                   reg_names[r], qo[r], ho[r], s->in[r]);
    if (qsig == hsig && ((qo[16] ^ ho[16]) & mask))
        printf("  rflags qemu %08" PRIx64 " hvsim %08" PRIx64 " (compared %03x, in %03" PRIx64 ")\n",
               qo[16] & CMP_FLAGS, ho[16] & CMP_FLAGS, mask, s->in[16]);
    uint32_t qmx, hmx;
    memcpy(&qmx, qd + D_MXOUT, 4);
    memcpy(&hmx, hd + D_MXOUT, 4);
    if (qsig == hsig && ((qmx ^ hmx) & ~MX_DE_FLAG))
        printf("  mxcsr qemu %08x hvsim %08x (in %08x)\n", qmx, hmx, s->mxcsr);
    uint16_t qf, hf;
    memcpy(&qf, qd + D_FSWOUT, 2);
    memcpy(&hf, hd + D_FSWOUT, 2);
    if (qsig == hsig && ((qf ^ hf) & ~FSW_C1_FLAG) && !s->uses_mmx)
        printf("  fsw  qemu %04x hvsim %04x\n", qf, hf);
    for (int r = 0; r < 8 && qsig == hsig && !s->uses_mmx; r++) {
        const uint8_t *qs = qd + D_STOUT + 10 * r, *hs = hd + D_STOUT + 10 * r;
        if (memcmp(qs, hs, 10)) {
            uint64_t qm, hm;
            uint16_t qe, he;
            memcpy(&qm, qs, 8);
            memcpy(&hm, hs, 8);
            memcpy(&qe, qs + 8, 2);
            memcpy(&he, hs + 8, 2);
            printf("  st%d  qemu %04x:%016" PRIx64 " hvsim %04x:%016" PRIx64 "\n", r, qe, qm,
                   he, hm);
        }
    }
    for (int r = 0; r < 8 && qsig == hsig; r++) {
        uint64_t qm, hm;
        memcpy(&qm, qd + D_MMOUT + 8 * r, 8);
        memcpy(&hm, hd + D_MMOUT + 8 * r, 8);
        if (qm != hm)
            printf("  mm%d  qemu %016" PRIx64 " hvsim %016" PRIx64 " (in %016" PRIx64 ")\n", r,
                   qm, hm, s->mmin[r]);
    }
    for (int r = 0; r < 16 && qsig == hsig; r++) {
        const uint64_t *qx = (const uint64_t *)(qd + D_XOUT) + 2 * r;
        const uint64_t *hx = (const uint64_t *)(hd + D_XOUT) + 2 * r;
        if (!xmm_equal((const uint8_t *)qx, (const uint8_t *)hx))
            printf("  xmm%-2d qemu %016" PRIx64 "%016" PRIx64 " hvsim %016" PRIx64 "%016" PRIx64
                   "\n        (in %016" PRIx64 "%016" PRIx64 ")\n", r, qx[1], qx[0], hx[1],
                   hx[0], s->xin[2 * r + 1], s->xin[2 * r]);
    }
    for (int k = 0; k < 2048 && (qsig == hsig); k++)
        if (qd[D_SCRATCH + k] != hd[D_SCRATCH + k]) {
            printf("  memory differs first at %s%+d: qemu %02x hvsim %02x (was %02x)\n",
                   k < 1024 ? "scratch" : "stack", k < 1024 ? k - 512 : k - 1536,
                   qd[D_SCRATCH + k], hd[D_SCRATCH + k],
                   k < 1024 ? s->scratch[k] : s->stack[k - 1024]);
            break;
        }
    (void)im;
    return false;
}

static void usage(void)
{
    fprintf(stderr, "usage: difftest-x86 [--seed N] [--count N] [--batch N] [--index I] "
                    "[--first I] [--mode 32|64] [--qemu PATH] [--keep ELF] [--max-report N]\n"
                    "       [--only NAME-PREFIX] [--cut N] [--bytes N] [--rem 1] [-v]\n");
    exit(2);
}

static long parse_long(const char *s, const char *opt)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 0);
    if (errno || *e || v < 0) {
        fprintf(stderr, "difftest-x86: bad value for %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v")) {
            opt_verbose = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--seed"))
            opt_seed = (uint64_t)parse_long(v, a);
        else if (!strcmp(a, "--count"))
            opt_count = parse_long(v, a);
        else if (!strcmp(a, "--batch"))
            opt_batch = parse_long(v, a);
        else if (!strcmp(a, "--first"))
            opt_first = parse_long(v, a);
        else if (!strcmp(a, "--index"))
            opt_index = parse_long(v, a);
        else if (!strcmp(a, "--max-report"))
            opt_max_report = (int)parse_long(v, a);
        else if (!strcmp(a, "--qemu"))
            opt_qemu = v;
        else if (!strcmp(a, "--only"))
            opt_only = v;
        else if (!strcmp(a, "--mode")) {
            if (strcmp(v, "32") && strcmp(v, "64")) {
                fprintf(stderr, "difftest-x86: --mode is 32 or 64\n");
                return 2;
            }
            mode32 = !strcmp(v, "32");
        } else if (!strcmp(a, "--rem")) {
            opt_rem = (int)parse_long(v, a);
        } else if (!strcmp(a, "--bytes")) {
            opt_bytes = parse_long(v, a);
        } else if (!strcmp(a, "--cut"))
            opt_cut = (int)parse_long(v, a);
        else if (!strcmp(a, "--keep"))
            opt_keep = v;
        else
            usage();
    }
    if (mode32 && !strcmp(opt_qemu, "qemu-x86_64"))
        opt_qemu = "qemu-i386";
    if (opt_batch < 1 || opt_batch > 4000) {
        fprintf(stderr, "difftest-x86: --batch must be 1..4000\n");
        return 2;
    }
    if (opt_bytes)
        return run_bytes(opt_bytes);
    if (!qemu_available()) {
        printf("SKIP difftest-x86: %s not found\n", opt_qemu);
        return 0;
    }
    init_candidates();
    if (!ncands) {
        fprintf(stderr, "difftest-x86: no form's name starts with %s\n", opt_only);
        return 2;
    }
    long first = opt_index >= 0 ? opt_index : opt_first;
    long total = opt_index >= 0 ? 1 : opt_count;
    char elf[64];
    snprintf(elf, sizeof elf, "/tmp/difftest-x86-%d.elf", (int)getpid());
    long done = 0, bad = 0, faulted = 0;
    Seq *seqs = calloc((size_t)opt_batch, sizeof *seqs);
    for (long base = 0; base < total; base += opt_batch) {
        long n = total - base < opt_batch ? total - base : opt_batch;
        Image im;
        image_init(&im, n);
        build_common(&im);
        for (long i = 0; i < n; i++) {
            gen_seq(opt_seed, first + base + i, &seqs[i]);
            if (!build_slot(&im, i, &seqs[i])) {
                fprintf(stderr, "difftest-x86: sequence %ld does not fit its slot\n",
                        first + base + i);
                return 2;
            }
        }
        if (!write_elf(&im, elf) || (opt_keep && base == 0 && !write_elf(&im, opt_keep))) {
            fprintf(stderr, "difftest-x86: cannot write %s: %s\n", elf, strerror(errno));
            return 2;
        }
        size_t want = (size_t)n * SLOT_DATA;
        uint8_t *q = malloc(want);
        char why[256];
        if (run_qemu(elf, q, want, why, sizeof why) < 0) {
            fprintf(stderr, "difftest-x86: batch at %ld: %s\n", first + base, why);
            if (n == 1)
                print_seq(&seqs[0], slot_code(0));
            unlink(elf);
            return 2;
        }
        Sim sim;
        if (!sim_new(&sim, &im))
            return 2;
        memcpy(sim.m->ram, im.buf, im.size);
        machine_ram_written(sim.m, IMG_BASE, im.size);
        sim_setup(&sim, &im);
        for (long i = 0; i < n; i++) {
            sim_reset(&sim);
            sim_slot(&sim, &im, i);
        }
        const uint8_t *h = sim.m->ram + (im.data - IMG_BASE);
        for (long i = 0; i < n; i++) {
            uint32_t sig;
            memcpy(&sig, q + (size_t)i * SLOT_DATA + D_SIG, 4);
            faulted += sig != 0;
            bool ok = compare_slot(&im, i, first + base + i, &seqs[i], q, h, bad < opt_max_report);
            if (!ok)
                bad++;
            else if (opt_verbose || opt_index >= 0) {
                printf("ok %ld%s\n", first + base + i, sig ? " (faulted on both)" : "");
                print_seq(&seqs[i], slot_code(i));
            }
        }
        done += n;
        machine_free(sim.m);
        g_free(sim.c);
        free(q);
        free(im.buf);
    }
    unlink(elf);
    free(seqs);
    printf("difftest-x86%s: seed %" PRIu64 ": %ld sequences, %ld mismatches, %ld faulted alike "
           "on both (%d forms drawn from)\n", mode32 ? " (32-bit)" : "", opt_seed, done, bad,
           faulted, ncands);
    return bad ? 1 : 0;
}
