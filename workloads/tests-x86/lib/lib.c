/* The x86-64 bare-metal tests' library (lib/x86.h). */
#include "x86.h"

#define COM1 0x3f8

void putc_(char c)
{
    if (c == '\n')
        putc_('\r');
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

void put_dec(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(buf + i);
}

void put_hex(uint64_t v)
{
    puts_("0x");
    int started = 0;
    for (int s = 60; s >= 0; s -= 4) {
        unsigned d = (v >> s) & 15;
        if (d || started || s == 0) {
            putc_("0123456789abcdef"[d]);
            started = 1;
        }
    }
}

uint64_t fw_cfg_read(uint16_t key, unsigned n)
{
    outw(0x510, key);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)inb(0x511) << (8 * i);
    return v;
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

int fw_cfg_dma_read(uint16_t key, void *buf, uint32_t len)
{
    /* big-endian control, length, address; the register takes the structure's address */
    static volatile struct { uint32_t control, length; uint64_t address; } acc
        __attribute__((aligned(16)));
    acc.control = bswap32(((uint32_t)key << 16) | 0x08 | 0x02);   /* select, read */
    acc.length = bswap32(len);
    uint64_t a = (uint64_t)buf;
    acc.address = (uint64_t)bswap32((uint32_t)a) << 32 | bswap32((uint32_t)(a >> 32));
    uint64_t pa = (uint64_t)&acc;
    outl(0x514, bswap32((uint32_t)(pa >> 32)));
    __asm__ volatile("" ::: "memory");
    outl(0x518, bswap32((uint32_t)pa));
    while (acc.control & ~bswap32(1))   /* done: 0, or just the error bit */
        ;
    return acc.control ? -1 : 0;
}

void debug_exit(uint8_t code)
{
    outl(0xf4, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

typedef struct __attribute__((packed)) Gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
} Gate;

static Gate idt[256];

void idt_set_gate(int vector, void (*handler)(void))
{
    uint64_t a = (uint64_t)handler;
    idt[vector] = (Gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

void idt_init(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } p = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}
