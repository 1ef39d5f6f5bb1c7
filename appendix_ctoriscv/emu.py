"""An RV32I emulator in user mode: run an ELF executable; its exit code, output and step count.

run(elf, stdin, stdout, max_steps) -> RunResult. The program gets 32 registers, MEMORY_SIZE bytes
(segments, a heap that brk grows, an 8 MiB stack at the top with a guard gap below it) and
Linux's read, write, exit, exit_group and brk. A bad access, a jump outside the code or an
illegal instruction raises EmulatorFault. Only stdin, stdout and stderr touch the host. Each
basic block is translated once into Python (blocks.py); where code runs hot, regions.py
translates the blocks around it into one function, with fastpath.py's fast paths.
"""

from __future__ import annotations

import bisect
import io
import mmap
import struct
from dataclasses import dataclass
from typing import BinaryIO

from appendix_ctoriscv import elf, isa, regions
from appendix_ctoriscv.blocks import M, S, translate_block

# *** 1. results and errors ***


@dataclass
class RunResult:
    exit_code: int  # 0..255, as a shell sees it (the low 8 bits of exit's argument)
    stdout: bytes | None  # what the program wrote to fd 1; None if it went to a given stream
    steps: int  # instructions executed
    stderr: bytes = b""  # what it wrote to fd 2


class EmulatorFault(RuntimeError):
    """The program did something a real machine would trap on. Has .pc and .address."""

    def __init__(self, message: str, pc: int, address: int | None = None):
        super().__init__(message)
        self.pc, self.address = pc, address


class StepLimitExceeded(RuntimeError):
    """The program ran more than max_steps instructions (an endless loop, most likely)."""


class ProgramExit(Exception):
    def __init__(self, code: int):
        self.code = code


# *** 2. memory: one flat buffer, with the segments that make parts of it valid ***

MEMORY_SIZE = 0x0400_0000  # 64 MiB of address space: 0 .. MEMORY_SIZE
STACK_SIZE = 0x0080_0000  # the top 8 MiB, as Linux's default stack limit
# Linux's stack_guard_gap: the heap may not grow closer to the stack than this, and an access
# there is a stack overflow (codegen.py probes big frames, so no frame jumps over the gap).
GUARD_GAP = 0x0010_0000
U16, U32 = struct.Struct("<H"), struct.Struct("<I")
I8, I16 = struct.Struct("<b"), struct.Struct("<h")


class Memory:
    """Loads and stores with bounds checks. Readable: the segments, the heap up to the break,
    and the stack; writable: the same without the read-only segments. The rest faults, the
    page left unmapped between the code and the data included."""

    def __init__(self, exe: elf.Executable, size: int = MEMORY_SIZE):
        # An anonymous mmap, not a bytearray: the OS hands out zeroed pages only when they are
        # touched, so 64 MiB cost nothing until a program uses them.
        self.ram = mmap.mmap(-1, size)
        # the same memory as 32-bit words, in the host's byte order: little-endian, as RV32I
        self.words = memoryview(self.ram).cast("I")
        self.stack = [0] * (STACK_SIZE // 4)  # the stack's words (see stack_bytes)
        self.top, self.stack_lo = size, size - STACK_SIZE
        if not exe.segments:
            raise EmulatorFault("the executable has no loadable segments", exe.entry)
        for seg in exe.segments:
            if seg.vaddr < 0x1000 or seg.end > self.stack_lo:  # page 0 stays unmapped for NULL
                raise EmulatorFault(f"segment at 0x{seg.vaddr:x}..0x{seg.end:x} does not fit in "
                                    f"the emulated memory", exe.entry)  # fmt: skip
            self.ram[seg.vaddr : seg.vaddr + len(seg.data)] = seg.data
        self.segments = exe.segments
        code = [s for s in exe.segments if s.flags & elf.PF_X]
        self.code_lo = min((s.vaddr for s in code), default=0)
        self.code_hi = max((s.end for s in code), default=0)
        # The fast paths below test three ranges, in this order: the stack; the data from the
        # writable segment's start to the break (.data, .bss, the rest of their last page, the
        # heap); the read-only segment that holds the entry point (our code and constants).
        # Anything else goes to check(), which knows every segment; what lies between them,
        # such as the page the linker leaves unmapped between code and data, faults.
        main = [s for s in exe.segments if not s.flags & elf.PF_W and s.vaddr <= exe.entry < s.end]
        self.ro_lo, self.ro_hi = (main[0].vaddr, main[0].end) if main else (0, 0)
        end = max(s.end for s in exe.segments)
        self.write_lo = min((s.vaddr for s in exe.segments if s.flags & elf.PF_W), default=end)
        self.brk = self.brk_start = (end + elf.PAGE - 1) // elf.PAGE * elf.PAGE
        self.brk_high = self.brk  # the heap has never reached past here: memory there is zero

    def check(self, address: int, size: int, write: bool, pc: int) -> None:
        """Raise EmulatorFault unless `size` bytes at `address` may be read (or written)."""
        end = address + size
        if self.stack_lo <= address and end <= self.top:
            return
        if self.write_lo <= address and end <= self.brk:
            return
        in_segment = any(s.vaddr <= address and end <= s.end for s in self.segments)
        if in_segment and not write:
            return
        kind = "store of" if write else "load of"
        why = "unmapped"
        if in_segment:
            why = "read-only memory"
        elif self.stack_lo - GUARD_GAP <= address < self.stack_lo:
            why = f"stack overflow: beyond the {STACK_SIZE >> 20} MiB stack limit"
        raise EmulatorFault(f"{kind} {size} bytes at 0x{address:08x} ({why})", pc, address)

    # The stack is a Python list of 32-bit words (self.stack, word k at stack_lo + 4k), not part
    # of `ram`: locals are most loads and stores of compiled code, and a list subscript costs
    # half what a memoryview's does. Aligned words there are one subscript; anything else on
    # the stack goes through its bytes (stack_bytes, put_stack_bytes).

    def stack_bytes(self, a: int, size: int) -> bytes:
        """`size` bytes of the stack at `a` (all of them in the stack)."""
        first, last = (a - self.stack_lo) >> 2, (a + size - 1 - self.stack_lo) >> 2
        words = self.stack[first : last + 1]
        return struct.pack(f"<{len(words)}I", *words)[a & 3 : (a & 3) + size]

    def put_stack_bytes(self, a: int, data: bytes) -> None:
        first, last = (a - self.stack_lo) >> 2, (a + len(data) - 1 - self.stack_lo) >> 2
        words = bytearray(struct.pack(f"<{last - first + 1}I", *self.stack[first : last + 1]))
        words[a & 3 : (a & 3) + len(data)] = data
        self.stack[first : last + 1] = struct.unpack(f"<{last - first + 1}I", words)

    # What translated code calls: a quick test of the three ranges (the stack first: most loads
    # and stores are to locals), then a subscript or struct; anything else goes to the full check.
    # --8<-- [start:memory_ops]
    def lw(self, a: int, pc: int) -> int:
        if self.stack_lo <= a <= self.top - 4:
            if not a & 3:
                return self.stack[(a - self.stack_lo) >> 2]
            return U32.unpack(self.stack_bytes(a, 4))[0]
        if not (self.write_lo <= a <= self.brk - 4 or self.ro_lo <= a <= self.ro_hi - 4):
            self.check(a, 4, False, pc)
        return U32.unpack_from(self.ram, a)[0]

    def sw(self, a: int, value: int, pc: int) -> None:
        if self.stack_lo <= a <= self.top - 4:
            if not a & 3:
                self.stack[(a - self.stack_lo) >> 2] = value
            else:
                self.put_stack_bytes(a, U32.pack(value))
            return
        if not self.write_lo <= a <= self.brk - 4:
            self.check(a, 4, True, pc)
        U32.pack_into(self.ram, a, value)
    # --8<-- [end:memory_ops]

    # Halfwords are rare in compiled C: they take the slow path, the full check, every time.
    def lh(self, a: int, pc: int) -> int:
        return I16.unpack(self.read(a, 2, pc))[0] & M  # sign-extend to 32 bits

    def lhu(self, a: int, pc: int) -> int:
        return U16.unpack(self.read(a, 2, pc))[0]

    def sh(self, a: int, value: int, pc: int) -> None:
        self.write(a, U16.pack(value & 0xFFFF), pc)

    def lb(self, a: int, pc: int) -> int:
        value = self.lbu(a, pc)
        return value | 0xFFFFFF00 if value & 0x80 else value  # sign-extend to 32 bits

    def lbu(self, a: int, pc: int) -> int:
        if self.stack_lo <= a < self.top:
            return self.stack[(a - self.stack_lo) >> 2] >> ((a & 3) << 3) & 0xFF
        if not (self.write_lo <= a < self.brk or self.ro_lo <= a < self.ro_hi):
            self.check(a, 1, False, pc)
        return self.ram[a]

    def sb(self, a: int, value: int, pc: int) -> None:
        if self.stack_lo <= a < self.top:
            k, shift = (a - self.stack_lo) >> 2, (a & 3) << 3
            self.stack[k] = self.stack[k] & ~(0xFF << shift) | (value & 0xFF) << shift
            return
        if not self.write_lo <= a < self.brk:
            self.check(a, 1, True, pc)
        self.ram[a] = value & 0xFF

    def read(self, address: int, size: int, pc: int) -> bytes:
        self.check(address, size, False, pc)
        if self.stack_lo <= address:
            return self.stack_bytes(address, size) if size else b""
        return bytes(self.ram[address : address + size])

    def write(self, address: int, data: bytes, pc: int) -> None:
        self.check(address, len(data), True, pc)
        if self.stack_lo <= address:
            if data:
                self.put_stack_bytes(address, data)
        else:
            self.ram[address : address + len(data)] = data


# *** 3. translation: blocks.py turns a basic block into Python; hot code into regions ***

HOT_ENTRY = 50  # uses of a block's entry before the region around it is translated


# *** 4. system calls (Linux's RV32 numbers, asm-generic/unistd.h) ***

SYS_READ, SYS_WRITE, SYS_EXIT, SYS_EXIT_GROUP, SYS_BRK = 63, 64, 93, 94, 214
EBADF, EFAULT, ENOSYS = 9, 14, 38
SIGPIPE = 13  # a program killed by it exits with 128 + 13, as a shell sees it


class Machine:
    """The state of one run: registers, memory, the translated blocks, the I/O streams."""

    def __init__(self, exe: elf.Executable, stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO,
                 memory_size: int = MEMORY_SIZE, use_regions: bool = True):  # fmt: skip
        self.exe, self.mem = exe, Memory(exe, memory_size)
        self.use_regions = use_regions  # False: basic blocks only (the book's first version)
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.x = [0] * 32
        # The stack as Linux leaves it for _start: argc = 0, argv = {NULL}, envp = {NULL},
        # auxv = {AT_NULL}; sp 16-byte aligned, as the ILP32 calling convention wants.
        self.x[2] = self.mem.top - 32
        self.pc, self.steps = exe.entry, 0
        self.blocks: dict[int, tuple] = {}
        self.symbols = sorted((addr, name) for name, addr in exe.symbols.items())
        m = self.mem
        self.helpers = dict(M=M, S=S, lb=m.lb, lh=m.lh, lw=m.lw, lbu=m.lbu, lhu=m.lhu, sb=m.sb,
                            sh=m.sh, sw=m.sw, ecall=self.ecall, ebreak=self.ebreak,
                            illegal=self.illegal)  # fmt: skip
        self.syscalls = {SYS_READ: self.sys_read, SYS_WRITE: self.sys_write, SYS_BRK: self.sys_brk,
                         SYS_EXIT: self.sys_exit, SYS_EXIT_GROUP: self.sys_exit}  # fmt: skip

    # --- faults, with the place they happened

    def where(self, pc: int) -> str:
        """`0x100a4 <main+0x14>: lw a0, 0(a1)`: the pc, its function, its instruction."""
        i = bisect.bisect_right(self.symbols, (pc, "\uffff")) - 1
        name = f" <{self.symbols[i][1]}+0x{pc - self.symbols[i][0]:x}>" if i >= 0 else ""
        word = self.fetch(pc)
        text = isa.disassemble(word, pc) if word is not None else "(no instruction here)"
        return f"pc 0x{pc:08x}{name}: {text}"

    def illegal(self, pc: int) -> None:
        raise EmulatorFault("illegal instruction", pc)

    def ebreak(self, pc: int) -> None:
        raise EmulatorFault("breakpoint (ebreak)", pc)

    def fetch(self, pc: int) -> int | None:
        """The instruction word at pc, or None outside the executable segment."""
        if pc % 4 or not self.mem.code_lo <= pc <= self.mem.code_hi - 4:
            return None
        return U32.unpack_from(self.mem.ram, pc)[0]

    # --- system calls

    # --8<-- [start:ecall]
    def ecall(self, pc: int) -> int:
        """Run the system call in a7 with arguments a0..a2; the result goes to a0."""
        x = self.x
        number, a0, a1, a2 = x[17], x[10], x[11], x[12]
        handler = self.syscalls.get(number)
        try:
            result = handler(a0, a1, a2, pc) if handler else -ENOSYS
        except EmulatorFault:
            result = -EFAULT  # a bad buffer: the kernel returns EFAULT instead of killing
        except BrokenPipeError:  # the reader went away (`--run | head`): Linux sends SIGPIPE,
            raise ProgramExit(128 + SIGPIPE) from None  # which ends the program, as here
        x[10] = result & M
        return pc + 4
    # --8<-- [end:ecall]

    def sys_write(self, fd: int, buf: int, count: int, pc: int) -> int:
        # EXERCISE A.11: write count bytes from buf to fd 1 (stdout) or 2 (stderr); else -EBADF
        stream = {1: self.stdout, 2: self.stderr}.get(fd)
        if stream is None:
            return -EBADF
        stream.write(self.mem.read(buf, count, pc))
        return count
        # END EXERCISE

    def sys_read(self, fd: int, buf: int, count: int, pc: int) -> int:
        if fd != 0:
            return -EBADF
        self.mem.check(buf, count, True, pc)
        data = getattr(self.stdin, "read1", self.stdin.read)(count)  # what is there, up to count
        self.mem.write(buf, data, pc)
        return len(data)

    def sys_brk(self, addr: int, _a1: int, _a2: int, pc: int) -> int:
        """Move the end of the heap; brk(0) or a bad address just returns the current end."""
        mem = self.mem
        if mem.brk_start <= addr <= mem.stack_lo - GUARD_GAP:
            if addr > mem.brk:  # fresh heap memory reads as zero, even if it was used before
                reused = min(addr, mem.brk_high)
                mem.ram[mem.brk : reused] = bytes(max(reused - mem.brk, 0))
                mem.brk_high = max(mem.brk_high, addr)
            mem.brk = addr
        return mem.brk

    def sys_exit(self, code: int, _a1: int, _a2: int, pc: int) -> int:
        raise ProgramExit(code & 0xFF)

    # --- the main loop

    def block(self, pc: int) -> tuple:
        """The translated block at pc: (function, instruction count), compiled on first use."""
        if self.fetch(pc) is None:
            why = "misaligned" if pc % 4 else "outside the code"
            raise EmulatorFault(f"instruction fetch from 0x{pc:08x} ({why})", pc, pc)
        source, n = translate_block(self.fetch, pc)
        namespace = dict(self.helpers)
        exec(compile(source, f"<block 0x{pc:x}>", "exec"), namespace)
        return namespace[f"block_{pc:x}"], n

    def region(self, pc: int, block: list) -> list:
        """The region translated at a hot entry, as [function, 0, 0]; else `block`, kept."""
        translated = regions.translate_region(self.fetch, pc, self.mem, self.x)
        if translated is None:
            block[2] = -(1 << 62)  # never hot again: a system call, say
            return block
        source, name = translated
        namespace = dict(self.helpers, stk=self.mem.stack, mv=self.mem.words, ram=self.mem.ram)
        exec(compile(source, f"<region 0x{pc:x}>", "exec"), namespace)
        return [namespace[name], 0, 0]

    # --8<-- [start:run_loop]
    def run(self, max_steps: int) -> int:
        """Run from self.pc until the program exits; returns the exit code.

        Each entry is [function, instruction count, uses]: a basic block, run as it is until
        it has been entered HOT_ENTRY times, then replaced by the region around it (count 0:
        a region returns how many instructions it ran).
        """
        blocks, x, pc, steps = self.blocks, self.x, self.pc, self.steps
        try:
            while True:
                entry = blocks.get(pc)
                if entry is None:
                    entry = blocks[pc] = [*self.block(pc), 0]
                function, n, uses = entry
                if n == 0:  # a region: it stops before the block that would cross the limit
                    pc, ran = function(x, max_steps - steps)
                    if ran == 0:
                        self.step_limit(steps, max_steps, pc)
                    steps += ran
                    continue
                if steps + n > max_steps:  # the block would cross the limit: stop before it
                    self.step_limit(steps, max_steps, pc)
                steps += n
                if uses < HOT_ENTRY or not self.use_regions:
                    entry[2] = uses + 1
                else:
                    blocks[pc] = self.region(pc, entry)
                pc = function(x)
        except ProgramExit as e:
            return e.code
        except EmulatorFault as e:  # say where: the pc, its function and its instruction
            raise EmulatorFault(f"{e}, at {self.where(e.pc)}", e.pc, e.address) from None
        finally:
            self.pc, self.steps = pc, steps
    # --8<-- [end:run_loop]

    def step_limit(self, steps: int, max_steps: int, pc: int):
        raise StepLimitExceeded(f"stopped after {steps} instructions (max_steps={max_steps}), "
                                f"at pc 0x{pc:08x}")


# *** 5. the entry point ***


def run(elf_bytes: bytes, stdin: bytes | BinaryIO = b"", stdout: BinaryIO | None = None,
        max_steps: int = 100_000_000, stderr: BinaryIO | None = None,
        memory_size: int = MEMORY_SIZE, use_regions: bool = True) -> RunResult:  # fmt: skip
    """Load the ELF executable `elf_bytes` and run it to its exit.

    stdin is the bytes the program may read (or a binary stream); its writes to fd 1 go to
    `stdout` if given, else into RunResult.stdout. Raises EmulatorFault, StepLimitExceeded.
    use_regions=False runs basic blocks only, without regions.py (for comparison).
    """
    if isinstance(stdin, str):  # the program reads bytes: say so now, not at its first read
        raise TypeError("run(): stdin must be bytes or a binary stream, not str "
                        "(encode the text first: text.encode())")
    exe = elf.read_executable(elf_bytes)
    stdin_stream = io.BytesIO(stdin) if isinstance(stdin, bytes | bytearray) else stdin
    out = stdout if stdout is not None else io.BytesIO()
    err = stderr if stderr is not None else io.BytesIO()
    machine = Machine(exe, stdin_stream, out, err, memory_size, use_regions)
    code = machine.run(max_steps)
    return RunResult(code, out.getvalue() if stdout is None else None, machine.steps,
                     err.getvalue() if stderr is None else b"")  # fmt: skip
