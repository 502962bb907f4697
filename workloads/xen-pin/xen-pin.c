/*
 * xen-pin: pins Xen vCPUs to physical CPUs from dom0, written for hvsim's dom0less test.
 * Debian's Xen 4.17 has neither the null scheduler nor boot-time cpupools, so the device tree
 * cannot pin a dom0less domU; `xl vcpu-pin` could, but needs xenstored and the toolstack's
 * libraries in dom0. This tool makes the domctl hypercalls xl would, directly:
 *
 *   xen-pin dDvV[=CPUS]...        e.g.  xen-pin d1v0=2 d2v0=3 d0v0 d0v1
 *
 * For each dDvV=CPUS, XEN_DOMCTL_setvcpuaffinity sets vCPU V of domain D's hard affinity to
 * CPUS (a list: "2", "0-1", "0,2-3"), then waits until Xen has moved the vCPU there (a
 * running vCPU migrates at its next reschedule). For every dDvV, with or without CPUS, it
 * reads back XEN_DOMCTL_getvcpuaffinity (hard and soft) and XEN_DOMCTL_getvcpuinfo (the pCPU
 * the vCPU is on, and its state) and prints one line:
 *
 *   xen-pin: d1v0 hard=2 soft=0-3 cpu=2 running
 *
 * The hypercalls go through Linux's privcmd driver (/dev/xen/privcmd, the xen-privcmd
 * module): IOCTL_PRIVCMD_HYPERCALL with __HYPERVISOR_domctl. Xen reads and writes the domctl
 * and its bitmaps through dom0's stage-1 mapping of them, so they live in one page of locked
 * memory. Exit status 0; 1 on any error (one line on stderr); 2 on bad usage.
 *
 * The definitions below are written from Xen 4.17's public interface
 * (xen/include/public/xen.h, domctl.h) and Linux's include/uapi/xen/privcmd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Linux's include/uapi/xen/privcmd.h */
struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

#define HYPERVISOR_DOMCTL 36            /* __HYPERVISOR_domctl (xen.h) */
#define DOMCTL_INTERFACE_VERSION 0x15   /* Xen 4.17; Xen refuses any other with EACCES */
#define DOMCTL_SETVCPUAFFINITY 9
#define DOMCTL_GETVCPUINFO 14
#define DOMCTL_GETVCPUAFFINITY 25
#define VCPUAFFINITY_HARD (1u << 0)
#define VCPUAFFINITY_SOFT (1u << 1)

#define MAX_CPUS 64                     /* bits in the cpumaps this tool hands Xen */
#define MAX_DOMID 0x7fef                /* DOMID_FIRST_RESERVED - 1 */

/* struct xenctl_bitmap: a 64-bit guest handle (a pointer to the bytes) and the bit count */
struct xenctl_bitmap {
    uint64_t bitmap;
    uint32_t nr_bits;
    uint32_t pad;
};

struct domctl_vcpuaffinity {
    uint32_t vcpu;
    uint32_t flags;                     /* VCPUAFFINITY_* */
    struct xenctl_bitmap cpumap_hard;
    struct xenctl_bitmap cpumap_soft;
};

struct domctl_getvcpuinfo {
    uint32_t vcpu;
    uint8_t online, blocked, running;
    uint64_t cpu_time;                  /* ns */
    uint32_t cpu;                       /* the pCPU it is on (or last ran on) */
};

/* struct xen_domctl: a 16-byte header and a 128-byte union of the operations' arguments */
struct domctl {
    uint32_t cmd;
    uint32_t interface_version;
    uint16_t domain;
    uint16_t pad[3];
    union {
        struct domctl_vcpuaffinity affinity;
        struct domctl_getvcpuinfo vcpuinfo;
        uint64_t pad[16];
    } u;
};
_Static_assert(sizeof(struct domctl) == 144, "struct xen_domctl is 144 bytes");
_Static_assert(sizeof(struct domctl_getvcpuinfo) == 24, "xen_domctl_getvcpuinfo layout");

/* Everything Xen reads or writes, in one locked page. */
struct hcall_buf {
    struct domctl domctl;
    uint8_t hard[MAX_CPUS / 8];
    uint8_t soft[MAX_CPUS / 8];
};

static int privcmd = -1;
static struct hcall_buf *buf;

/* One line on stderr (with strerror(err) unless err is 0), exit status 1. */
static void __attribute__((format(printf, 2, 3), noreturn)) fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xen-pin: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err)
        fprintf(stderr, ": %s", strerror(err));
    fprintf(stderr, "\n");
    exit(1);
}

/* Bad usage (BAD: the argument at fault, or NULL): one line on stderr, exit status 2. */
static void __attribute__((noreturn)) usage(const char *bad)
{
    if (bad)
        fprintf(stderr, "xen-pin: bad argument '%s' (", bad);
    fprintf(stderr, "usage: xen-pin dDOMvVCPU[=CPUS]...; CPUS: 2, 0-1, 0,2-3, each below %d%s\n",
            MAX_CPUS, bad ? ")" : "");
    exit(2);
}

static void open_privcmd(void)
{
    privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (privcmd < 0)
        fail(errno, "/dev/xen/privcmd (is xen-privcmd loaded, and is this dom0?)");
    buf = mmap(NULL, sizeof *buf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        fail(errno, "mmap");
    if (mlock(buf, sizeof *buf) < 0)
        fail(errno, "mlock");
}

/* A failed domctl: Xen answers EACCES to any other interface version than its own. */
static void __attribute__((noreturn)) domctl_fail(const char *name, const char *op, int err)
{
    fail(err, "%s: %s%s", name, op,
         err == EACCES ? " (is this Xen 4.17, domctl interface 0x15?)" : "");
}

/* One domctl on buf->domctl; returns 0 or a positive errno. */
static int domctl(uint32_t cmd, uint16_t dom)
{
    buf->domctl.cmd = cmd;
    buf->domctl.interface_version = DOMCTL_INTERFACE_VERSION;
    buf->domctl.domain = dom;
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_DOMCTL, .arg = { (uint64_t)(uintptr_t)&buf->domctl },
    };
    return ioctl(privcmd, IOCTL_PRIVCMD_HYPERCALL, &call) < 0 ? errno : 0;
}

/* The vCPU's affinity domctl, with both bitmaps pointing into the locked page. */
static void affinity_args(uint32_t vcpu, uint32_t flags)
{
    memset(&buf->domctl.u, 0, sizeof buf->domctl.u);
    buf->domctl.u.affinity.vcpu = vcpu;
    buf->domctl.u.affinity.flags = flags;
    buf->domctl.u.affinity.cpumap_hard.bitmap = (uint64_t)(uintptr_t)buf->hard;
    buf->domctl.u.affinity.cpumap_hard.nr_bits = MAX_CPUS;
    buf->domctl.u.affinity.cpumap_soft.bitmap = (uint64_t)(uintptr_t)buf->soft;
    buf->domctl.u.affinity.cpumap_soft.nr_bits = MAX_CPUS;
}

static int set_hard_affinity(uint16_t dom, uint32_t vcpu, const uint8_t *cpus)
{
    affinity_args(vcpu, VCPUAFFINITY_HARD);
    memcpy(buf->hard, cpus, sizeof buf->hard);
    memset(buf->soft, 0, sizeof buf->soft);
    return domctl(DOMCTL_SETVCPUAFFINITY, dom);
}

static int get_affinity(uint16_t dom, uint32_t vcpu, uint8_t *hard, uint8_t *soft)
{
    affinity_args(vcpu, VCPUAFFINITY_HARD | VCPUAFFINITY_SOFT);
    memset(buf->hard, 0, sizeof buf->hard);
    memset(buf->soft, 0, sizeof buf->soft);
    int err = domctl(DOMCTL_GETVCPUAFFINITY, dom);
    memcpy(hard, buf->hard, sizeof buf->hard);
    memcpy(soft, buf->soft, sizeof buf->soft);
    return err;
}

static int get_vcpuinfo(uint16_t dom, uint32_t vcpu, struct domctl_getvcpuinfo *info)
{
    memset(&buf->domctl.u, 0, sizeof buf->domctl.u);
    buf->domctl.u.vcpuinfo.vcpu = vcpu;
    int err = domctl(DOMCTL_GETVCPUINFO, dom);
    *info = buf->domctl.u.vcpuinfo;
    return err;
}

static int has_cpu(const uint8_t *map, unsigned cpu)
{
    return cpu < MAX_CPUS && (map[cpu / 8] >> (cpu % 8) & 1);
}

/* "2", "0-1", "0,2-3" into a bitmap; 0 when the list is malformed or empty. */
static int parse_cpus(const char *s, uint8_t *map)
{
    memset(map, 0, MAX_CPUS / 8);
    int any = 0;
    for (;;) {
        char *end;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (end == s || lo >= MAX_CPUS)
            return 0;
        if (*end == '-') {
            s = end + 1;
            hi = strtoul(s, &end, 10);
            if (end == s || hi >= MAX_CPUS || hi < lo)
                return 0;
        }
        for (unsigned long c = lo; c <= hi; c++)
            map[c / 8] |= (uint8_t)(1u << (c % 8));
        any = 1;
        if (*end == '\0')
            return any;
        if (*end != ',')
            return 0;
        s = end + 1;
    }
}

/* The bitmap as a list of ranges, as Xen's own logs print cpumasks ("0-3", "2", "0,2-3"). */
static void format_cpus(const uint8_t *map, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned c = 0; c < MAX_CPUS; c++) {
        if (!has_cpu(map, c) || (c > 0 && has_cpu(map, c - 1)))
            continue;
        unsigned last = c;
        while (has_cpu(map, last + 1))
            last++;
        n += (size_t)snprintf(out + n, size - n, last > c ? "%s%u-%u" : "%s%u", n ? "," : "", c, last);
        if (n >= size)
            break;
    }
    if (!out[0])
        snprintf(out, size, "none");
}

/* "dDvV" or "dDvV=CPUS" */
static int parse_target(const char *arg, unsigned *dom, unsigned *vcpu, const char **cpus)
{
    int used = 0;
    if (sscanf(arg, "d%uv%u%n", dom, vcpu, &used) != 2 || *dom > MAX_DOMID)
        return 0;
    if (arg[used] == '\0')
        *cpus = NULL;
    else if (arg[used] == '=')
        *cpus = arg + used + 1;
    else
        return 0;
    return 1;
}

/* Until the vCPU is on a pCPU of its new hard affinity: Xen moves a vCPU that is not running
 * at once, a running one when it is next descheduled. 1 ms steps, for at most a second. */
static void wait_for_move(const char *name, uint16_t dom, uint32_t vcpu, const uint8_t *hard)
{
    for (int i = 0; i < 1000; i++) {
        struct domctl_getvcpuinfo info;
        int err = get_vcpuinfo(dom, vcpu, &info);
        if (err)
            domctl_fail(name, "XEN_DOMCTL_getvcpuinfo", err);
        if (has_cpu(hard, info.cpu))
            return;
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    fail(0, "%s: still outside its new hard affinity after a second", name);
}

static void report(const char *name, uint16_t dom, uint32_t vcpu)
{
    uint8_t hard[MAX_CPUS / 8], soft[MAX_CPUS / 8];
    struct domctl_getvcpuinfo info;
    int err = get_affinity(dom, vcpu, hard, soft);
    if (err)
        domctl_fail(name, "XEN_DOMCTL_getvcpuaffinity", err);
    err = get_vcpuinfo(dom, vcpu, &info);
    if (err)
        domctl_fail(name, "XEN_DOMCTL_getvcpuinfo", err);
    char h[256], s[256];
    format_cpus(hard, h, sizeof h);
    format_cpus(soft, s, sizeof s);
    printf("xen-pin: %s hard=%s soft=%s cpu=%u %s\n", name, h, s, info.cpu,
           !info.online ? "offline" : info.running ? "running" : info.blocked ? "blocked" : "runnable");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage(NULL);
    for (int i = 1; i < argc; i++) {          /* all arguments checked before any hypercall */
        unsigned dom, vcpu;
        const char *cpus;
        uint8_t map[MAX_CPUS / 8];
        if (!parse_target(argv[i], &dom, &vcpu, &cpus) || (cpus && !parse_cpus(cpus, map)))
            usage(argv[i]);
    }
    open_privcmd();
    for (int i = 1; i < argc; i++) {
        unsigned dom, vcpu;
        const char *cpus;
        uint8_t map[MAX_CPUS / 8];
        char name[32];
        parse_target(argv[i], &dom, &vcpu, &cpus);
        snprintf(name, sizeof name, "d%uv%u", dom, vcpu);
        if (cpus) {
            parse_cpus(cpus, map);
            int err = set_hard_affinity((uint16_t)dom, vcpu, map);
            if (err)
                domctl_fail(name, "XEN_DOMCTL_setvcpuaffinity", err);
            wait_for_move(name, (uint16_t)dom, vcpu, map);
        }
        report(name, (uint16_t)dom, vcpu);
    }
    fflush(stdout);
    return 0;
}
