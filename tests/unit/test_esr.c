/* Syndromes in words for the -d int trace (a64_describe_esr). */
#include <criterion/criterion.h>
#include "cpu/arm64/cpu.h"

static void expect(uint64_t esr, const char *want)
{
    char buf[160];
    a64_describe_esr(esr, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "ESR 0x%08llx", (unsigned long long)esr);
}

Test(esr, names_the_classes_hypervisors_see)
{
    expect(0x5a004d48, "HVC #0x4d48");
    expect(0x56000000 | 7, "SVC #0x7");
    expect(0x5e000000, "SMC #0x0");
    expect(0x07e00000, "WFI trapped");
    expect(0x07e00001, "WFE trapped");
    expect(0x02000000, "unknown reason (UNDEFINED)");
    /* data abort, ISV, SAS = 2 (4 bytes), SRT = 0, WnR, translation fault level 1 */
    expect(0x93800045, "data abort from a lower EL: translation fault, level 1, write, 4-byte, x0");
    /* SAS = 3, SRT = 31, read, permission fault level 3 */
    expect(0x93df000f, "data abort from a lower EL: permission fault, level 3, read, 8-byte, xzr");
    /* same-EL data abort without ISV, access flag level 2, on the stage-1 walk */
    expect(0x9600008a, "data abort from the same EL: access flag fault, level 2, read (stage-1 walk)");
    expect(0x82000006, "instruction abort from a lower EL: translation fault, level 2");
    /* MRS x3, S3_0_C1_C0_0 (SCTLR_EL1) trapped: Op0 3, Op2 0, Op1 0, CRn 1, Rt 3, CRm 0, read */
    expect(0x62300461, "MRS S3_0_C1_C0_0, x3 trapped");
    expect(0xf2000010, "BRK #0x10");
    expect(0x8a000000, "PC alignment fault");
}

Test(esr, names_the_debug_exceptions)
{
    expect(0xc2000022, "breakpoint from a lower EL");
    expect(0xc6000022, "breakpoint from the same EL");
    expect(0xcb000022, "software step from a lower EL");
    expect(0xcb000062, "software step from a lower EL (a load-exclusive stepped)");
    expect(0xce000022, "software step from the same EL (no instruction stepped)");
    expect(0xd2000062, "watchpoint from a lower EL: write");
    expect(0xd6000022, "watchpoint from the same EL: read");
}
