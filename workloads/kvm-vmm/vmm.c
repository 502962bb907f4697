/*
 * kvm-vmm: a small static VMM for Linux's KVM on arm64, written for hvsim's KVM test (Debian
 * has no arm64 kvmtool). It runs one Linux guest, each vCPU on a thread of its own:
 *
 *   vmm KERNEL INITRD DTB [MEM_MIB [VCPUS]]
 *
 * KERNEL is an arm64 Image, INITRD an initramfs, DTB the guest's device tree (made at build
 * time from guest.dts with dtc; its /chosen names the initrd at RAM + 64 MiB and it lists
 * VCPUS cpus, see scripts/kvm-image.sh). The machine is a subset of QEMU's virt board, so the guest kernel
 * needs nothing special:
 *
 *   0x08000000  GICv3 distributor (KVM's in-kernel vGIC)
 *   0x080a0000  GICv3 redistributor (one 128 KiB frame per vCPU)
 *   0x09000000  PL011 UART, emulated here from KVM_EXIT_MMIO: output only
 *   0x40000000  RAM (MEM_MIB, default 128): kernel at its text_offset, initrd at +64 MiB,
 *               DTB in the last 2 MiB
 *
 * PSCI 0.2 is KVM's (KVM_ARM_VCPU_PSCI_0_2): vCPU 0 starts at the kernel's entry, the others
 * powered off until the guest's CPU_ON (KVM_ARM_VCPU_POWER_OFF); SYSTEM_OFF comes back as
 * KVM_EXIT_SYSTEM_EVENT and ends the VMM with exit code 0. Every other exit the VMM does
 * not handle is reported on stderr with exit code 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GICD_IPA 0x08000000ull
#define GICR_IPA 0x080a0000ull
#define GICC_IPA 0x08010000ull   /* GICv2 hosts: the vCPU interface, as QEMU's virt */
#define UART_IPA 0x09000000ull
#define UART_SIZE 0x1000ull
#define RAM_IPA 0x40000000ull
#define INITRD_OFFSET (64ull << 20)
#define DTB_MAX (2ull << 20)
#define MAX_VCPUS 8

/* PL011 registers the guest's driver uses (PL011 TRM 3.2) */
#define UARTDR 0x000
#define UARTFR 0x018
#define UARTFR_RXFE (1u << 4)
#define UARTFR_TXFE (1u << 7)
#define UARTPERIPHID0 0xfe0

static void die(const char *what)
{
    fprintf(stderr, "kvm-vmm: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *msg)
{
    fprintf(stderr, "kvm-vmm: %s\n", msg);
    exit(1);
}

/* Read a whole file into guest memory at OFFSET from RAM's base; returns its size. */
static uint64_t load_file(const char *path, uint8_t *ram, uint64_t ram_size, uint64_t offset,
                          uint64_t limit)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die(path);
    if ((uint64_t)st.st_size > limit || offset + (uint64_t)st.st_size > ram_size) {
        fprintf(stderr, "kvm-vmm: %s: %lld bytes do not fit at RAM+0x%llx\n", path,
                (long long)st.st_size, (unsigned long long)offset);
        exit(1);
    }
    uint64_t done = 0;
    while (done < (uint64_t)st.st_size) {
        ssize_t n = read(fd, ram + offset + done, st.st_size - done);
        if (n <= 0)
            die(path);
        done += n;
    }
    close(fd);
    return done;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void set_reg(int vcpu, uint64_t id, uint64_t value)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
        die("KVM_SET_ONE_REG");
}

#define CORE_REG(field) \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

static void set_vgic_attr(int dev, uint32_t group, uint64_t attr, void *value)
{
    struct kvm_device_attr a = {
        .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value,
    };
    if (ioctl(dev, KVM_SET_DEVICE_ATTR, &a) < 0)
        die("KVM_SET_DEVICE_ATTR (vGIC)");
}

/* The in-kernel vGIC, created after the vCPUs and initialised before the first KVM_RUN: a
 * GICv3 (Documentation/virt/kvm/devices/arm-vgic-v3.rst: a redistributor per vCPU from
 * GICR_IPA on) where the host has one, else a GICv2 (arm-vgic.rst: KVM refuses the v3 device
 * with ENODEV on a GICv2 host), its CPU interface at GICC_IPA. The DTB the VMM is given must
 * describe the same one (run-guest picks it). */
static void create_vgic(int vm)
{
    struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
    if (ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0) {
        uint64_t dist = GICD_IPA, redist = GICR_IPA;
        set_vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
        set_vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
    } else {
        if (errno != ENODEV)
            die("KVM_CREATE_DEVICE (vGICv3)");
        cd = (struct kvm_create_device){ .type = KVM_DEV_TYPE_ARM_VGIC_V2 };
        if (ioctl(vm, KVM_CREATE_DEVICE, &cd) < 0)
            die("KVM_CREATE_DEVICE (vGICv2)");
        uint64_t dist = GICD_IPA, cpu = GICC_IPA;
        set_vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &dist);
        set_vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &cpu);
    }
    set_vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/* The PL011 as far as Linux's amba-pl011 driver and earlycon need it: the transmitter is
 * always empty (so the driver never waits for a TX interrupt), the receiver always empty,
 * the PrimeCell identification registers say PL011 revision 1 (0x00141011); every other
 * register reads as zero and ignores writes. */
static void uart_access(struct kvm_run *run)
{
    uint64_t off = run->mmio.phys_addr - UART_IPA;
    if (run->mmio.is_write) {
        if (off == UARTDR) {
            putchar(run->mmio.data[0]);
            if (run->mmio.data[0] == '\n')
                fflush(stdout);
        }
        return;
    }
    static const uint8_t ids[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
    uint32_t value = 0;
    if (off == UARTFR)
        value = UARTFR_TXFE | UARTFR_RXFE;
    else if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 0x20 && off % 4 == 0)
        value = ids[(off - UARTPERIPHID0) / 4];
    memset(run->mmio.data, 0, sizeof run->mmio.data);
    memcpy(run->mmio.data, &value, run->mmio.len < 4 ? run->mmio.len : 4);
}

static int run_size;

/* One vCPU's KVM_RUN loop; the guest's power-off (from any vCPU) ends the process. */
static void *vcpu_thread(void *arg)
{
    int vcpu = *(int *)arg;
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO:
            if (run->mmio.phys_addr >= UART_IPA && run->mmio.phys_addr < UART_IPA + UART_SIZE) {
                uart_access(run);
                break;
            }
            fflush(stdout);
            fprintf(stderr, "kvm-vmm: guest %s of nothing at IPA 0x%llx\n",
                    run->mmio.is_write ? "write" : "read",
                    (unsigned long long)run->mmio.phys_addr);
            exit(1);
        case KVM_EXIT_SYSTEM_EVENT:
            fflush(stdout);
            if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
                fprintf(stderr, "kvm-vmm: guest powered off\n");
                exit(0);
            }
            fprintf(stderr, "kvm-vmm: guest system event %u\n", run->system_event.type);
            exit(1);
        default:
            fflush(stdout);
            fprintf(stderr, "kvm-vmm: unhandled exit reason %u\n", run->exit_reason);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: %s KERNEL INITRD DTB [MEM_MIB [VCPUS]]\n", argv[0]);
        return 2;
    }
    uint64_t ram_size = (argc >= 5 ? strtoull(argv[4], NULL, 0) : 128) << 20;
    if (ram_size < INITRD_OFFSET + DTB_MAX || ram_size > (4ull << 30))
        fail("MEM_MIB must be between 66 and 4096");
    int nvcpus = argc == 6 ? atoi(argv[5]) : 1;
    if (nvcpus < 1 || nvcpus > MAX_VCPUS)
        fail("VCPUS must be between 1 and 8");

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        fail("unexpected KVM API version");
    /* The IPA size: 40 bits (KVM's default) unless the host's PA range is smaller, which
     * KVM_CAP_ARM_VM_IPA_SIZE reports; this machine's top address needs 31 bits. */
    int ipa_bits = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
    unsigned long type = ipa_bits > 0 && ipa_bits < 40 ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa_bits) : 0;
    int vm = ioctl(kvm, KVM_CREATE_VM, type);
    if (vm < 0)
        die("KVM_CREATE_VM");

    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap guest RAM");
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = RAM_IPA, .memory_size = ram_size,
        .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    /* Documentation/arm64/booting.rst: the Image at a 2 MiB-aligned base plus text_offset,
     * image_size bytes from there free (its BSS), x0 = the DTB's address. */
    uint64_t kernel_size = load_file(argv[1], ram, ram_size, 0, INITRD_OFFSET);
    if (kernel_size < 64 || memcmp(ram + 56, "ARM\x64", 4) != 0)
        fail("KERNEL is not an arm64 Image");
    uint64_t text_offset = le64(ram + 8), image_size = le64(ram + 16);
    if (text_offset != 0) {
        memmove(ram + text_offset, ram, kernel_size);
        memset(ram, 0, text_offset);
    }
    if (text_offset + image_size > INITRD_OFFSET)
        fail("KERNEL's image_size reaches the initrd at RAM+64 MiB");
    load_file(argv[2], ram, ram_size, INITRD_OFFSET, ram_size - INITRD_OFFSET - DTB_MAX);
    uint64_t dtb_offset = ram_size - DTB_MAX;
    load_file(argv[3], ram, ram_size, dtb_offset, DTB_MAX);

    int vcpus[MAX_VCPUS];
    for (int i = 0; i < nvcpus; i++) {
        vcpus[i] = ioctl(vm, KVM_CREATE_VCPU, i);
        if (vcpus[i] < 0)
            die("KVM_CREATE_VCPU");
        struct kvm_vcpu_init init;
        if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
            die("KVM_ARM_PREFERRED_TARGET");
        init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
        if (i > 0)
            init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
        if (ioctl(vcpus[i], KVM_ARM_VCPU_INIT, &init) < 0)
            die("KVM_ARM_VCPU_INIT");
    }
    create_vgic(vm);
    set_reg(vcpus[0], CORE_REG(regs.pc), RAM_IPA + text_offset);
    set_reg(vcpus[0], CORE_REG(regs.regs[0]), RAM_IPA + dtb_offset);

    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        die("KVM_GET_VCPU_MMAP_SIZE");
    pthread_t threads[MAX_VCPUS];
    for (int i = 1; i < nvcpus; i++)
        if ((errno = pthread_create(&threads[i], NULL, vcpu_thread, &vcpus[i])) != 0)
            die("pthread_create");
    vcpu_thread(&vcpus[0]);
    return 1;
}
