/* The x86-64 bare-metal tests' library: port I/O, the COM1 console, fw_cfg, isa-debug-exit,
 * the local APIC and an IDT. Runs on QEMU's pc board and hvsim's -M pc alike. */
#ifndef X86_TESTS_LIB_H
#define X86_TESTS_LIB_H
#include <stdbool.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* The Multiboot information's fields the tests read. */
typedef struct MbInfo {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} MbInfo;

void putc_(char c);
void puts_(const char *s);
void put_dec(uint64_t v);
void put_hex(uint64_t v);
/* fw_cfg: the item's first n bytes (little-endian) */
uint64_t fw_cfg_read(uint16_t key, unsigned n);
/* fw_cfg's DMA interface: len bytes of item key into buf; 0, or -1 on an error */
int fw_cfg_dma_read(uint16_t key, void *buf, uint32_t len);
/* isa-debug-exit (port 0xf4): the run ends with status (code << 1) | 1 */
void __attribute__((noreturn)) debug_exit(uint8_t code);
/* isa-debug-exit, then Bochs's shutdown port for the programs that also run in Bochs, which
 * has no isa-debug-exit: "Shutdown" written to port 0x8900 a byte at a time ends a Bochs run,
 * once COM1's transmitter is empty (LSR.TEMT; else Bochs drops the last characters). hvsim
 * and QEMU stop at the first write (and have no device at 0x8900: writes there are dropped).
 * Inline, so the programs that do not use it keep their layout. */
static inline void __attribute__((noreturn)) debug_exit_or_shutdown(uint8_t code)
{
    outl(0xf4, code);
    while (!(inb(0x3fd) & 0x40))
        ;
    for (const char *p = "Shutdown"; *p; p++)
        outb(0x8900, (uint8_t)*p);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* local APIC (xAPIC page at 0xfee00000) */
#define LAPIC ((volatile uint32_t *)0xfee00000UL)
static inline uint32_t lapic_read(unsigned off) { return LAPIC[off / 4]; }
static inline void lapic_write(unsigned off, uint32_t v) { LAPIC[off / 4] = v; }

/* Application processors (lib/ap.c): INIT-SIPI-SIPI to all the others, each then runs
 * fn(slot) in 64-bit mode on a stack of its own (slot: the order they arrived in); waits up
 * to 20 ms for `want` of them and returns how many started. */
#define AP_MAX 8
unsigned start_aps(unsigned want, void (*fn)(unsigned slot));
/* About `us` microseconds by polling the (masked) LAPIC timer. */
void delay_us(unsigned us);

/* IDT: set_gate(vector, handler); handlers are assembly stubs (see timer.c) */
void idt_init(void);
void idt_set_gate(int vector, void (*handler)(void));


/* An interrupt entry stub `name` that saves the caller-saved registers, calls fn(void) and
 * returns with IRETQ (vectors without an error code). */
#define ISR_STUB(name, fn) \
    void name(void); \
    __asm__(".text\n.globl " #name "\n" #name ":\n" \
            "push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\n" \
            "push %r8\npush %r9\npush %r10\npush %r11\n" \
            "call " #fn "\n" \
            "pop %r11\npop %r10\npop %r9\npop %r8\n" \
            "pop %rdi\npop %rsi\npop %rdx\npop %rcx\npop %rax\niretq\n")
#endif
