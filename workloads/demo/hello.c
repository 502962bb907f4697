/* The demo: a banner, the core's identity and a few computed lines. */
#include "lib.h"

int main(void)
{
    printf("Hello from a bare-metal AArch64 guest on the virt board!\n");
    printf("CurrentEL: EL%u\n", current_el());
    printf("MIDR_EL1:  0x%08lx\n", (unsigned long)READ_SYSREG(midr_el1));
    printf("MPIDR_EL1: 0x%08lx\n", (unsigned long)READ_SYSREG(mpidr_el1));

    printf("primes below 100:");
    for (unsigned n = 2; n < 100; n++) {
        unsigned d = 2;
        while (d * d <= n && n % d)
            d++;
        if (d * d > n)
            printf(" %u", n);
    }
    printf("\n");

    unsigned long long a = 0, b = 1;
    for (int i = 0; i < 90; i++) {
        unsigned long long t = a + b;
        a = b;
        b = t;
    }
    printf("fib(90) = %llu\n", a);

    const char *msg = "The quick brown fox jumps over the lazy dog";
    printf("crc32(\"%s\") = 0x%08x\n", msg, crc32_sw((const unsigned char *)msg, strlen(msg)));
    printf("bye\n");
    return 0;
}
