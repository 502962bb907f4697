/* A display surface: where a guest's frame lies in guest memory and how its pixels are laid
 * out. A framebuffer device (devices/simplefb.c) describes its frame with one; the front ends
 * that show it (the SDL window, `screendump`) read the pixels from guest RAM through it and
 * never write: what a window shows is not machine state. */
#ifndef HVSIM_CORE_DISPLAY_H
#define HVSIM_CORE_DISPLAY_H
#include <stdint.h>

/* Pixel formats, named as the simple-framebuffer binding names them (bits from the most
 * significant down, in a little-endian word of 32 or 16 bits). */
typedef enum {
    DISPLAY_FMT_NONE = 0,     /* no display device */
    DISPLAY_FMT_A8R8G8B8,     /* bytes in memory: B, G, R, A */
    DISPLAY_FMT_R5G6B5,
} DisplayFormat;

typedef struct DisplaySurface {
    uint64_t pa;              /* guest physical address of the first pixel */
    uint32_t width, height;   /* pixels */
    uint32_t stride;          /* bytes per line */
    DisplayFormat format;     /* DISPLAY_FMT_NONE: no surface */
} DisplaySurface;

static inline unsigned display_bytes_per_pixel(DisplayFormat f)
{
    return f == DISPLAY_FMT_R5G6B5 ? 2 : 4;
}

static inline const char *display_format_name(DisplayFormat f)
{
    return f == DISPLAY_FMT_R5G6B5 ? "r5g6b5" : f == DISPLAY_FMT_A8R8G8B8 ? "a8r8g8b8" : "none";
}
#endif
