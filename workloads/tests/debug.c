/* The self-hosted debug architecture (Arm ARM D2): hardware breakpoints, watchpoints and
 * software step, enabled and routed as D2.4 says. Every debug exception taken is logged with
 * its EL, syndrome, ELR and (watchpoints) FAR, so the output can be compared with QEMU's.
 *
 * At EL1: breakpoints at EL1 (KDE, PSTATE.D, the OS lock and the OS double lock) and at EL0
 * (privilege filters, a breakpoint linked to a CONTEXTIDR_EL1 match), watchpoints (BAS byte
 * selection, load/store selection, MASK ranges, LDTR checked with EL0's privilege, the
 * access not made when the exception is taken), software step of EL0 code over an SVC, a
 * faulting load and a load-exclusive.
 * At EL2 (virtualization=on): MDCR_EL2.TDE routes an EL1 guest's breakpoints, watchpoints,
 * software step and BRK to EL2; without it they stay at EL1, and EL2's own breakpoints are
 * disabled (a debug exception is never taken to an EL below the one it comes from). */
#include "lib.h"

#define MDSCR_SS (1u << 0)
#define MDSCR_KDE (1u << 13)
#define MDSCR_MDE (1u << 15)
#define SPSR_SS (1u << 21)
#define MDCR_TDE (1u << 8)

/* DBGBCR: E, PMC (bits 2:1), BAS = 0b1111 (bits 8:5), HMC (13), SSC (15:14), LBN (19:16),
 * BT (23:20). DBGWCR: E, PAC (2:1), LSC (4:3: 1 load, 2 store), BAS (12:5), MASK (28:24). */
#define BCR(pmc) (1u | (pmc) << 1 | 0xfu << 5)
#define BCR_EL2_ONLY (1u | 1u << 13 | 1u << 14 | 0xfu << 5)
#define WCR(pac, lsc, bas) (1u | (pac) << 1 | (lsc) << 3 | (uint32_t)(bas) << 5)
#define PMC_EL1 1u
#define PMC_EL0 2u
#define PMC_ANY 3u

struct exc {
    uint64_t el, idx, esr, elr, far, spsr, probe;
};
static volatile struct exc log_[64];
static volatile unsigned nlog;
static volatile unsigned steps_left;        /* software step: steps to keep going */
static volatile uint64_t *volatile probe;   /* watchpoints: memory read in the handler */
static uint64_t el0_stack[512] __attribute__((aligned(16)));
static uint64_t el1_stack[1024] __attribute__((aligned(16)));
uint64_t wbuf[4] __attribute__((aligned(16)));
static uint8_t region[512] __attribute__((aligned(256)));
uint64_t excl_word;

/* EL0 / EL1 code with labels the breakpoints point at. */
__asm__(".text\n"
        ".global el0_bp_code, el0_bp_target\n"
        "el0_bp_code:\n nop\n"
        "el0_bp_target:\n mov x0, #5\n nop\n svc #0xfe\n"
        ".global el1_bp_code, el1_bp_target\n"
        "el1_bp_code:\n nop\n"
        "el1_bp_target:\n nop\n nop\n ret\n"
        ".global el0_step_code\n"
        "el0_step_code:\n"
        " adrp x2, excl_word\n add x2, x2, :lo12:excl_word\n mov x4, #0x09040000\n"
        " nop\n mov x0, #1\n ldxr x1, [x2]\n add x0, x0, #2\n svc #0x33\n"
        " add x0, x0, #3\n ldr w3, [x4]\n add x0, x0, #4\n svc #0xfe\n"
        ".global guest_code, guest_target\n"
        "guest_code:\n adrp x5, wbuf\n add x5, x5, :lo12:wbuf\n"
        "guest_target:\n nop\n brk #0x12\n str x0, [x5, #16]\n nop\n hvc #0xfe\n"
        ".global el2_target\n"
        "el2_target:\n nop\n ret\n");
extern char el0_bp_code[], el0_bp_target[], el1_bp_code[], el1_bp_target[], el0_step_code[];
extern char guest_code[], guest_target[], el2_target[];

static void disable_breakpoints(void)
{
    WRITE_SYSREG(dbgbcr0_el1, 0);
    WRITE_SYSREG(dbgbcr1_el1, 0);
    WRITE_SYSREG(dbgbcr5_el1, 0);
}

static void disable_watchpoints(void)
{
    WRITE_SYSREG(dbgwcr0_el1, 0);
    WRITE_SYSREG(dbgwcr1_el1, 0);
}

static void disable_all(void)
{
    disable_breakpoints();
    disable_watchpoints();
}

static void handle(struct trap_frame *f, unsigned idx)
{
    (void)f;
    struct trap_info t;
    trap_info(&t);
    unsigned el = current_el(), ec = (unsigned)(t.esr >> 26) & 0x3f;
    uint32_t iss = (uint32_t)t.esr & 0x1ffffff;
    uint64_t elr = t.elr, spsr = t.spsr;
    if (nlog < ARRAY_SIZE(log_)) {
        volatile struct exc *l = &log_[nlog++];
        l->el = el; l->idx = idx; l->esr = t.esr; l->elr = elr; l->far = t.far; l->spsr = spsr;
        l->probe = probe ? *probe : 0;
    }
    switch (ec) {
    case 0x30: case 0x31:     /* breakpoint: off, then run the instruction */
        disable_breakpoints();
        break;
    case 0x34: case 0x35:     /* watchpoint: likewise, the access happens now */
        disable_watchpoints();
        break;
    case 0x32: case 0x33:     /* software step: step on (SPSR.SS = 1) or stop */
        if (steps_left && --steps_left) {
            spsr |= SPSR_SS;
        } else {
            WRITE_SYSREG(mdscr_el1, READ_SYSREG(mdscr_el1) & ~(uint64_t)MDSCR_SS);
            spsr &= ~(uint64_t)SPSR_SS;
        }
        break;
    case 0x3c:                /* BRK: skip it */
    case 0x24: case 0x25:     /* data abort: skip the load */
        elr += 4;
        break;
    case 0x15: case 0x16:     /* SVC/HVC #0xfe: back to run_lower's caller */
        if (iss == 0xfe) {
            trap_back_to_caller();
            return;
        }
        break;
    default:
        break;
    }
    trap_set_return(spsr, elr);
}

static unsigned mark;
/* Prefix of the lines where QEMU 7.2 does not follow the Arm ARM (tests/system/run.sh
 * compares them with tests/system/expected/debug.armarm instead of QEMU's output). */
static const char *tag = "";

/* Prints the exceptions logged since the last call. */
static void show(const char *what)
{
    printf("%s%s: %u exception(s)\n", tag, what, nlog - mark);
    for (unsigned i = mark; i < nlog; i++) {
        const volatile struct exc *e = &log_[i];
        unsigned ec = (unsigned)(e->esr >> 26) & 0x3f;
        printf("%s  EL%u vec=%2u EC=0x%02x IL=%u ISS=0x%07x ELR=0x%08llx SPSR.SS=%u", tag,
               (unsigned)e->el, (unsigned)e->idx, ec, (unsigned)(e->esr >> 25) & 1,
               (unsigned)e->esr & 0x1ffffff, (unsigned long long)e->elr,
               (unsigned)(e->spsr >> 21) & 1);
        if (ec == 0x34 || ec == 0x35)
            printf(" FAR=0x%08llx mem=0x%llx", (unsigned long long)e->far, (unsigned long long)e->probe);
        printf("\n");
    }
    mark = nlog;
}

static void call(char *fn)
{
    ((void (*)(void))fn)();
}

static void el1_breakpoints(void)
{
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_bp_target);
    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL1));
    call(el1_bp_code);        /* PSTATE.D set (as after reset): not taken */
    show("el1 breakpoint, PSTATE.D = 1");
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    call(el1_bp_code);
    show("el1 breakpoint, KDE, PSTATE.D = 0");

    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL0));   /* EL0 only */
    call(el1_bp_code);
    show("el1 breakpoint with PMC = EL0");

    WRITE_SYSREG(mdscr_el1, MDSCR_MDE);
    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL1));
    call(el1_bp_code);
    show("el1 breakpoint, KDE = 0");

    /* The OS lock disables debug exceptions (D2.5, AArch64.GenerateDebugExceptionsFrom);
     * QEMU 7.2 ignores it and takes the breakpoint. */
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    WRITE_SYSREG(oslar_el1, 1);
    tag = "armarm: ";
    call(el1_bp_code);
    show("el1 breakpoint, OS lock set");
    WRITE_SYSREG(oslar_el1, 0);
    call(el1_bp_code);
    show("el1 breakpoint, OS lock clear");
    tag = "";
    WRITE_SYSREG(oslar_el1, 1);
    printf("OSLSR_EL1=0x%llx\n", (unsigned long long)READ_SYSREG(oslsr_el1));
    WRITE_SYSREG(oslar_el1, 0);
    __asm__ volatile("msr daifset, #8" ::: "memory");
    WRITE_SYSREG(mdscr_el1, 0);
}

static void el0_breakpoints(void)
{
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE);
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el0_bp_target);
    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL0));
    run_lower((void (*)(void))el0_bp_code, 0, (uint64_t)&el0_stack[512]);
    show("el0 breakpoint from el1");

    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL1));
    run_lower((void (*)(void))el0_bp_code, 0, (uint64_t)&el0_stack[512]);
    show("el0 breakpoint with PMC = EL1");

    /* address breakpoint 0 linked (BT 0b0001) to context breakpoint 5 (BT 0b0011) */
    WRITE_SYSREG(dbgbvr5_el1, 0x1234);
    WRITE_SYSREG(dbgbcr5_el1, BCR(PMC_ANY) | 3u << 20);
    WRITE_SYSREG(contextidr_el1, 0x9999);
    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL0) | 1u << 20 | 5u << 16);
    run_lower((void (*)(void))el0_bp_code, 0, (uint64_t)&el0_stack[512]);
    show("linked breakpoint, other CONTEXTIDR");
    WRITE_SYSREG(contextidr_el1, 0x1234);
    WRITE_SYSREG(dbgbcr5_el1, BCR(PMC_ANY) | 3u << 20);
    WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL0) | 1u << 20 | 5u << 16);
    run_lower((void (*)(void))el0_bp_code, 0, (uint64_t)&el0_stack[512]);
    show("linked breakpoint, CONTEXTIDR match");
    WRITE_SYSREG(contextidr_el1, 0);
    disable_all();
    WRITE_SYSREG(mdscr_el1, 0);
}

static void store8(volatile void *p, uint8_t v) { __asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(p) : "memory"); }
static uint64_t load64(volatile void *p)
{
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static void watchpoints(void)
{
    volatile uint8_t *b = (volatile uint8_t *)wbuf;
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE);
    /* doubleword at wbuf+8, bytes 2 and 3 watched, stores only */
    WRITE_SYSREG(dbgwvr0_el1, (uint64_t)&b[8]);
    WRITE_SYSREG(dbgwcr0_el1, WCR(PMC_ANY, 2, 0x0c));
    store8(&b[10], 0x11);                 /* KDE = 0: not at EL1 */
    show("store to a watched byte, KDE = 0");
    store8(&b[8], 0x11);                  /* not a watched byte */
    (void)load64(&b[8]);                  /* a load: not watched */
    show("unwatched accesses");

    probe = (volatile uint64_t *)&wbuf[1];
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    store8(&b[10], 0x22);
    show("store to a watched byte (EL1, KDE)");
    printf("wbuf[1]=0x%llx\n", (unsigned long long)wbuf[1]);

    WRITE_SYSREG(dbgwcr0_el1, WCR(PMC_ANY, 1, 0x0c));       /* loads */
    uint64_t v = load64(&b[8]);
    show("8-byte load over watched bytes");
    printf("loaded 0x%llx\n", (unsigned long long)v);

    WRITE_SYSREG(dbgwcr0_el1, WCR(PMC_EL0, 3, 0x0c));       /* EL0 only */
    store8(&b[10], 0x33);
    show("EL1 store, watchpoint for EL0");
    __asm__ volatile("sttrb %w0, [%1]" : : "r"(0x44), "r"(&b[11]) : "memory");
    show("STTRB at EL1 (unprivileged), watchpoint for EL0");
    printf("wbuf[1]=0x%llx\n", (unsigned long long)wbuf[1]);

    /* MASK = 8: the 256-byte block at region, any access */
    probe = (volatile uint64_t *)&region[0x80];
    WRITE_SYSREG(dbgwvr1_el1, (uint64_t)region);
    WRITE_SYSREG(dbgwcr1_el1, WCR(PMC_ANY, 3, 0xff) | 8u << 24);
    *(volatile uint64_t *)&region[0x100] = 7;               /* outside */
    show("store past a MASK range");
    *(volatile uint64_t *)&region[0x80] = 0x55;
    show("store in a MASK range");
    printf("region[0x80]=0x%llx\n", (unsigned long long)*(volatile uint64_t *)&region[0x80]);
    probe = 0;
    disable_all();
    __asm__ volatile("msr daifset, #8" ::: "memory");
    WRITE_SYSREG(mdscr_el1, 0);
}

static void software_step(void)
{
    /* EL0 code stepped from its first instruction: ERET with SPSR.SS = 1 */
    WRITE_SYSREG(mdscr_el1, MDSCR_SS);
    steps_left = 100;
    run_lower((void (*)(void))el0_step_code, SPSR_SS, (uint64_t)&el0_stack[512]);
    show("software step of EL0 code");
    steps_left = 0;
    WRITE_SYSREG(mdscr_el1, 0);
}

/* ---- at EL2: an EL1 guest's debug exceptions with and without MDCR_EL2.TDE ---- */
static void guest_run(uint64_t spsr)
{
    run_lower((void (*)(void))guest_code, spsr, (uint64_t)&el1_stack[1024]);
}

static void el2_routing(void)
{
    WRITE_SYSREG(hcr_el2, 1ULL << 31);                      /* EL1 is AArch64 */
    for (int tde = 0; tde <= 1; tde++) {
        WRITE_SYSREG(mdcr_el2, tde ? MDCR_TDE : 0);
        printf("MDCR_EL2.TDE=%d\n", tde);
        WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)guest_target);
        WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL1));
        WRITE_SYSREG(dbgwvr0_el1, (uint64_t)&wbuf[2]);
        WRITE_SYSREG(dbgwcr0_el1, WCR(PMC_EL1, 2, 0xff));
        guest_run(0x1c5);                                   /* EL1h, PSTATE.D clear */
        show("  guest breakpoint, BRK, watchpoint");

        WRITE_SYSREG(mdscr_el1, MDSCR_SS | MDSCR_KDE);
        steps_left = 3;
        guest_run(0x1c5 | SPSR_SS);
        show("  guest software step");
        steps_left = 0;

        /* EL2's own breakpoint (HMC = 1, SSC = 0b01, PMC = 0: EL2 only) */
        WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
        WRITE_SYSREG(dbgbvr1_el1, (uint64_t)el2_target);
        WRITE_SYSREG(dbgbcr1_el1, BCR_EL2_ONLY);
        __asm__ volatile("msr daifclr, #8" ::: "memory");
        call(el2_target);
        __asm__ volatile("msr daifset, #8" ::: "memory");
        show("  EL2 breakpoint");
        disable_all();
    }
    WRITE_SYSREG(mdcr_el2, 0);
    WRITE_SYSREG(mdscr_el1, 0);
}

int main(void)
{
    unsigned el = current_el();
    printf("debug at EL%u\n", el);
    trap_install(handle);
    WRITE_SYSREG(oslar_el1, 0);           /* the OS lock is set from reset */
    if (el == 1) {
        el1_breakpoints();
        el0_breakpoints();
        watchpoints();
        software_step();
        /* the OS double lock, with the OS lock clear */
        WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_bp_target);
        WRITE_SYSREG(dbgbcr0_el1, BCR(PMC_EL1));
        WRITE_SYSREG(osdlr_el1, 1);
        __asm__ volatile("msr daifclr, #8" ::: "memory");
        call(el1_bp_code);
        __asm__ volatile("msr daifset, #8" ::: "memory");
        show("el1 breakpoint, OS double lock set");
        WRITE_SYSREG(osdlr_el1, 0);
        disable_all();
    } else {
        el2_routing();
    }
    printf("done\n");
    return 0;
}
