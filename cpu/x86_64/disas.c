/* x86-64 disassembly through Capstone (64-bit mode), for traces, the debugger and the
 * differential tester's reports: CpuClass.disas's shape. */
#include <capstone/capstone.h>
#include <stdio.h>
#include "cpu/x86_64/insn.h"

/* One instruction at pc from code[0..len) in bits-bit code (16, 32 or 64): its bytes in hex
 * and its text; returns the bytes it takes (0 when none decodes: the hex shows the first
 * byte, the text says so). */
unsigned x86_disas_bits(unsigned bits, uint64_t pc, const uint8_t *code, size_t len, char *hex,
                        size_t hexn, char *text, size_t textn)
{
    static csh handle[3];
    static int state[3];      /* 0 = not opened, 1 = open, -1 = failed */
    unsigned k = bits == 16 ? 0 : bits == 32 ? 1 : 2;
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    if (state[k] == 0)
        state[k] = cs_open(CS_ARCH_X86, modes[k], &handle[k]) == CS_ERR_OK ? 1 : -1;
    if (hexn)
        hex[0] = 0;
    if (state[k] == 1 && len) {
        cs_insn *ci;
        size_t n = cs_disasm(handle[k], code, len > X86_MAX_INSN_BYTES ? X86_MAX_INSN_BYTES : len,
                             pc, 1, &ci);
        if (n == 1) {
            size_t o = 0;
            for (unsigned i = 0; i < ci->size && o + 3 <= hexn; i++)
                o += (size_t)snprintf(hex + o, hexn - o, "%02x", ci->bytes[i]);
            if (ci->op_str[0])
                snprintf(text, textn, "%s %s", ci->mnemonic, ci->op_str);
            else
                snprintf(text, textn, "%s", ci->mnemonic);
            unsigned size = ci->size;
            cs_free(ci, n);
            return size;
        }
    }
    if (len)
        snprintf(hex, hexn, "%02x", code[0]);
    snprintf(text, textn, "(bad)");
    return 0;
}

/* 64-bit code (CpuClass.disas's shape). */
unsigned x86_disas(uint64_t pc, const uint8_t *code, size_t len, char *hex, size_t hexn,
                   char *text, size_t textn)
{
    return x86_disas_bits(64, pc, code, len, hex, hexn, text, textn);
}
