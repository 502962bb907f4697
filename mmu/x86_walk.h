/* x86 linear-to-physical translation (Intel SDM vol. 3A chapter 4 "Paging"): 32-bit paging
 * (with CR4.PSE 4 MiB pages and PSE-36), PAE paging, 4-level and 5-level paging; NX, U/S,
 * R/W with CR0.WP, SMEP, SMAP (RFLAGS.AC and implicit supervisor accesses), 2 MiB, 4 MiB and
 * 1 GiB pages, global pages, PCID as a tag, accessed/dirty updates, reserved-bit checks and
 * the #PF error code.
 *
 * Pure and CPU-independent, like mmu/walk.c: the caller passes the register values that
 * select and shape the walk and two callbacks, one that reads a paging-structure entry from
 * physical memory and one that writes it back with A/D set. Nothing is cached here. The
 * canonical-address check is the caller's (a non-canonical address is #GP or #SS, not a
 * walk): x86_canonical() says whether an address passes it.
 *
 * Not modelled: protection keys (PKE/PKS: the error code's PK bit is always 0), shadow
 * stacks, HLAT, the memory type (PAT/PCD/PWT are returned raw for a later cache model).
 * Choices made here where the SDM leaves room:
 * - PAE paging reads the four PDPTEs at walk time instead of when CR3 is loaded; a
 *   PDPTE with reserved bits set is a #PF with RSVD (hardware raises #GP at MOV CR3);
 * - accessed and dirty flags are set only when the translation succeeds (the SDM allows
 *   setting them for a walk that then faults; not doing so keeps a faulting access free of
 *   side effects), top level first, each entry only when the flag is clear;
 * - MAXPHYADDR is the regime's pa_bits (0 means 40, what QEMU's qemu64 reports).
 */
#ifndef HVSIM_MMU_X86_WALK_H
#define HVSIM_MMU_X86_WALK_H
#include <stdbool.h>
#include <stdint.h>

typedef enum X86PagingMode {
    X86_PAGING_OFF,           /* CR0.PG = 0: linear = physical */
    X86_PAGING_32,            /* CR4.PAE = 0: two levels of 4-byte entries */
    X86_PAGING_PAE,           /* CR4.PAE = 1, not long mode: PDPT, PD, PT */
    X86_PAGING_4LEVEL,        /* IA32_EFER.LMA = 1: PML4, PDPT, PD, PT */
    X86_PAGING_5LEVEL,        /* and CR4.LA57 = 1: PML5 on top */
} X86PagingMode;

/* The registers that shape one walk. */
typedef struct X86WalkRegime {
    X86PagingMode mode;
    uint64_t cr3;
    bool wp;                  /* CR0.WP */
    bool pse;                 /* CR4.PSE (32-bit paging's 4 MiB pages) */
    bool nxe;                 /* IA32_EFER.NXE */
    bool smep, smap;          /* CR4.SMEP, CR4.SMAP */
    bool ac;                  /* RFLAGS.AC (SMAP's override for explicit accesses) */
    bool pge;                 /* CR4.PGE: G bits make global translations */
    bool pcide;               /* CR4.PCIDE: CR3[11:0] is the PCID (4-/5-level only) */
    bool gbpages;             /* 1 GiB pages supported (CPUID.80000001H:EDX.Page1GB) */
    uint8_t pa_bits;          /* MAXPHYADDR; 0 = 40 */
} X86WalkRegime;

typedef enum X86Access {
    X86_ACC_READ,
    X86_ACC_WRITE,            /* also a read-modify-write: write permission covers reads */
    X86_ACC_FETCH,
} X86Access;

/* Who accesses: a user-mode access (CPL 3, explicit), a supervisor access (CPL < 3), or an
 * implicit supervisor access (descriptor tables, the TSS, the IDT's stack frames: supervisor
 * whatever the CPL, and SMAP applies whatever RFLAGS.AC says). */
typedef enum X86Priv {
    X86_PRIV_SUPER,
    X86_PRIV_USER,
    X86_PRIV_IMPLICIT,
} X86Priv;

/* Reads the paging-structure entry of `size` bytes (4 for 32-bit paging, else 8) at physical
 * address pa; level counts down to 1 for the page table (5/4 = PML5/PML4, 3 = PDPT, 2 = PD;
 * 32-bit paging uses 2 and 1). false: nothing there (the walk ends in a fault that the
 * caller reports as it wants; the error code says not present). */
typedef bool (*X86ReadPte)(void *opaque, uint64_t pa, unsigned size, int level, uint64_t *val);
/* Writes it back with A (and D) set; may be NULL (no updates, as a debugger's walk). */
typedef void (*X86WritePte)(void *opaque, uint64_t pa, unsigned size, int level, uint64_t val);

#define X86_PERM_R 1u
#define X86_PERM_W 2u
#define X86_PERM_X 4u

/* The #PF error code bits (SDM 4.7). */
#define X86_PFEC_P (1u << 0)
#define X86_PFEC_W (1u << 1)
#define X86_PFEC_U (1u << 2)
#define X86_PFEC_RSVD (1u << 3)
#define X86_PFEC_I (1u << 4)
#define X86_PFEC_PK (1u << 5)

#define X86_WALK_MAX_LEVELS 5

typedef struct X86WalkResult {
    uint64_t pa;              /* the physical address of the access */
    uint64_t page_mask;       /* size - 1 of the page mapping it (0xfff, 2/4 MiB, 1 GiB) */
    uint8_t perms;            /* X86_PERM_*: what this access class (priv, WP, SMAP/SMEP,
                               * AC) may do at this page */
    bool user;                /* a user-mode address (U/S set at every level) */
    bool global;              /* the leaf's G bit with CR4.PGE */
    bool dirty;               /* the leaf's D bit after the walk */
    uint16_t pcid;            /* CR3[11:0] with CR4.PCIDE in 4-/5-level paging, else 0 */
    uint8_t level;            /* level of the leaf (1: 4 KiB page) */
    uint8_t nread;            /* entries read, top first (for traces and walk costs) */
    uint64_t entry_pa[X86_WALK_MAX_LEVELS];
    uint64_t entry[X86_WALK_MAX_LEVELS];   /* their values as read */
} X86WalkResult;

typedef struct X86WalkFault {
    uint32_t error_code;      /* X86_PFEC_* */
    int level;                /* where the walk stopped */
    bool rsvd;                /* a reserved bit was set */
} X86WalkFault;

/* True if va is canonical for the paging mode (bits 63:47, or 63:56 with 5-level paging,
 * all equal). Modes other than 4-/5-level paging have no such check. */
static inline bool x86_canonical(uint64_t va, bool la57)
{
    unsigned sh = la57 ? 7 : 16;
    return (uint64_t)((int64_t)(va << sh) >> sh) == va;
}

/* Translates linear address la for an access. With paging off the result is the identity
 * (la truncated to 32 bits, as outside long mode), all permissions. Returns true and fills
 * res, or false and fills fault. res is filled with the entries read in either case. */
bool x86_translate(const X86WalkRegime *r, uint64_t la, X86Access acc, X86Priv priv,
                   X86ReadPte read, X86WritePte write, void *opaque, X86WalkResult *res,
                   X86WalkFault *fault);
#endif
