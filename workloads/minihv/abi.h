/* minihv guest ABI, shared by the hypervisor and the guests.
 *
 * Hypercalls: `hvc #MINIHV_HVC_IMM` with the function ID in x0 and arguments in x1, x2; the
 * result comes back in x0. IDs sit in the SMCCC range for vendor-specific hypervisor
 * services (DEN 0028: fast call, SMC32 convention, OEN 6). An HVC with another immediate,
 * or an unknown ID, returns MINIHV_NOT_SUPPORTED. */
#ifndef MINIHV_ABI_H
#define MINIHV_ABI_H

#define MINIHV_HVC_IMM 0x4d48          /* "MH" */
#define MINIHV_NOT_SUPPORTED (-1l)

#define HC_VERSION 0x86000000u /* -> MINIHV_VERSION */
#define HC_VMID 0x86000001u    /* -> VMID of the caller (1 or 2) */
#define HC_ADD 0x86000002u     /* (a, b) -> a + b */
#define HC_BUSY 0x86000003u    /* (on) the caller will busy-wait: time-slice it */
#define HC_YIELD 0x86000004u   /* give the CPU to the other guest if it can run */
#define HC_DONE 0x86000005u    /* (code) the guest has finished */

#define MINIHV_VERSION 0x00010000u

/* The virtual "tick" minihv injects through ICH_LR0_EL2: SGI 1, Group 1. */
#define TICK_INTID 1u

/* Virtual PSCI (DEN 0022) that minihv implements for SMC calls trapped by HCR_EL2.TSC. */
#define PSCI_VERSION_FN 0x84000000u
#define PSCI_SYSTEM_OFF_FN 0x84000008u
#define PSCI_NOT_SUPPORTED (-1l)

/* Guest physical (IPA) layout, the same for both guests. */
#define GUEST_IPA_BASE 0x40000000ul
#define GUEST_RAM_SIZE (4ul << 20)
#define VUART_IPA 0x09000000ul /* unmapped at stage 2: minihv emulates a PL011 here */

/* Devices for the microbenchmarks of workloads/paper/ (Dall et al., ISCA 2016), unmapped at
 * stage 2 like the UART; the demo guests touch neither. A window of a GICv3 distributor
 * (GICD_CTLR, GICD_TYPER, GICD_IIDR; the rest of its 64 KiB reads as zero, writes are
 * ignored), and a doorbell: a write to DOORBELL_NOTIFY is seen by minihv's device model,
 * which stamps PMCCNTR_EL0 into DOORBELL_SEEN, queues the virtual interrupt DOORBELL_INTID
 * and stamps DOORBELL_RAISED. */
#define VGICD_IPA 0x08000000ul
#define VGICD_SIZE 0x10000ul
#define VDOORBELL_IPA 0x0a000000ul
#define DOORBELL_NOTIFY 0x00u
#define DOORBELL_SEEN 0x08u
#define DOORBELL_RAISED 0x10u
#define DOORBELL_INTID 48u

#endif
