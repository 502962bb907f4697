/* The simple-framebuffer as a guest finds it: the node in the device tree the board placed at
 * the start of RAM (an ELF image above it), then a known pattern drawn into the frame, which
 * tests/system/display.sh compares pixel by pixel with a screendump. With "echo" in
 * /chosen/bootargs (-append echo) the program then prints the bytes the UART receives, up to
 * a carriage return: key presses in the -display sdl window arrive there.
 *
 * hvsim only: QEMU's virt has no simple-framebuffer, so run.sh does not compare it. */
#include "lib.h"

#define DTB_ADDR 0x40000000ULL
#define UART_DR ((volatile uint32_t *)0x09000000ULL)
#define UART_FR ((volatile uint32_t *)0x09000018ULL)
#define FR_RXFE (1u << 4)

enum { FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9 };

struct fb {
    uint64_t base;
    uint32_t width, height, stride;
    char format[16];
};

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const void *p)
{
    return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

static const uint8_t *align4(const uint8_t *p)
{
    return (const uint8_t *)(((uintptr_t)p + 3) & ~(uintptr_t)3);
}

/* Walks the structure block: the node whose compatible is "simple-framebuffer" (its
 * properties precede any child, so they are all read when the node ends), and the
 * bootargs of /chosen. */
static int find_fb(const uint8_t *dtb, struct fb *fb, char *bootargs, size_t bootargs_len)
{
    if (be32(dtb) != 0xd00dfeed)
        return -1;
    const uint8_t *p = dtb + be32(dtb + 8);
    const char *strings = (const char *)dtb + be32(dtb + 12);
    struct fb cur;
    int is_fb = 0, found = 0, is_chosen = 0;
    for (;;) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            memset(&cur, 0, sizeof cur);
            is_fb = 0;
            is_chosen = !strcmp(name, "chosen");
            p = align4(p + strlen(name) + 1);
        } else if (tok == FDT_END_NODE) {
            if (is_fb) {
                *fb = cur;
                found = 1;
            }
            is_fb = 0;
        } else if (tok == FDT_PROP) {
            uint32_t len = be32(p), nameoff = be32(p + 4);
            const uint8_t *v = p + 8;
            const char *name = strings + nameoff;
            if (!strcmp(name, "compatible") && !strcmp((const char *)v, "simple-framebuffer"))
                is_fb = 1;
            else if (!strcmp(name, "reg") && len >= 8)
                cur.base = be64(v);
            else if (!strcmp(name, "width"))
                cur.width = be32(v);
            else if (!strcmp(name, "height"))
                cur.height = be32(v);
            else if (!strcmp(name, "stride"))
                cur.stride = be32(v);
            else if (!strcmp(name, "format") && len < sizeof cur.format)
                memcpy(cur.format, v, len);
            else if (is_chosen && !strcmp(name, "bootargs") && len < bootargs_len)
                memcpy(bootargs, v, len);
            p = align4(v + len);
        } else if (tok == FDT_END) {
            return found ? 0 : -1;
        } else if (tok != FDT_NOP) {
            return -1;
        }
    }
}

/* The pattern display.sh expects: red from x, green from y, blue from both. */
static void draw(const struct fb *fb)
{
    int rgb565 = !strcmp(fb->format, "r5g6b5");
    for (uint32_t y = 0; y < fb->height; y++) {
        uint8_t *line = (uint8_t *)(uintptr_t)(fb->base + (uint64_t)y * fb->stride);
        for (uint32_t x = 0; x < fb->width; x++) {
            uint32_t r = (x * 7) & 0xff, g = (y * 5) & 0xff, b = (x ^ y) & 0xff;
            if (rgb565)
                ((volatile uint16_t *)line)[x] = (uint16_t)((r >> 3) << 11 | (g >> 2) << 5 | b >> 3);
            else
                ((volatile uint32_t *)line)[x] = 0xff000000u | r << 16 | g << 8 | b;
        }
    }
}

static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (!strncmp(s, w, n) && (s[n] == 0 || s[n] == ' '))
            return 1;
    return 0;
}

int main(void)
{
    struct fb fb;
    char bootargs[128] = "";
    if (find_fb((const uint8_t *)(uintptr_t)DTB_ADDR, &fb, bootargs, sizeof bootargs) < 0) {
        printf("no simple-framebuffer node in the device tree\n");
        return 1;
    }
    printf("framebuffer at 0x%llx: %ux%u, stride %u, %s\n", (unsigned long long)fb.base,
           fb.width, fb.height, fb.stride, fb.format);
    draw(&fb);
    printf("pattern drawn\n");
    if (has_word(bootargs, "echo")) {
        printf("type a line\n");
        printf("keys:");
        for (;;) {
            while (*UART_FR & FR_RXFE)
                ;
            uint32_t c = *UART_DR & 0xff;
            printf(" %02x", c);
            if (c == '\r')
                break;
        }
        printf("\n");
    }
    return 0;
}
