/* Interactive demo: reads lines from the PL011 and answers each with its length and CRC-32.
 * "quit" or a long silence (no character for 3,000,000 polls) ends the run. What it prints
 * depends on when input arrives, so it is the workload for record/replay tests. */
#include "lib.h"

#define UART_BASE 0x09000000ul
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_RXFE (1u << 4)
#define UART_LCR_H 0x2c
#define UART_LCR_H_FEN (1u << 4)

static inline uint32_t uart_reg(unsigned off)
{
    return *(volatile uint32_t *)(UART_BASE + off);
}

static inline void uart_set(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(UART_BASE + off) = v;
}

/* A character, or -1 after `patience` empty polls. */
static int getc_wait(unsigned long patience, unsigned long *polls)
{
    for (unsigned long i = 0; i < patience; i++) {
        if (!(uart_reg(UART_FR) & UART_FR_RXFE))
            return (int)(uart_reg(UART_DR) & 0xff);
        (*polls)++;
    }
    return -1;
}

int main(void)
{
    char line[128];
    size_t n = 0;
    unsigned long polls = 0, lines = 0;
    uart_set(UART_LCR_H, uart_reg(UART_LCR_H) | UART_LCR_H_FEN);   /* 16-byte FIFOs */
    printf("echo: type lines; 'quit' ends\n");
    for (;;) {
        int ch = getc_wait(3000000, &polls);
        if (ch < 0) {
            printf("echo: no more input\n");
            break;
        }
        if (ch == '\r' || ch == '\n') {
            line[n] = 0;
            if (!strcmp(line, "quit"))
                break;
            lines++;
            printf("> %s (%lu chars, crc %08x, %lu polls so far)\n", line, (unsigned long)n,
                   crc32_sw((const unsigned char *)line, n), polls);
            n = 0;
        } else if (n + 1 < sizeof line) {
            line[n++] = (char)ch;
        }
    }
    printf("echo: %lu lines\n", lines);
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    return 0;
}
