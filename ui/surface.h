/* Reading a display surface (core/display.h) out of guest memory: as 8-bit RGB, and as a PNG
 * file for `screendump` (libpng). Reads only: a screendump never changes the machine. */
#ifndef HVSIM_UI_SURFACE_H
#define HVSIM_UI_SURFACE_H
#include <stdbool.h>
#include <stdint.h>
#include "core/machine.h"
#include "core/outfile.h"

/* Host pointer to the frame of m->display (it lies in RAM), or NULL without a display. */
const uint8_t *surface_pixels(Machine *m);
/* The pixel at (x, y) as 0xRRGGBB. */
uint32_t surface_rgb(const DisplaySurface *s, const uint8_t *pixels, uint32_t x, uint32_t y);
/* Writes the current frame as an 8-bit RGB PNG into f (the caller commits it). false with a
 * one-line *err. */
bool surface_write_png(Machine *m, OutFile *f, char **err);
#endif
