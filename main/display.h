/* -display sdl: a window showing the machine's display surface (core/display.h), refreshed at
 * a host-time interval from the run loop's host poll, whose key presses reach the guest's
 * UART. Host time decides only when the window is redrawn; the window reads guest memory and
 * never writes it, so the machine runs the same with and without it (same state hash).
 *
 * Keyboard input joins the UART's host input: the UART reads a pipe that the window writes
 * key presses into and that stdin is copied into (unless the console owns the terminal), so
 * key presses go through machine_input() like any console input: logged by --record, replayed
 * by --replay, kept in reverse execution's history. */
#ifndef HVSIM_MAIN_DISPLAY_H
#define HVSIM_MAIN_DISPLAY_H
#include "core/machine.h"

typedef struct Display Display;

/* Opens the window for m->display and installs the host poll. *uart_in_fd is the UART's host
 * input (0 = stdin, -1 = none): it becomes the pipe, and stdin is copied into the pipe when it
 * was 0. NULL with a one-line *err (no display device, or no window possible: $DISPLAY unset). */
Display *display_sdl_open(Machine *m, int *uart_in_fd, char **err);
/* Closes the window (after the run). */
void display_close(Display *d);
#endif
