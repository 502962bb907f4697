/* Disassembly through Capstone, for traces and error messages. */
#include <capstone/capstone.h>
#include <stdio.h>
#include "cpu/arm64/cpu.h"

bool a64_disas(uint32_t insn, uint64_t pc, char *buf, size_t len)
{
    static csh handle;
    static int state;         /* 0 = not opened, 1 = open, -1 = failed */
    if (state == 0)
        state = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &handle) == CS_ERR_OK ? 1 : -1;
    if (state == 1) {
        cs_insn *ci;
        uint8_t bytes[4] = { insn & 0xff, (insn >> 8) & 0xff, (insn >> 16) & 0xff, insn >> 24 };
        size_t n = cs_disasm(handle, bytes, 4, pc, 1, &ci);
        if (n == 1) {
            if (ci->op_str[0])
                snprintf(buf, len, "%s %s", ci->mnemonic, ci->op_str);
            else
                snprintf(buf, len, "%s", ci->mnemonic);
            cs_free(ci, n);
            return true;
        }
    }
    snprintf(buf, len, ".inst 0x%08x (undefined)", insn);
    return false;
}
