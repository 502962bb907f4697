#!/usr/bin/env python3
"""Expected values for tests/unit/test_fp.c, taken from qemu-aarch64 (the project's oracle).

Each case runs one instruction with FPCR set, FPSR cleared, v0-v3 and x1 loaded; the result
is v0 (both halves), x0, FPSR and NZCV. The script assembles the cases, runs them under
qemu-aarch64 and prints the C table that test_fp.c includes (tests/unit/fp_cases.inc):

    tests/unit/gen_fp_cases.py > tests/unit/fp_cases.inc
"""
import os
import struct
import subprocess
import sys
import tempfile

FZ, DN, AHP = 1 << 24, 1 << 25, 1 << 26
RP, RM, RZ = 1 << 22, 2 << 22, 3 << 22
S1, D1 = 0x3f800000, 0x3ff0000000000000
QNS, SNS = 0x7fc00001, 0x7f800001                  # single quiet / signalling NaN, payload 1
QND, SND = 0x7ff8000000000002, 0x7ff0000000000002
MIN_D = 0x0010000000000000                         # smallest normal double
ONE_M = 0x3fefffffffffffff                         # 1 - 2^-53
DEN_S = 0x00000001                                 # smallest subnormal single
INF_S, INF_D = 0x7f800000, 0x7ff0000000000000

# (name, instruction, fpcr, v1, v2, v3, v0 (accumulator), x1)
CASES = [
    ("fadd_s_tie_even", "fadd s0, s1, s2", 0, S1, 0x33800000, 0, 0, 0),      # 1 + 2^-24
    ("fadd_s_tie_rp", "fadd s0, s1, s2", RP, S1, 0x33800000, 0, 0, 0),
    ("fadd_s_exact_zero_rm", "fadd s0, s1, s2", RM, S1, 0xbf800000, 0, 0, 0),
    ("fmul_d_tiny_before_rounding", "fmul d0, d1, d2", 0, MIN_D, ONE_M, 0, 0, 0),
    ("fmul_d_tiny_fz", "fmul d0, d1, d2", FZ, MIN_D, ONE_M, 0, 0, 0),
    ("fmul_d_denormal_result", "fmul d0, d1, d2", 0, MIN_D, 0x3fe0000000000001, 0, 0, 0),
    ("fmul_d_overflow_rz", "fmul d0, d1, d2", RZ, 0x7fe0000000000000, 0x4000000000000000, 0, 0, 0),
    ("fadd_s_snan_second_wins", "fadd s0, s1, s2", 0, QNS, SNS, 0, 0, 0),
    ("fadd_s_qnan_first_wins", "fadd s0, s1, s2", 0, QNS, 0x7fc00002, 0, 0, 0),
    ("fadd_s_default_nan", "fadd s0, s1, s2", DN, QNS, S1, 0, 0, 0),
    ("fadd_s_input_denormal_fz", "fadd s0, s1, s2", FZ, DEN_S, 0, 0, 0, 0),
    ("fsub_d_inf_minus_inf", "fsub d0, d1, d2", 0, INF_D, INF_D, 0, 0, 0),
    ("fsub_s_nan_keeps_sign", "fsub s0, s1, s2", 0, 0, 0xffc00005, 0, 0, 0),
    ("fdiv_d_by_zero", "fdiv d0, d1, d2", 0, D1, 0x8000000000000000, 0, 0, 0),
    ("fdiv_s_zero_by_zero", "fdiv s0, s1, s2", 0, 0, 0, 0, 0, 0),
    ("fsqrt_d_negative", "fsqrt d0, d1", 0, 0xbff0000000000000, 0, 0, 0, 0),
    ("fsqrt_s_neg_zero", "fsqrt s0, s1", 0, 0x80000000, 0, 0, 0, 0),
    ("fsqrt_d_two", "fsqrt d0, d1", 0, 0x4000000000000000, 0, 0, 0, 0),
    ("fmadd_d_qnan_addend_inf_zero", "fmadd d0, d1, d2, d3", 0, INF_D, 0, QND, 0, 0),
    ("fmadd_s_addend_snan_first", "fmadd s0, s1, s2, s3", 0, QNS, S1, 0x7f800003, 0, 0),
    ("fmadd_d_single_rounding", "fmadd d0, d1, d2, d3", 0, 0x3ff0000000000001, 0x3ff0000000000001,
     0xbff0000000000002, 0, 0),
    ("fmsub_s_nan_operand_negated", "fmsub s0, s1, s2, s3", 0, QNS, S1, 0, 0, 0),
    ("fnmadd_d_exact_zero", "fnmadd d0, d1, d2, d3", 0, D1, D1, 0xbff0000000000000, 0, 0),
    ("fnmul_s_nan", "fnmul s0, s1, s2", 0, QNS, S1, 0, 0, 0),
    ("fmax_s_zeros", "fmax s0, s1, s2", 0, 0x80000000, 0, 0, 0, 0),
    ("fmin_s_zeros", "fmin s0, s1, s2", 0, 0, 0x80000000, 0, 0, 0),
    ("fmax_d_qnan", "fmax d0, d1, d2", 0, QND, D1, 0, 0, 0),
    ("fmaxnm_d_qnan_loses", "fmaxnm d0, d1, d2", 0, QND, D1, 0, 0, 0),
    ("fminnm_s_snan_wins", "fminnm s0, s1, s2", 0, SNS, S1, 0, 0, 0),
    ("fmax_s_denormal_fz", "fmax s0, s1, s2", FZ, DEN_S, 0x80000000, 0, 0, 0),
    ("fcmp_s_qnan_quiet", "fcmp s1, s2", 0, QNS, S1, 0, 0, 0),
    ("fcmpe_s_qnan_signals", "fcmpe s1, s2", 0, QNS, S1, 0, 0, 0),
    ("fcmp_d_snan_signals", "fcmp d1, d2", 0, SND, D1, 0, 0, 0),
    ("fcmp_d_less", "fcmp d1, #0.0", 0, 0xbff0000000000000, 0, 0, 0, 0),
    ("fcmp_s_zeros_equal", "fcmp s1, s2", 0, 0x80000000, 0, 0, 0, 0),
    ("fcvtzs_w_nan", "fcvtzs w0, s1", 0, QNS, 0, 0, 0, 0),
    ("fcvtzs_w_saturate", "fcvtzs w0, s1", 0, 0x4f000000, 0, 0, 0, 0),          # 2^31
    ("fcvtzs_x_neg_saturate", "fcvtzs x0, d1", 0, 0xc3e0000000000001, 0, 0, 0, 0),
    ("fcvtzu_w_negative_small", "fcvtzu w0, s1", 0, 0xbf000000, 0, 0, 0, 0),    # -0.5
    ("fcvtzu_w_negative", "fcvtzu w0, s1", 0, 0xbf800000, 0, 0, 0, 0),
    ("fcvtas_w_tie_away", "fcvtas w0, s1", 0, 0xc0200000, 0, 0, 0, 0),           # -2.5
    ("fcvtns_w_tie_even", "fcvtns w0, s1", 0, 0xc0200000, 0, 0, 0, 0),
    ("fcvtms_x_down", "fcvtms x0, d1", 0, 0xbff8000000000000, 0, 0, 0, 0),      # -1.5
    ("fcvtpu_x_up", "fcvtpu x0, d1", 0, 0x3ff8000000000000, 0, 0, 0, 0),
    ("fcvtzs_fixed_fbits", "fcvtzs w0, d1, #4", 0, 0x3ff1000000000000, 0, 0, 0, 0),
    ("scvtf_d_int64_min", "scvtf d0, x1", 0, 0, 0, 0, 0, 0x8000000000000000),
    ("ucvtf_s_round_rm", "ucvtf s0, x1", RM, 0, 0, 0, 0, 0xffffffffffffffff),
    ("scvtf_s_fixed", "scvtf s0, w1, #8", 0, 0, 0, 0, 0, 0xffffff00),
    ("fcvt_h_from_s_ahp_overflow", "fcvt h0, s1", AHP, 0x47800000, 0, 0, 0, 0),   # 65536
    ("fcvt_h_from_s_ahp_nan", "fcvt h0, s1", AHP, QNS, 0, 0, 0, 0),
    ("fcvt_h_from_s_ieee_overflow", "fcvt h0, s1", 0, 0x47800000, 0, 0, 0, 0),
    ("fcvt_s_from_h_ahp_maxexp", "fcvt s0, h1", AHP, 0x7c01, 0, 0, 0, 0),
    ("fcvt_s_from_h_subnormal_fz", "fcvt s0, h1", FZ, 0x0001, 0, 0, 0, 0),
    ("fcvt_s_from_d_nan_payload", "fcvt s0, d1", 0, 0x7ff4000000000123 | (1 << 51), 0, 0, 0, 0),
    ("fcvt_s_from_d_tiny_fz", "fcvt s0, d1", FZ, 0x3800000000000000, 0, 0, 0, 0),
    ("frinta_d_tie", "frinta d0, d1", 0, 0x4004000000000000, 0, 0, 0, 0),          # 2.5
    ("frintn_d_tie", "frintn d0, d1", 0, 0x4004000000000000, 0, 0, 0, 0),
    ("frintx_s_inexact", "frintx s0, s1", 0, 0x40200000, 0, 0, 0, 0),
    ("frinti_s_rm", "frinti s0, s1", RM, 0xbfc00000, 0, 0, 0, 0),
    ("frintz_d_neg_small", "frintz d0, d1", 0, 0xbfe0000000000000, 0, 0, 0, 0),
    ("fmov_d_imm", "fmov d0, #-1.25", 0, 0, 0, 0, 0, 0),
    ("fmov_x_from_top", "fmov x0, v1.d[1]", 0, (0x1122334455667788 << 64) | 5, 0, 0, 0, 0),
    ("frecpe_s_one", "frecpe s0, s1", 0, S1, 0, 0, 0, 0),
    ("frecpe_d_denormal", "frecpe d0, d1", 0, 0x0008000000000000, 0, 0, 0, 0),
    ("frecpe_s_tiny_overflow_rz", "frecpe s0, s1", RZ, DEN_S, 0, 0, 0, 0),
    ("frecpe_s_huge_fz", "frecpe s0, s1", FZ, 0x7f000000, 0, 0, 0, 0),
    ("frsqrte_s_four", "frsqrte s0, s1", 0, 0x40800000, 0, 0, 0, 0),
    ("frsqrte_d_two", "frsqrte d0, d1", 0, 0x4000000000000000, 0, 0, 0, 0),
    ("frsqrte_s_negative", "frsqrte s0, s1", 0, 0xbf800000, 0, 0, 0, 0),
    ("frecpx_d", "frecpx d0, d1", 0, 0x4010000000000001, 0, 0, 0, 0),
    ("frecps_s_inf_zero", "frecps s0, s1, s2", 0, INF_S, 0, 0, 0, 0),
    ("frsqrts_d", "frsqrts d0, d1, d2", 0, 0x4000000000000000, 0x3ff8000000000000, 0, 0, 0),
    ("urecpe_4s", "urecpe v0.4s, v1.4s", 0, (0xffffffff << 96) | (0x7fffffff << 64) | (0xc0000000 << 32) | 0x80000000, 0, 0, 0, 0),
    ("ursqrte_4s", "ursqrte v0.4s, v1.4s", 0, (0xffffffff << 96) | (0x3fffffff << 64) | (0x40000000 << 32) | 0x80000000, 0, 0, 0, 0),
    ("fcvtxn_round_odd", "fcvtxn s0, d1", 0, 0x3ff0000010000000, 0, 0, 0, 0),
    ("fcvtn2_keeps_low", "fcvtn2 v0.4s, v1.2d", 0, (0xc000000000000000 << 64) | D1, 0, 0, 0x1234, 0),
    ("fcvtl2_h_to_s", "fcvtl2 v0.4s, v1.8h", FZ, (0x0001fc007e003c00 << 64), 0, 0, 0, 0),
    ("faddp_4s", "faddp v0.4s, v1.4s, v2.4s", 0, (0x40400000 << 96) | (0x40000000 << 64) | (S1 << 32) | S1,
     (0xbf800000 << 32) | S1, 0, 0, 0),
    ("fmaxnmv_4s", "fmaxnmv s0, v1.4s", 0, (QNS << 96) | (0x40000000 << 64) | (QNS << 32) | S1, 0, 0, 0, 0),
    ("fminv_4s_nan", "fminv s0, v1.4s", 0, (0x40000000 << 96) | (SNS << 64) | (QNS << 32) | S1, 0, 0, 0, 0),
    ("fmla_2d_elem", "fmla v0.2d, v1.2d, v2.d[1]", 0, (D1 << 64) | 0x4000000000000000, (0x4008000000000000 << 64),
     0, (D1 << 64) | D1, 0),
    ("fmls_4s", "fmls v0.4s, v1.4s, v2.4s", 0, (QNS << 32) | S1, (S1 << 32) | S1, 0, S1, 0),
    ("fabd_2s_nan_sign", "fabd v0.2s, v1.2s, v2.2s", 0, 0xffc00001, S1, 0, 0, 0),
    ("facgt_2d", "facgt v0.2d, v1.2d, v2.2d", 0, (0xc000000000000000 << 64) | D1, (D1 << 64) | 0xc000000000000000,
     0, 0, 0),
    ("fcmle_zero_4s", "fcmle v0.4s, v1.4s, #0.0", 0, (QNS << 96) | (0x80000000 << 64) | (S1 << 32) | 0xbf800000,
     0, 0, 0, 0),
    ("fmulx_s_inf_zero", "fmulx s0, s1, s2", 0, 0xff800000, 0, 0, 0, 0),
    ("scvtf_2d_fixed", "scvtf v0.2d, v1.2d, #1", 0, (0xffffffffffffffff << 64) | 3, 0, 0, 0, 0),
    ("fcvtzu_4s_fixed", "fcvtzu v0.4s, v1.4s, #2", 0, (0xbf800000 << 96) | (QNS << 64) | (0x4f800000 << 32) | 0x3fa00000,
     0, 0, 0, 0),
    ("frint_4s_frintm", "frintm v0.4s, v1.4s", 0, (0x80000001 << 96) | (0xbfc00000 << 64) | (0x3fc00000 << 32) | 0x7f800000,
     0, 0, 0, 0),
    ("fsqrt_2d_fz_denormal", "fsqrt v0.2d, v1.2d", FZ, (0x8000000000000001 << 64) | 1, 0, 0, 0, 0),
]


def asm_case(i, c):
    name, insn, fpcr = c[0], c[1], c[2]
    return f"""
    adr x9, in{i}
    ldr x10, [x9]
    msr fpcr, x10
    msr fpsr, xzr
    ldr q1, [x9, #16]
    ldr q2, [x9, #32]
    ldr q3, [x9, #48]
    ldr q0, [x9, #64]
    ldr x1, [x9, #80]
    mov x0, #0
    msr nzcv, xzr
    .globl insn{i}
insn{i}:
    {insn}
    adr x9, out{i}
    str q0, [x9]
    str x0, [x9, #16]
    mrs x10, fpsr
    str x10, [x9, #24]
    mrs x10, nzcv
    str x10, [x9, #32]
"""


def q(v):
    return f".quad {v & (2**64 - 1):#x}, {v >> 64:#x}"


def main():
    src = [".text", ".globl _start", "_start:"]
    for i, c in enumerate(CASES):
        src.append(asm_case(i, c))
    src += ["    mov x0, #1", "    adr x1, outs", f"    mov x2, #{40 * len(CASES)}", "    mov x8, #64",
            "    svc #0", "    mov x0, #0", "    mov x8, #93", "    svc #0", ".data", ".align 4"]
    for i, c in enumerate(CASES):
        src += [f"in{i}:", f"    .quad {c[2]:#x}, 0", "    " + q(c[3]), "    " + q(c[4]), "    " + q(c[5]),
                "    " + q(c[6]), f"    .quad {c[7]:#x}, 0"]
    src += [".align 4", "outs:"]
    for i in range(len(CASES)):
        src += [f"out{i}:", "    .skip 40"]
    with tempfile.TemporaryDirectory() as d:
        s, o, elf = (os.path.join(d, n) for n in ("t.s", "t.o", "t"))
        with open(s, "w") as f:
            f.write("\n".join(src) + "\n")
        subprocess.run(["aarch64-linux-gnu-as", "-march=armv8-a", s, "-o", o], check=True)
        subprocess.run(["aarch64-linux-gnu-ld", "-static", o, "-o", elf], check=True)
        out = subprocess.run(["qemu-aarch64", "-cpu", "cortex-a57", elf], check=True,
                             capture_output=True).stdout
        syms = subprocess.run(["aarch64-linux-gnu-nm", elf], check=True, capture_output=True,
                              text=True).stdout
        addr = {l.split()[2]: int(l.split()[0], 16) for l in syms.splitlines() if len(l.split()) == 3}
        text = subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", "--only-section=.text",
                               elf, "/dev/stdout"], check=True, capture_output=True).stdout
    base = addr["_start"]
    print("/* Generated by tests/unit/gen_fp_cases.py from qemu-aarch64 -cpu cortex-a57: do not edit. */")
    for i, c in enumerate(CASES):
        off = addr[f"insn{i}"] - base
        word = struct.unpack_from("<I", text, off)[0]
        v0lo, v0hi, x0, fpsr, nzcv = struct.unpack_from("<5Q", out, 40 * i)
        def lh(v):
            return f"{v & (2**64 - 1):#018x}ULL, {v >> 64:#018x}ULL"
        print(f'{{ "{c[0]}", {word:#010x} /* {c[1]} */, {c[2]:#010x}, {{ {lh(c[3])} }}, {{ {lh(c[4])} }},\n'
              f'  {{ {lh(c[5])} }}, {{ {lh(c[6])} }}, {c[7]:#018x}ULL,\n'
              f'  {{ {v0lo:#018x}ULL, {v0hi:#018x}ULL }}, {x0:#018x}ULL, {fpsr:#x}, {nzcv >> 28:#x} }},')


if __name__ == "__main__":
    sys.exit(main())
