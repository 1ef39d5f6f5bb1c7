"""The emulator: each instruction format against values worked out by hand from the spec's
definitions, memory faults, system calls, the step limit, and qemu-riscv32 where installed."""

import io
import os
import shutil
import subprocess

import pytest

from appendix_ctoriscv import elf, emu
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link

pytestmark = pytest.mark.sec_a_9
MASK = 0xFFFFFFFF


def program(body: str, data: str = "") -> bytes:
    """An executable that runs `body`, then exits with a0's low byte."""
    source = f".globl _start\n_start:\n{body}\n    li a7, 93\n    ecall\n    .data\n{data}\n"
    return link([assemble(source, "test.s")])


def registers(body: str, data: str = "") -> list[int]:
    """The 32 registers after `body` ran, as unsigned 32-bit numbers (x[10] is a0)."""
    exe = elf.read_executable(program(body, data))
    machine = emu.Machine(exe, io.BytesIO(), io.BytesIO(), io.BytesIO())
    machine.run(10_000)
    return machine.x


def reg(name: str) -> int:
    from appendix_ctoriscv.isa import REGISTERS

    return REGISTERS[name]


# *** one test per format ***


def test_r_type():
    x = registers("""
        li t0, 0x7fffffff
        li t1, 1
        add s0, t0, t1          # wraps to INT_MIN
        sub s1, zero, t1        # -1
        li t2, -16
        li t3, 2
        sra s2, t2, t3          # -16 >> 2 = -4, the sign bit copied in
        srl s3, t2, t3          # 0xfffffff0 >> 2 = 0x3ffffffc
        li t4, 33
        sll s4, t1, t4          # only the low 5 bits of rs2: 1 << 1
        slt s5, s1, t1          # -1 < 1 signed: 1
        sltu s6, s1, t1         # 0xffffffff < 1 unsigned: 0
        xor s7, t0, s1          # ~0x7fffffff
        or s8, t2, t1           # 0xfffffff1
        and s9, t2, t0          # 0x7ffffff0
    """)
    assert x[reg("s0")] == 0x80000000
    assert x[reg("s1")] == 0xFFFFFFFF
    assert x[reg("s2")] == (-4) & MASK
    assert x[reg("s3")] == 0x3FFFFFFC
    assert x[reg("s4")] == 2
    assert (x[reg("s5")], x[reg("s6")]) == (1, 0)
    assert x[reg("s7")] == 0x80000000
    assert x[reg("s8")] == 0xFFFFFFF1
    assert x[reg("s9")] == 0x7FFFFFF0


def test_i_type_alu_and_shifts():
    x = registers("""
        li t0, -5
        addi s0, t0, -2048      # -2053
        slti s1, t0, -4         # -5 < -4: 1
        sltiu s2, t0, -1        # 0xfffffffb < 0xffffffff: 1 (the immediate is sign-extended)
        sltiu s3, zero, 1       # seqz of 0: 1
        xori s4, t0, -1         # not -5 = 4
        ori s5, zero, -2048     # 0xfffff800
        andi s6, t0, 0xff       # 0xfb
        slli s7, t0, 28         # 0xfffffffb << 28 keeps 0xb: 0xb0000000
        srli s8, t0, 28         # 0xf
        srai s9, t0, 1          # -3 (rounds towards minus infinity)
    """)
    expected = {"s0": -2053, "s1": 1, "s2": 1, "s3": 1, "s4": 4, "s5": 0xFFFFF800, "s6": 0xFB,
                "s7": 0xB0000000, "s8": 0xF, "s9": -3}  # fmt: skip
    assert {r: x[reg(r)] for r in expected} == {r: v & MASK for r, v in expected.items()}


def test_loads_sign_and_zero_extend():
    x = registers("""
        la t0, bytes
        lb s0, 0(t0)            # 0x80 -> -128
        lbu s1, 0(t0)           # 0x80 -> 128
        lh s2, 2(t0)            # 0xfffe -> -2
        lhu s3, 2(t0)           # 0xfffe -> 65534
        lw s4, 4(t0)
        lb s5, 1(t0)            # 0x7f stays positive
    """, "bytes: .byte 0x80, 0x7f, 0xfe, 0xff\n .word 0x12345678")
    assert [x[reg(r)] for r in ("s0", "s1", "s2", "s3", "s4", "s5")] == [
        (-128) & MASK, 128, (-2) & MASK, 65534, 0x12345678, 0x7F]


def test_code_is_readable_as_data():
    x = registers("j 1f\n.word 0x12345688\n1: la t0, _start\nlw s0, 4(t0)\nlbu s1, 4(t0)\n"
                  "lb s2, 4(t0)")  # fmt: skip
    assert [x[reg(r)] for r in ("s0", "s1", "s2")] == [0x12345688, 0x88, (0x88 - 256) & MASK]


def test_s_type_stores_only_their_bytes():
    x = registers("""
        la t0, buf
        li t1, -1
        sw t1, 0(t0)
        li t2, 0x1234
        sh t2, 0(t0)            # low half only
        li t3, 0x56
        sb t3, 3(t0)            # top byte only
        lw s0, 0(t0)
        sw t2, -4(t0)           # negative offsets reach back
        lw s1, -4(t0)
    """, ".word 0\nbuf: .word 0")
    assert x[reg("s0")] == 0x56FF1234
    assert x[reg("s1")] == 0x1234


def test_the_stack_holds_bytes_halves_and_unaligned_words():
    """The stack is a list of words (emu.Memory.stack): stores of every width and alignment,
    loads back across word boundaries, and system calls that read and write its bytes; the
    values worked out by hand, little-endian."""
    exe = program("""
        addi sp, sp, -16
        sw zero, 0(sp)
        sw zero, 4(sp)
        li t0, 0x44434241       # "ABCD"
        sw t0, 1(sp)            # unaligned: bytes 1..4
        li t1, 0x4645           # "EF"
        sh t1, 5(sp)            # a half at an odd address: bytes 5..6
        li t2, 0x47             # "G"
        sb t2, 7(sp)
        lw s0, 3(sp)            # bytes 3..6: "CDEF"
        lh s1, 4(sp)            # bytes 4..5: "DE"
        lbu s2, 7(sp)
        li a0, 1
        addi a1, sp, 1
        li a2, 7
        li a7, 64
        ecall                   # write "ABCDEFG"
        li a0, 0
        addi a1, sp, 2
        li a2, 3
        li a7, 63
        ecall                   # read "xyz" over bytes 2..4
        lw s3, 0(sp)
        li a0, 0
        """)
    machine = emu.Machine(elf.read_executable(exe), io.BytesIO(b"xyz"), io.BytesIO(), io.BytesIO())
    assert machine.run(10_000) == 0
    x = machine.x
    assert (x[reg("s0")], x[reg("s1")], x[reg("s2")]) == (0x46454443, 0x4544, 0x47)
    assert machine.stdout.getvalue() == b"ABCDEFG"
    assert x[reg("s3")] == int.from_bytes(b"\x00Axy", "little")


def test_memory_helpers_against_a_flat_bytearray():
    """Random loads and stores of every width and alignment, and read/write of byte runs, near
    the stack's two ends, inside it, in the data, at the break and in the code, through
    emu.Memory (the stack a list of words, the rest an mmap) and through a flat bytearray with
    the access rules written out: the same values, and faults at the same addresses."""
    import functools
    import random
    import struct

    exe = elf.read_executable(program("li a0, 0", ".word 1, 2, 3"))
    mem, rng = emu.Memory(exe), random.Random(15)
    flat = bytearray(emu.MEMORY_SIZE)
    for seg in exe.segments:
        flat[seg.vaddr : seg.vaddr + len(seg.data)] = seg.data
    lo, top, data, brk = mem.stack_lo, mem.top, mem.write_lo, mem.brk

    def legal(a: int, size: int, store: bool) -> bool:
        inside = [(lo, top), (data, brk)]
        inside += [] if store else [(s.vaddr, s.end) for s in exe.segments]
        return any(start <= a and a + size <= end for start, end in inside)

    formats = {1: "<B", 2: "<H", 4: "<I"}
    loads = {"lbu": 1, "lhu": 2, "lw": 4, "lb": 1, "lh": 2}
    places = [lo, lo + 1, top - 8, top - 3, top - 1, data, brk - 2, brk, lo - 4, exe.entry]
    for _ in range(3000):
        a = (rng.choice(places) + rng.randrange(-6, 24)) & MASK
        size, kind = rng.choice([1, 2, 4]), rng.random()
        store, value = kind < 0.5, rng.randrange(2**32)
        if kind < 0.4:
            name = {1: "sb", 2: "sh", 4: "sw"}[size]
            got = functools.partial(getattr(mem, name), a, value, 0x1234)
        elif kind < 0.5:
            chunk = bytes(rng.randrange(256) for _ in range(size))
            value = int.from_bytes(chunk, "little")
            got = functools.partial(mem.write, a, chunk, 0x1234)
        else:
            name = rng.choice([n for n, w in loads.items() if w == size])
            got = functools.partial(getattr(mem, name), a, 0x1234)
        if not legal(a, size, store):
            with pytest.raises(emu.EmulatorFault) as fault:
                got()
            assert (fault.value.pc, fault.value.address) == (0x1234, a)
            continue
        if store:
            got()
            flat[a : a + size] = (value & (1 << 8 * size) - 1).to_bytes(size, "little")
            continue
        want = struct.unpack(formats[size], flat[a : a + size])[0]
        if name in ("lb", "lh") and want >> (8 * size - 1):
            want |= MASK ^ ((1 << 8 * size) - 1)  # sign-extended
        assert got() == want, (name, hex(a))
        assert mem.read(a, size, 0) == bytes(flat[a : a + size])


def test_b_type_branches_compare_signed_and_unsigned():
    # Each taken branch adds its bit to s0; not-taken ones must fall through.
    x = registers("""
        li t0, -1
        li t1, 1
        li s0, 0
        beq t0, t0, 1f
        ori s0, s0, 0x10        # skipped
    1:  bne t0, t1, 1f
        ori s0, s0, 0x20
    1:  blt t0, t1, 1f          # -1 < 1 signed: taken
        ori s0, s0, 0x40
    1:  bltu t0, t1, 1f         # 0xffffffff < 1 unsigned: not taken
        ori s0, s0, 1
    1:  bge t1, t0, 1f          # 1 >= -1: taken
        ori s0, s0, 0x80
    1:  bgeu t1, t0, 1f         # 1 >= 0xffffffff: not taken
        ori s0, s0, 2
    1:  beq t0, t1, 1f          # not taken
        ori s0, s0, 4
    1:  bge t0, t0, 1f          # equal: taken
        ori s0, s0, 0x100
    1:
    """)
    assert x[reg("s0")] == 1 | 2 | 4


def test_u_type_lui_and_auipc():
    exe = program("""
    here:
        auipc s0, 0x1           # pc + 0x1000
        lui s1, 0xfffff         # 0xfffff000
        auipc s2, 0
    """)
    here = elf.read_executable(exe).symbols["here"]
    machine = emu.Machine(elf.read_executable(exe), io.BytesIO(), io.BytesIO(), io.BytesIO())
    machine.run(100)
    assert machine.x[reg("s0")] == here + 0x1000
    assert machine.x[reg("s1")] == 0xFFFFF000
    assert machine.x[reg("s2")] == here + 8


def test_j_type_and_jalr_link_and_clear_bit_0():
    exe = program("""
    here:
        jal s0, 1f              # s0 = here + 4
        li s1, 99               # skipped
    1:  la t0, target
        addi t0, t0, 1          # an odd address: jalr clears bit 0
        jalr s2, 0(t0)          # s2 = address after this jalr
        li s3, 99               # skipped
    target:
        jalr zero, t0, 7        # (t0 + 7) & ~1 = target + 8: skip the next instruction
        li s4, 99
        li s5, 5
    """)
    exe_info = elf.read_executable(exe)
    here, target = exe_info.symbols["here"], exe_info.symbols["target"]
    machine = emu.Machine(exe_info, io.BytesIO(), io.BytesIO(), io.BytesIO())
    machine.run(100)
    x = machine.x
    assert x[reg("s0")] == here + 4
    assert x[reg("s1")] == 0 and x[reg("s3")] == 0 and x[reg("s4")] == 0
    assert x[reg("s2")] == target - 4
    assert x[reg("s5")] == 5


def test_fence_is_a_no_op_whatever_its_unused_fields_hold():
    # fence with rd = s5 and rs1 = t1 set (reserved fields a single hart ignores)
    word = 0x0FF0000F | 21 << 7 | 6 << 15
    x = registers(f"li t0, 7\nli t1, 9\n.word {word}\nfence\nadd s0, t0, t1")
    assert (x[reg("s0")], x[reg("s5")]) == (16, 0)


def test_x0_is_hard_wired_to_zero():
    x = registers("""
        addi zero, zero, 5
        lui x0, 0x12345
        add s0, zero, zero
        jal zero, 1f
    1:  addi s1, x0, 3
    """)
    assert x[0] == 0 and x[reg("s0")] == 0 and x[reg("s1")] == 3


# *** faults ***


@pytest.mark.parametrize("body,message", [
    ("lw a0, 0(zero)", r"load of 4 bytes at 0x00000000 \(unmapped\), .*lw a0, 0\(zero\)"),
    ("lw zero, 0(zero)", "load of 4 bytes at 0x00000000"),  # a load into x0 still faults
    ("la t0, _start\nsw a0, 0(t0)", "store of 4 bytes at .*read-only memory"),
    ("li t0, 0x03fffffe\nlw a0, 0(t0)", "load of 4 bytes at 0x03fffffe"),  # across the top
    ("li t0, 0x80000000\nlw a0, 0(t0)", "load of 4 bytes at 0x80000000"),  # far outside
    ("li t0, 0x00900000\nsb a0, 0(t0)", "store of 1 bytes at 0x00900000"),  # past the break
    # the page between the code and the data is not mapped: a load there faults
    ("la t0, d\nlw a0, -4(t0)", r"load of 4 bytes at 0x\w+ \(unmapped\)"),
    ("la t0, d\nlbu a0, -1(t0)", r"load of 1 bytes at 0x\w+ \(unmapped\)"),
    ("jr zero", r"instruction fetch from 0x00000000 \(outside the code\)"),
    ("la t0, _start\naddi t0, t0, 2\njr t0", r"instruction fetch .*\(misaligned\)"),
    (".word 0", "illegal instruction"),
    ("ebreak", "breakpoint"),
])  # fmt: skip
def test_bad_programs_fault_with_pc_address_and_instruction(body, message):
    with pytest.raises(emu.EmulatorFault, match=message) as e:
        emu.run(program(body, "d: .word 1"))
    assert ", at pc 0x" in str(e.value)


def test_endless_recursion_overflows_the_stack():
    with pytest.raises(emu.EmulatorFault, match="stack overflow"):
        emu.run(program("f: addi sp, sp, -16\nsw ra, 12(sp)\ncall f"), max_steps=10**7)


def test_fault_message_names_the_function():
    with pytest.raises(emu.EmulatorFault, match=r"<_start\+0x4>: lw a0, 8\(a1\)"):
        emu.run(program("li a1, 16\nlw a0, 8(a1)"))


def test_step_limit_and_step_count():
    with pytest.raises(emu.StepLimitExceeded, match="max_steps=1000"):
        emu.run(program("1: j 1b"), max_steps=1000)
    # 5 instructions: li, li, add, then li a7 and ecall
    result = emu.run(program("li a0, 2\nli a1, 3\nadd a0, a0, a1"))
    assert (result.exit_code, result.steps) == (5, 5)
    # a loop of 3 instructions run 10 times, plus 2 before and 2 after
    loop = "li a0, 0\nli t0, 10\n1: addi a0, a0, 1\naddi t0, t0, -1\nbnez t0, 1b"
    result = emu.run(program(loop))
    assert (result.exit_code, result.steps) == (10, 2 + 30 + 2)


# *** system calls ***


def syscall(number: int, a0: str, a1: str, a2: str) -> str:
    return f"li a0, {a0}\n la a1, {a1}\n li a2, {a2}\n li a7, {number}\n ecall"


def test_write_goes_to_stdout_or_a_given_stream():
    exe = program(syscall(64, "1", "msg", "5") + "\n mv s0, a0\n" + syscall(64, "2", "msg", "2")
                  + "\n mv a0, s0", 'msg: .ascii "hello"')  # fmt: skip
    result = emu.run(exe)
    assert (result.stdout, result.stderr, result.exit_code) == (b"hello", b"he", 5)
    stream = io.BytesIO()
    result = emu.run(exe, stdout=stream)
    assert stream.getvalue() == b"hello" and result.stdout is None


def test_read_gets_stdin_and_reports_the_end():
    body = (syscall(63, "0", "buf", "4") + "\n mv s0, a0\n" + syscall(64, "1", "buf", "4") + "\n"
            + syscall(63, "0", "buf", "4") + "\n add a0, a0, s0")  # fmt: skip
    result = emu.run(program(body, "buf: .zero 4"), stdin=b"abc")
    assert (result.stdout[:3], result.exit_code) == (b"abc", 3)  # 3 bytes, then 0 at the end
    result = emu.run(program(body, "buf: .zero 4"), stdin=io.BytesIO(b"wxyz!"))
    assert (result.stdout, result.exit_code) == (b"wxyz", 4 + 1)
    with pytest.raises(TypeError, match="stdin must be bytes"):  # before it runs, not at a read
        emu.run(program(body, "buf: .zero 4"), stdin="abc")


def test_bad_fd_bad_buffer_and_unknown_syscall_return_errors():
    x = registers("""
        li a0, 7
        la a1, _start
        li a2, 1
        li a7, 64
        ecall                   # write to fd 7: -EBADF
        mv s0, a0
        li a0, 1
        li a1, 0
        ecall                   # write from address 0: -EFAULT, no crash
        mv s1, a0
        li a0, 0
        la a1, _start
        li a7, 63
        ecall                   # read into the code: -EFAULT
        mv s2, a0
        li a7, 999
        ecall                   # no such system call: -ENOSYS
        mv s3, a0
    """)
    assert [x[reg(r)] for r in ("s0", "s1", "s2", "s3")] == [(-9) & MASK, (-14) & MASK,
                                                             (-14) & MASK, (-38) & MASK]


def test_brk_grows_the_heap_with_zeroed_memory():
    x = registers("""
        li a0, 0
        li a7, 214
        ecall                   # brk(0): the current break
        mv s0, a0
        addi a0, s0, 64
        ecall                   # grow by 64
        mv s1, a0
        li t0, -1
        sw t0, 60(s0)           # the new memory is usable
        lw s2, 60(s0)
        lw s3, 56(s0)           # and starts out zero
        li a0, 16
        ecall                   # a bad request: the break stays
        mv s4, a0
    """)
    assert x[reg("s0")] % elf.PAGE == 0
    assert x[reg("s1")] == x[reg("s0")] + 64 == x[reg("s4")]
    assert (x[reg("s2")], x[reg("s3")]) == (MASK, 0)


def test_memory_past_the_break_faults_until_brk_moves_it():
    with pytest.raises(emu.EmulatorFault, match="store of 4 bytes"):
        emu.run(program("li a0, 0\nli a7, 214\necall\nsw a0, 0(a0)"))


def test_exit_code_is_the_low_byte_and_exit_group_works():
    assert emu.run(program("li a0, 300")).exit_code == 300 & 0xFF
    assert emu.run(program("li a0, -1\nli a7, 94\necall")).exit_code == 255


def test_not_an_elf_file():
    with pytest.raises(elf.ElfError):
        emu.run(b"#!/bin/sh\n")


# *** qemu cross-check ***

QEMU = shutil.which("qemu-riscv32")


@pytest.mark.skipif(QEMU is None, reason="qemu-riscv32 not installed (apt-get install qemu-user)")
def test_same_result_as_qemu(tmp_path):
    body = """
        li s0, 0                # sum of i * i for i < 30 by repeated addition, printed as bytes
        li s1, 30
    1:  mv t0, s1
        mv t1, s1
        li t2, 0
    2:  add t2, t2, t1
        addi t0, t0, -1
        bnez t0, 2b
        add s0, s0, t2
        la a1, buf
        sb t2, 0(a1)
        li a0, 1
        li a2, 1
        li a7, 64
        ecall
        addi s1, s1, -1
        bnez s1, 1b
        srai a0, s0, 3
    """
    exe = program(body, "buf: .zero 4")
    path = tmp_path / "prog"
    path.write_bytes(exe)
    os.chmod(path, 0o755)
    native = subprocess.run([QEMU, str(path)], capture_output=True, timeout=30)
    ours = emu.run(exe)
    assert (ours.exit_code, ours.stdout) == (native.returncode, native.stdout)
    assert ours.exit_code == (sum(i * i for i in range(1, 31)) >> 3) & 0xFF


ALU_R = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
ALU_I = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SHIFT_I = ["slli", "srli", "srai"]
MEMORY = ["lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw"]
WORK_REGS = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "s2", "s3", "s4", "s5", "a1", "a2", "a3"]


def random_program(seed: int, length: int) -> str:
    """Random ALU and memory instructions on random values. Every result is logged to memory
    (at s8), so that a wrong value shows even if a later instruction overwrites it; the log,
    the 64-byte buffer at s1 that loads and stores use, and the registers go to stdout."""
    import random

    rng = random.Random(seed)
    lines = ["la s1, buf", "la s8, log"]
    edges = [0, 1, -1, 0x7FFFFFFF, -0x80000000, 31, 32, 0xFF, 0x80, 0xFFFF, -2, -0x8000]
    for r in WORK_REGS:
        lines.append(f"li {r}, {rng.choice(edges + [rng.getrandbits(32)])}")
    for k in range(0, 64, 4):
        lines.append(f"sw {rng.choice(WORK_REGS)}, {k}(s1)")
    for _ in range(length):
        kind = rng.random()
        rd, a, b = (rng.choice(WORK_REGS) for _ in range(3))
        if kind < 0.4:
            lines.append(f"{rng.choice(ALU_R)} {rd}, {a}, {b}")
        elif kind < 0.65:
            lines.append(f"{rng.choice(ALU_I)} {rd}, {a}, {rng.randint(-2048, 2047)}")
        elif kind < 0.8:
            lines.append(f"{rng.choice(SHIFT_I)} {rd}, {a}, {rng.randint(0, 31)}")
        elif kind < 0.85:
            lines.append(f"lui {rd}, {rng.getrandbits(20)}")
        else:
            op = rng.choice(MEMORY)
            size = {"b": 1, "h": 2, "w": 4}[op[1]]
            lines.append(f"{op} {rd}, {rng.randrange(0, 64, size)}(s1)")
        lines += [f"sw {rd}, 0(s8)", "addi s8, s8, 4"]
    for k, r in enumerate(WORK_REGS):
        lines.append(f"sw {r}, {64 + 4 * k}(s1)")
    lines += ["li a0, 1", "la a1, log", "sub a2, s8, a1", "li a7, 64", "ecall",
              "li a0, 1", "mv a1, s1", f"li a2, {64 + 4 * len(WORK_REGS)}", "ecall",
              "li a0, 0"]  # fmt: skip
    return "\n".join(lines)


@pytest.mark.skipif(QEMU is None, reason="qemu-riscv32 not installed (apt-get install qemu-user)")
@pytest.mark.parametrize("seed", range(4))
def test_random_programs_match_qemu(seed, tmp_path):
    """Differential test: qemu's RV32I is the reference for every ALU and memory instruction."""
    data = f"buf: .zero {64 + 4 * len(WORK_REGS)}\nlog: .zero 1600"
    exe = program(random_program(seed, 400), data)
    path = tmp_path / "prog"
    path.write_bytes(exe)
    os.chmod(path, 0o755)
    native = subprocess.run([QEMU, str(path)], capture_output=True, timeout=30)
    ours = emu.run(exe)
    assert native.returncode == 0 and len(native.stdout) == 1600 + 64 + 4 * len(WORK_REGS)
    assert ours.stdout == native.stdout


def test_the_book_shows_what_the_translator_writes():
    """book/appendix_ctoriscv/machine.md prints the translation of a loop: keep it true."""
    from pathlib import Path

    page = Path(__file__).parents[2] / "book" / "appendix_ctoriscv" / "machine.md"
    text = page.read_text()
    shown = text.split("```text\ndef block_")[1].split("```")[0].splitlines()[1:]
    exe = elf.read_executable(program("""
        li    t0, 10
        li    a0, 0
    loop:
        add   a0, a0, t0
        addi  t0, t0, -1
        bnez  t0, loop
    """))
    machine = emu.Machine(exe, io.BytesIO(), io.BytesIO(), io.BytesIO())
    source, n = emu.translate_block(machine.fetch, exe.symbols["loop"])
    assert text.count(f"def block_{exe.symbols['loop']:x}(") == 1
    assert source.splitlines()[1:] == shown and n == 3
