/* virtio console (Virtual I/O Device Specification 1.2, 5.3) without
 * VIRTIO_CONSOLE_F_MULTIPORT: queue 0 is port 0's receiveq, queue 1 its transmitq (5.3.2),
 * and Linux names the port hvc0. No feature is offered, so the configuration space (5.3.4)
 * is never read by the driver and reads as zero.
 *
 * Output: every byte of a transmit buffer goes to the machine's console output, like the
 * PL011's, when the service runs (1 us after the notification).
 * Input: as the PL011 does it, host input is read without blocking by an event every 1 ms
 * of simulated time while the driver has a receive buffer posted; each read attempt goes
 * through machine_input(), so --record logs it and replay, reverse execution and restored
 * snapshots see the same bytes at the same point. The event is scheduled whether or not
 * the host has input, so the machine's events never depend on the host. At most 64 bytes
 * are read per poll, into as many posted buffers as they need (Linux posts page-sized
 * ones). */
#include "devices/virtio_console.h"
#include <string.h>

#define CONSOLE_LATENCY_PS (1000ULL * PS_PER_NS)        /* 1 us */
#define CONSOLE_POLL_PS (1000000ULL * PS_PER_NS)        /* 1 ms */
#define CONSOLE_RX_CHUNK 64u
enum { CONSOLE_RXQ = 0, CONSOLE_TXQ = 1 };

static const StateField virtio_console_fields[] = {
    STATE_FIELD(VirtioConsole, poll_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_RUNTIME(VirtioConsole, t),
    STATE_RUNTIME(VirtioConsole, m),
    STATE_RUNTIME(VirtioConsole, in_fd),
    STATE_RUNTIME(VirtioConsole, in_eof),
    STATE_RUNTIME(VirtioConsole, poll_ev),
};
const StateDesc virtio_console_state_desc =
    STATE_DESC("virtio-console", VirtioConsole, virtio_console_fields);

static void schedule_poll(VirtioConsole *s)
{
    if (virtio_queue_ready(s->t, CONSOLE_RXQ) && !event_pending(&s->poll_ev)) {
        s->poll_when = machine_time(s->m) + CONSOLE_POLL_PS;
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
    }
}

static void poll_event(void *opaque, SimTime now)
{
    VirtioConsole *s = opaque;
    (void)now;
    s->poll_when = 0;
    if (!virtio_queue_has_buffer(s->t, CONSOLE_RXQ))
        return;               /* the next buffer's notification polls again */
    fflush(s->m->out);        /* a prompt is on screen before the guest waits for input */
    uint8_t buf[CONSOLE_RX_CHUNK];
    size_t n = machine_input(s->m, s->in_fd, &s->in_eof, buf, sizeof buf);
    VirtioReq r;
    while (n && virtio_queue_pop(s->t, CONSOLE_RXQ, &r)) {
        size_t k = virtio_req_write(s->t, &r, 0, buf, n);
        virtio_queue_push(s->t, CONSOLE_RXQ, &r, (uint32_t)k);
        memmove(buf, buf + k, n - k);
        n -= k;
    }
    schedule_poll(s);
}

static void console_service(void *dev)
{
    VirtioConsole *s = dev;
    VirtioReq r;
    while (virtio_queue_pop(s->t, CONSOLE_TXQ, &r)) {
        uint8_t buf[256];
        for (size_t off = 0; off < r.readable;) {
            size_t n = virtio_req_read(s->t, &r, off, buf, sizeof buf);
            for (size_t i = 0; i < n; i++)
                machine_output(s->m, buf[i]);
            off += n;
        }
        virtio_queue_push(s->t, CONSOLE_TXQ, &r, 0);
    }
    schedule_poll(s);
}

static void console_reset(void *dev)
{
    VirtioConsole *s = dev;
    s->poll_when = 0;
    evq_cancel(&s->m->evq, &s->poll_ev);
}

static const VirtioDevOps console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 0,
    .nqueues = 2,
    .latency = CONSOLE_LATENCY_PS,
    .service = console_service,
    .reset = console_reset,
};

static void console_post_load(void *obj, SimTime now)
{
    VirtioConsole *s = obj;
    (void)now;
    evq_cancel(&s->m->evq, &s->poll_ev);
    if (s->poll_when)
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
}

VirtioConsole *virtio_console_new(Machine *m, VirtioMmioBus *b, const char *name, int in_fd)
{
    VirtioConsole *s = g_new0(VirtioConsole, 1);
    s->m = m;
    s->in_fd = in_fd;
    event_init(&s->poll_ev, "virtio-console-poll", EVQ_PRIO_DEVICE, poll_event, s);
    s->t = virtio_mmio_plug(b, name, &console_ops, s);
    if (!s->t) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &virtio_console_state_desc, s)->post_load = console_post_load;
    return s;
}

void virtio_console_free(VirtioConsole *s)
{
    if (!s)
        return;
    evq_cancel(&s->m->evq, &s->poll_ev);
    g_free(s);
}
