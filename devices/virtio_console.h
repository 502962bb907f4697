/* virtio console (Virtual I/O Device Specification 1.2, 5.3) with one port (hvc0): output
 * to the machine's console output, input from a host file descriptor. */
#ifndef HVSIM_DEVICES_VIRTIO_CONSOLE_H
#define HVSIM_DEVICES_VIRTIO_CONSOLE_H
#include <stdint.h>
#include "devices/virtio_mmio.h"

typedef struct VirtioConsole {
    /* --- state (hashed, saved) --- */
    uint64_t poll_when;       /* time of the pending input poll, 0 = none */
    /* --- run time --- */
    VirtioMmio *t;
    Machine *m;
    int in_fd;                /* host input (0 = stdin), -1 = none */
    int in_eof;               /* host state: not hashed */
    Event poll_ev;
} VirtioConsole;

/* Plugs the device into the next free transport of b; its state is object `name`. */
VirtioConsole *virtio_console_new(Machine *m, VirtioMmioBus *b, const char *name, int in_fd);
void virtio_console_free(VirtioConsole *s);
extern const StateDesc virtio_console_state_desc;
#endif
