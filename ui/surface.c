/* Display surfaces (see surface.h). PNG encoding is libpng's. */
#include "ui/surface.h"
#include <png.h>
#include <string.h>

const uint8_t *surface_pixels(Machine *m)
{
    const DisplaySurface *s = &m->display;
    if (s->format == DISPLAY_FMT_NONE)
        return NULL;
    return bus_ram_ptr(&m->bus, s->pa, (uint64_t)s->stride * s->height);
}

uint32_t surface_rgb(const DisplaySurface *s, const uint8_t *pixels, uint32_t x, uint32_t y)
{
    const uint8_t *p = pixels + (uint64_t)y * s->stride + (uint64_t)x * display_bytes_per_pixel(s->format);
    if (s->format == DISPLAY_FMT_R5G6B5) {
        uint32_t v = p[0] | (uint32_t)p[1] << 8;
        /* widen each field by repeating its top bits, so full scale stays full scale */
        uint32_t r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;
        r = (r << 3) | (r >> 2);
        g = (g << 2) | (g >> 4);
        b = (b << 3) | (b >> 2);
        return r << 16 | g << 8 | b;
    }
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];   /* a8r8g8b8: B, G, R, A */
}

/* libpng reports errors through a longjmp; the message is kept for *err. */
static void png_error_fn(png_structp png, png_const_charp msg)
{
    char **err = png_get_error_ptr(png);
    if (!*err)
        *err = g_strdup(msg);
    png_longjmp(png, 1);
}

static void png_warning_fn(png_structp png, png_const_charp msg)
{
}

bool surface_write_png(Machine *m, OutFile *f, char **err)
{
    const DisplaySurface *s = &m->display;
    const uint8_t *pixels = surface_pixels(m);
    if (!pixels) {
        *err = g_strdup("the machine has no display (add -device simplefb)");
        return false;
    }
    char *perr = NULL;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &perr, png_error_fn,
                                              png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile row = g_malloc((size_t)s->width * 3);
    bool ok = false;
    if (!info) {
        perr = g_strdup("cannot allocate the PNG encoder");
        goto out;
    }
    if (setjmp(png_jmpbuf(png)))
        goto out;
    png_init_io(png, outfile_stream(f));
    png_set_IHDR(png, info, s->width, s->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < s->height; y++) {
        for (uint32_t x = 0; x < s->width; x++) {
            uint32_t c = surface_rgb(s, pixels, x, y);
            row[3 * x] = (uint8_t)(c >> 16);
            row[3 * x + 1] = (uint8_t)(c >> 8);
            row[3 * x + 2] = (uint8_t)c;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    ok = true;
out:
    png_destroy_write_struct(&png, info ? &info : NULL);
    g_free(row);
    if (!ok)
        *err = g_strdup_printf("%s: PNG encoding failed: %s", outfile_path(f),
                               perr ? perr : "unknown error");
    g_free(perr);
    return ok;
}
