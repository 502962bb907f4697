/* The SDL2 window (see display.h). */
#include "main/display.h"
#include <SDL.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "ui/surface.h"

/* About 30 frames per second; events (keys, closing) are read at the same pace. */
#define DISPLAY_REFRESH_US 33000

struct Display {
    Machine *m;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int key_fd[2];            /* the pipe the UART reads: [0] the UART's, [1] ours */
    int pipe_size;            /* the pipe's capacity (bytes) */
    bool copy_stdin;          /* stdin is copied into the pipe */
    int stdin_eof;
    gint64 next_refresh;      /* host time (monotonic, microseconds) of the next refresh */
    uint8_t *shown;           /* the frame as last drawn: an unchanged frame is not drawn again */
    bool exposed;             /* the window needs drawing whatever the frame (shown, resized) */
};

static void send_bytes(Display *d, const char *s, size_t n)
{
    /* a full pipe (the guest reads no input) drops the key press, as a full UART FIFO would */
    if (n && write(d->key_fd[1], s, n) < 0)
        return;
}

/* Keys that give no text: the bytes a terminal sends for them (Enter is CR as on a serial
 * line; Backspace DEL as xterm and the Linux console send; arrows and Home/End/Delete as
 * VT100/xterm escape sequences; Ctrl+letter the control character). */
static void key_down(Display *d, const SDL_KeyboardEvent *k)
{
    static const struct { SDL_Keycode key; const char *seq; } keys[] = {
        { SDLK_RETURN, "\r" }, { SDLK_KP_ENTER, "\r" }, { SDLK_BACKSPACE, "\x7f" },
        { SDLK_TAB, "\t" }, { SDLK_ESCAPE, "\x1b" }, { SDLK_UP, "\x1b[A" },
        { SDLK_DOWN, "\x1b[B" }, { SDLK_RIGHT, "\x1b[C" }, { SDLK_LEFT, "\x1b[D" },
        { SDLK_HOME, "\x1b[H" }, { SDLK_END, "\x1b[F" }, { SDLK_DELETE, "\x1b[3~" },
    };
    SDL_Keycode sym = k->keysym.sym;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        if (keys[i].key == sym) {
            send_bytes(d, keys[i].seq, strlen(keys[i].seq));
            return;
        }
    if ((k->keysym.mod & KMOD_CTRL) && sym >= SDLK_a && sym <= SDLK_z) {
        char c = (char)(sym - SDLK_a + 1);
        send_bytes(d, &c, 1);
    }
}

/* Draws the frame if it changed since the last time or the window asks for it. The
 * comparison costs a fraction of the upload, which under a software X server is most of the
 * window's cost (measured: the integer workload takes the same CPU time with a static window
 * as without one). */
static void redraw(Display *d)
{
    const uint8_t *pixels = surface_pixels(d->m);
    size_t size = (size_t)d->m->display.stride * d->m->display.height;
    if (!d->exposed && !memcmp(d->shown, pixels, size))
        return;
    memcpy(d->shown, pixels, size);
    d->exposed = false;
    SDL_UpdateTexture(d->tex, NULL, pixels, (int)d->m->display.stride);
    SDL_RenderClear(d->ren);
    SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
    SDL_RenderPresent(d->ren);
}

/* stdin into the pipe, only as much as the pipe has room for: what a script pipes in waits in
 * stdin until the guest reads, as it does without the window. */
static void copy_stdin(Display *d)
{
    int queued = 0;
    if (!d->copy_stdin || ioctl(d->key_fd[0], FIONREAD, &queued) < 0 || queued >= d->pipe_size)
        return;
    uint8_t buf[512];
    size_t room = (size_t)(d->pipe_size - queued);
    size_t n = machine_read_host(0, &d->stdin_eof, buf, room < sizeof buf ? room : sizeof buf);
    send_bytes(d, (const char *)buf, n);
}

static void display_poll(void *opaque)
{
    Display *d = opaque;
    gint64 now = g_get_monotonic_time();
    if (now < d->next_refresh)
        return;
    d->next_refresh = now + DISPLAY_REFRESH_US;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_QUIT) {
            /* as QEMU: closing the window ends the run */
            machine_stop(d->m, EXIT_OK, "the display window was closed");
        } else if (ev.type == SDL_TEXTINPUT) {
            send_bytes(d, ev.text.text, strlen(ev.text.text));
        } else if (ev.type == SDL_KEYDOWN) {
            key_down(d, &ev.key);
        } else if (ev.type == SDL_WINDOWEVENT) {
            d->exposed = true;   /* exposed, resized, restored: draw again */
        }
    }
    copy_stdin(d);
    redraw(d);
}

Display *display_sdl_open(Machine *m, int *uart_in_fd, char **err)
{
    const DisplaySurface *s = &m->display;
    if (s->format == DISPLAY_FMT_NONE) {
        *err = g_strdup("-display sdl: the machine has no display device (add -device simplefb)");
        return NULL;
    }
    /* Without a display server SDL falls back to its offscreen driver: no window anyone could
     * see. Refused (as QEMU refuses), unless the user chose a driver with SDL_VIDEODRIVER. */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER")) {
        *err = g_strdup("-display sdl: cannot open a window: neither $DISPLAY nor "
                        "$WAYLAND_DISPLAY is set");
        return NULL;
    }
    /* SIGINT stays the debugger's (Ctrl-C pauses the machine), not SDL's quit event */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        *err = g_strdup_printf("-display sdl: cannot open a window: %s", SDL_GetError());
        return NULL;
    }
    Display *d = g_new0(Display, 1);
    d->m = m;
    d->key_fd[0] = d->key_fd[1] = -1;
    d->win = SDL_CreateWindow("hvsim", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                              (int)s->width, (int)s->height, SDL_WINDOW_RESIZABLE);
    d->ren = d->win ? SDL_CreateRenderer(d->win, -1, 0) : NULL;
    d->tex = d->ren ? SDL_CreateTexture(d->ren, s->format == DISPLAY_FMT_R5G6B5 ?
                                        SDL_PIXELFORMAT_RGB565 : SDL_PIXELFORMAT_ARGB8888,
                                        SDL_TEXTUREACCESS_STREAMING, (int)s->width,
                                        (int)s->height) : NULL;
    if (!d->tex) {
        *err = g_strdup_printf("-display sdl: cannot open a window: %s", SDL_GetError());
        display_close(d);
        return NULL;
    }
    SDL_RenderSetLogicalSize(d->ren, (int)s->width, (int)s->height);
    d->shown = g_malloc((size_t)s->stride * s->height);
    d->exposed = true;
    if (pipe(d->key_fd) < 0 || fcntl(d->key_fd[1], F_SETFL, O_NONBLOCK) < 0 ||
        (d->pipe_size = fcntl(d->key_fd[1], F_GETPIPE_SZ)) < 0) {
        *err = g_strdup_printf("-display sdl: cannot make the keyboard pipe: %s", g_strerror(errno));
        display_close(d);
        return NULL;
    }
    d->copy_stdin = *uart_in_fd == 0;
    *uart_in_fd = d->key_fd[0];
    m->host_poll = display_poll;
    m->host_poll_opaque = d;
    redraw(d);
    return d;
}

void display_close(Display *d)
{
    if (!d)
        return;
    if (d->m->host_poll_opaque == d) {
        d->m->host_poll = NULL;
        d->m->host_poll_opaque = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (d->key_fd[i] >= 0)
            close(d->key_fd[i]);
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    SDL_Quit();
    g_free(d->shown);
    g_free(d);
}
