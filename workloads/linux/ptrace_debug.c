/* /init for a Linux boot that checks the kernel's use of the debug architecture through
 * ptrace, as gdb in a guest uses it: a hardware breakpoint (NT_ARM_HW_BREAK), single step
 * (PTRACE_SINGLESTEP: MDSCR_EL1.SS and SPSR_EL1.SS) and a hardware watchpoint
 * (NT_ARM_HW_WATCH) on a child process; prints the results and powers off (or exits, when it
 * is not init: the nested guest of tests/system/kvm.sh runs it from its /init).
 *
 * Raw system calls, no libc and no SIMD&FP registers (-mgeneral-regs-only), so it runs on a
 * core without the FP/AdvSIMD instructions. Built and booted by tests/system/linux-debug.sh. */
#include <stddef.h>
#include <stdint.h>

enum {
    SYS_write = 64, SYS_exit = 93, SYS_kill = 129, SYS_getpid = 172, SYS_clone = 220,
    SYS_ptrace = 117, SYS_wait4 = 260, SYS_reboot = 142,
};
enum {
    PTRACE_TRACEME = 0, PTRACE_PEEKDATA = 2, PTRACE_CONT = 7, PTRACE_SINGLESTEP = 9,
    PTRACE_GETSIGINFO = 0x4202, PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205,
};
enum { NT_PRSTATUS = 1, NT_ARM_HW_BREAK = 0x402, NT_ARM_HW_WATCH = 0x403 };
#define SIGCHLD 17
#define SIGSTOP 19
#define SIGTRAP 5

/* The compiler zeroes structures with memset. */
void *memset(void *p, int c, size_t n);
void *memset(void *p, int c, size_t n)
{
    volatile unsigned char *q = p;
    while (n--)
        *q++ = (unsigned char)c;
    return p;
}

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#define sys(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static void puts_(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sys(SYS_write, 1, s, n, 0);
}

static void put_hex(const char *what, uint64_t v)
{
    char buf[32];
    int i = 0;
    buf[i++] = '0';
    buf[i++] = 'x';
    int started = 0;
    for (int sh = 60; sh >= 0; sh -= 4) {
        unsigned d = (v >> sh) & 15;
        if (d || started || sh == 0) {
            buf[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
            started = 1;
        }
    }
    buf[i++] = '\n';
    buf[i] = 0;
    puts_(what);
    puts_(buf);
}

struct hwdebug {
    uint32_t dbg_info, pad;
    struct { uint64_t addr; uint32_t ctrl, pad; } regs[16];
};
struct pt_regs { uint64_t regs[31], sp, pc, pstate; };
struct iovec_ { void *base; size_t len; };

volatile uint64_t watched;
void target(void);
/* The child's code: a breakpoint on `target`, three single steps through it, a store to
 * `watched` the watchpoint catches. */
__asm__(".text\n.global target\ntarget:\n"
        " mov x9, #1\n add x9, x9, #1\n add x9, x9, #1\n add x9, x9, #1\n"
        " adrp x10, watched\n add x10, x10, :lo12:watched\n"
        " mov x11, #0x77\n str x11, [x10]\n ret\n");

static int wait_stop(long pid)
{
    int status = 0;
    sys(SYS_wait4, pid, &status, 0, 0);
    return status;
}

static uint64_t child_pc(long pid)
{
    struct pt_regs r;
    struct iovec_ io = { &r, sizeof r };
    sys(SYS_ptrace, PTRACE_GETREGSET, pid, NT_PRSTATUS, &io);
    return r.pc;
}

static long set_hw(long pid, int note, uint64_t addr, uint32_t ctrl)
{
    struct hwdebug h = { 0 };
    h.regs[0].addr = addr;
    h.regs[0].ctrl = ctrl;
    struct iovec_ io = { &h, offsetof(struct hwdebug, regs) + sizeof h.regs[0] };
    return sys(SYS_ptrace, PTRACE_SETREGSET, pid, note, &io);
}

/* As /init it powers the machine off; run from a shell (the KVM test's nested guest) it exits. */
static void power_off(void)
{
    if (sys(SYS_getpid, 0, 0, 0, 0) == 1)
        sys(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
    sys(SYS_exit, 0, 0, 0, 0);
}

void _start(void);
void _start(void)
{
    long pid = sys(SYS_clone, SIGCHLD, 0, 0, 0);
    if (pid == 0) {
        sys(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
        sys(SYS_kill, sys(SYS_getpid, 0, 0, 0, 0), SIGSTOP, 0, 0);
        target();
        sys(SYS_exit, watched == 0x77 ? 0 : 1, 0, 0, 0);
    }
    uint64_t t = (uint64_t)target;
    puts_("ptrace-debug: start\n");
    wait_stop(pid);
    /* breakpoint: EL0 (privilege 2), execute, BAS 0b1111 */
    put_hex("set breakpoint: ", (uint64_t)set_hw(pid, NT_ARM_HW_BREAK, t, 1 | 2 << 1 | 0xf << 5));
    sys(SYS_ptrace, PTRACE_CONT, pid, 0, 0);
    int st = wait_stop(pid);
    put_hex("stop signal: ", (uint64_t)((st >> 8) & 0xff));
    put_hex("breakpoint pc - target: ", child_pc(pid) - t);
    set_hw(pid, NT_ARM_HW_BREAK, 0, 0);
    for (int i = 0; i < 3; i++) {
        sys(SYS_ptrace, PTRACE_SINGLESTEP, pid, 0, 0);
        st = wait_stop(pid);
        put_hex("step pc - target: ", child_pc(pid) - t);
    }
    /* watchpoint: EL0, stores, 8 bytes */
    put_hex("set watchpoint: ", (uint64_t)set_hw(pid, NT_ARM_HW_WATCH, (uint64_t)&watched,
                                                 1 | 2 << 1 | 2 << 3 | 0xff << 5));
    sys(SYS_ptrace, PTRACE_CONT, pid, 0, 0);
    st = wait_stop(pid);
    put_hex("stop signal: ", (uint64_t)((st >> 8) & 0xff));
    uint64_t si[16] = { 0 };
    sys(SYS_ptrace, PTRACE_GETSIGINFO, pid, 0, si);
    put_hex("watchpoint si_addr - &watched: ", si[2] - (uint64_t)&watched);
    put_hex("watchpoint pc - target: ", child_pc(pid) - t);
    uint64_t before = 0;
    sys(SYS_ptrace, PTRACE_PEEKDATA, pid, &watched, &before);
    put_hex("watched before the store: ", before);
    set_hw(pid, NT_ARM_HW_WATCH, 0, 0);
    sys(SYS_ptrace, PTRACE_CONT, pid, 0, 0);
    st = wait_stop(pid);
    put_hex("child exit status: ", (uint64_t)st);
    puts_("ptrace-debug: done\n");
    power_off();
}
