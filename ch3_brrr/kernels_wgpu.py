"""Launchers for the WGSL kernels: strided views in, one dispatch out, nothing read back.

An operand is a `WGPUView`: a `WGPUStorage` (a GPUBuffer of 32-bit words and its element count)
with a shape, strides and offset in elements. The launchers describe the views in a small int32
table (views.wgsl, bound after the buffers), fill the WGSL templates (kernels/wgsl/*.wgsl) with the
op's expression and the operands' types, and dispatch. Types: float32 is f32; int32, int64 and
bool are all i32 words (bool as 0/1), the dtype policy of device "wgpu" (device_wgpu.py).
An input that shares out's buffer is read from a snapshot: WebGPU forbids binding one buffer
as both read-only and writable storage in a dispatch. Bad input a kernel meets (an index out of
range, an integer division by zero) is flagged in a fault word and raised by the next download.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ch3_brrr.runtime import DeviceError, get_device

KERNELS = Path(__file__).resolve().parent / "kernels" / "wgsl"
WGSL_TYPE = {"float32": "f32", "int32": "i32", "int64": "i32", "bool": "i32"}
NP_TYPE = {"f32": np.float32, "i32": np.int32}
IS_NAN = {"f32": "(bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u", "i32": "false"}


class WGPUStorage:
    """The flat device memory behind one ch2 Storage: `numel` 32-bit words of WGSL type `wgsl`."""

    __slots__ = ("buf", "numel", "wgsl", "__weakref__")

    def __init__(self, buf, numel: int, wgsl: str):
        self.buf, self.numel, self.wgsl = buf, numel, wgsl

    def __len__(self) -> int:
        return self.numel


class WGPUView(NamedTuple):
    """A strided view of a WGPUStorage; `dtype` is the ch2 dtype name (bool and int64 are i32)."""

    data: WGPUStorage
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int
    dtype: str

    @property
    def wgsl(self) -> str:
        return self.data.wgsl

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


def device():
    return get_device("wgpu")


# *** 1. memory ***


def alloc(numel: int, wgsl: str) -> WGPUStorage:
    return WGPUStorage(device().allocator.alloc(4 * numel), numel, wgsl)


def upload(a: np.ndarray, wgsl: str) -> WGPUStorage:
    """A device copy of the flat host array a, converted to 32-bit words of type wgsl."""
    words = np.ascontiguousarray(a, NP_TYPE[wgsl]).reshape(-1)
    data = alloc(words.size, wgsl)
    device().allocator.copyin(data.buf, memoryview(words.view(np.uint8)))
    return data


def download(data: WGPUStorage) -> np.ndarray:
    """The storage's words as a flat host array (waits for the kernels that write it); raises
    KernelFault if a kernel flagged bad input since the last download."""
    out = np.empty(data.numel, NP_TYPE[data.wgsl])
    device().allocator.copyout(memoryview(out.view(np.uint8)), data.buf)
    code, value = FAULT.take()
    if code:
        raise KernelFault(code, value)
    return out


@lru_cache(maxsize=4096)
def _scalar_storage(value, wgsl: str) -> WGPUStorage:
    return upload(np.array([value]), wgsl)


def scalar(value, dtype: str) -> WGPUView:
    """A python number as a 0-d view of a one-word buffer, uploaded once per value and type."""
    wgsl = WGSL_TYPE[dtype]
    value = float(value) if wgsl == "f32" else int(value)
    return WGPUView(_scalar_storage(value, wgsl), (), (), 0, dtype)


def snapshot(view: WGPUView) -> WGPUView:
    """The same view over a fresh copy of its storage (for inputs that alias `out`)."""
    dev = device()
    copy = WGPUStorage(dev.allocator.alloc(4 * view.data.numel), view.data.numel, view.wgsl)
    dev.flush()  # the launches that write the source go first
    encoder = dev.gpu.create_command_encoder()
    encoder.copy_buffer_to_buffer(view.data.buf, 0, copy.buf, 0, view.data.buf.size)
    dev.gpu.queue.submit([encoder.finish()])
    return view._replace(data=copy)


# *** 2. building and launching ***


@cache
def source(file: str, **subs: str) -> str:
    """kernels/wgsl/<file>.wgsl with each {{NAME}} replaced by subs[NAME]."""
    text = (KERNELS / f"{file}.wgsl").read_text()
    for name, value in subs.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def grid(groups: int) -> tuple[int, int, int]:
    """`groups` workgroups as a 2-D grid: one axis holds at most 65535."""
    x = min(groups, 65535)
    return (x, -(-groups // x) if groups else 0, 1)


def launch(src: str, entry: str, out: WGPUView, inputs, table, groups, extra=()) -> None:
    """Run `entry` of src over out, the inputs (views), the `extra` raw buffers and the table."""
    if math.prod(groups) == 0:
        return
    inputs = [snapshot(v) if v.data is out.data else v for v in inputs]
    prog = device().build(entry, src)
    # the table travels as the Program's `vals`: a buffer cached by content, so a launch that
    # repeats (every training step) uploads nothing
    prog(out.data.buf, *[v.data.buf for v in inputs], *extra, global_size=groups,
         vals=tuple(int(m) for m in table))


# --8<-- [start:fault_word]
class FaultWord:
    """Two i32 on the device: a fault code that kernels raise (atomicMax) where their input is
    bad, and the offending value (an index, say).

    A GPU kernel cannot throw, and checking on the host would read the operand back (a sync
    per op). So the kernel flags the fault and the host reads the word with the next download,
    as CUDA reports a device-side assert at the next synchronization."""

    def __init__(self):
        self.buf, self.armed = None, False

    def binding(self):
        """The word's buffer, for a launch that may raise it."""
        if self.buf is None:
            self.buf = upload(np.zeros(2, np.int32), "i32").buf
        self.armed = True
        return self.buf

    def take(self) -> tuple[int, int]:
        """(code, value) raised since the last take ((0, 0): none), and clear them; reads the
        word only when a kernel that may raise it ran since."""
        if not self.armed:
            return 0, 0
        self.armed = False
        words = np.zeros(2, np.int32)
        device().allocator.copyout(memoryview(words.view(np.uint8)), self.buf)
        if words[0]:
            device().allocator.copyin(self.buf, memoryview(np.zeros(8, np.uint8)))
        return int(words[0]), int(words[1])
# --8<-- [end:fault_word]


FAULT = FaultWord()
# index out of range: in gather/scatter_add, in x[index], a cross-entropy target
GATHER_FAULT, INDEX_FAULT, TARGET_FAULT = 3, 4, 5


class KernelFault(DeviceError):
    """Bad input a kernel flagged (FaultWord), raised by the download after it."""

    def __init__(self, code: int, value: int):
        self.code, self.value = code, value
        super().__init__(f"a wgpu kernel flagged fault {code} (value {value})")


def fault_decl(binding: int) -> str:
    """WGSL: the fault word at `binding` and raise_fault(code, value), for kernels that check."""
    return (f"@group(0) @binding({binding}) var<storage, read_write> fault: array<atomic<i32>>;\n"
            "fn raise_fault(code: i32, value: i32) {\n"
            "    atomicMax(&fault[0], code);\n    atomicStore(&fault[1], value);\n}")


def collapse(shape, *strides_of) -> tuple[list[int], list[list[int]]]:
    """Drop size-1 dims and merge a dim into the next where every view steps over both as one
    (stride[d] == stride[d+1] * shape[d+1]): a contiguous view becomes one long row."""
    dims = [(n, [s[d] for s in strides_of]) for d, n in enumerate(shape) if n != 1]
    merged: list[tuple[int, list[int]]] = []
    for n, st in dims:
        if merged and all(p == s * n for p, s in zip(merged[-1][1], st)):
            merged[-1] = (merged[-1][0] * n, st)
        else:
            merged.append((n, st))
    return [n for n, _ in merged], [[st[k] for _, st in merged] for k in range(len(strides_of))]


def view_table(shape, views) -> list[int]:
    """views.wgsl's table: numel, ndim, shape, then each (offset, strides) over `shape`."""
    table = [math.prod(shape), len(shape), *shape]
    for offset, strides in views:
        table += [offset, *strides]
    return table


def broadcast_strides(v: WGPUView, ndim: int) -> tuple[int, ...]:
    """v's strides over an out of ndim dims: a 0-d view (a scalar) is stride 0 everywhere."""
    return v.strides if len(v.strides) == ndim else (0,) * (ndim - len(v.strides)) + v.strides


# *** 3. elementwise ***

MATH = (KERNELS / "math.wgsl").read_text()


def operand_decl(k: int, wgsl: str) -> str:
    """The declaration and load function of input k (binding k+1, view k+1 of the table)."""
    return (f"@group(0) @binding({k + 1}) var<storage, read> in{k}: array<{wgsl}>;\n"
            f"fn load{k}(at: vec4<i32>) -> {wgsl} {{ return in{k}[at[{k + 1}]]; }}")


# --8<-- [start:elementwise_launch]
def elementwise(expr: str, out: WGPUView, *inputs: WGPUView, fault=None) -> None:
    """out[i] = expr over the inputs, named a, b, c in expr; they broadcast to out's shape.

    expr is WGSL, e.g. "a + b" or "select(c, b, a != 0)"; it becomes the body of
    `fn op(a, b, c) -> out type`, called with load0(at), load1(at), load2(at), `at` holding
    the views' positions of element i (views.wgsl's positions4). fault, if given, is
    (condition in a, b, c; code): where the condition holds, FAULT's word is raised to code."""
    ndim = len(out.shape)
    shape, strides = collapse(out.shape, out.strides,
                              *[broadcast_strides(v, ndim) for v in inputs])
    table = view_table(shape, [(v.offset, st) for v, st in zip((out, *inputs), strides)])
    names = "abc"[:len(inputs)]
    params = ", ".join(f"{n}: {v.wgsl}" for n, v in zip(names, inputs))
    decls = [operand_decl(k, v.wgsl) for k, v in enumerate(inputs)]
    check, extra = "", ()
    if fault:  # the fault word is bound after the inputs, before the table
        decls.append(fault_decl(len(inputs) + 1))
        check, extra = f"if ({fault[0]}) {{ raise_fault({fault[1]}, 0); }} ", (FAULT.binding(),)
    decls.append(f"fn op({params}) -> {out.wgsl} {{ {check}return {expr}; }}")
    call = "op(" + ", ".join(f"load{k}(at)" for k in range(len(inputs))) + ")"
    table_binding = str(len(inputs) + 1 + len(extra))
    src = MATH + source("views") + source("elementwise", OUT_T=out.wgsl, OPERANDS="\n".join(decls),
                                          EXPR=call, TABLE_BINDING=table_binding)
    launch(src, "elementwise", out, inputs, table, grid(-(-out.numel // 256)), extra)
# --8<-- [end:elementwise_launch]


# *** 4. reductions ***


def reduce_table(out: WGPUView, x: WGPUView, axes) -> list[int]:
    """The table reduce.wgsl and argmax.wgsl read: kept dims of x first, then reduced ones.

    out has x's kept dims (keepdim is a view, done by ch2), in order."""
    keep = [d for d in range(len(x.shape)) if d not in axes]
    keep_shape = [x.shape[d] for d in keep]
    red_shape = [x.shape[d] for d in axes]
    out_strides = out.strides if len(out.strides) == len(keep) else (0,) * len(keep)
    return [math.prod(keep_shape), math.prod(red_shape), len(keep), len(axes), *keep_shape,
            *red_shape, out.offset, *out_strides, x.offset, *[x.strides[d] for d in keep],
            *[x.strides[d] for d in axes]]


def reduce(combine: str, identity: str, to_out: str | None, out: WGPUView, x: WGPUView,
           axes) -> None:
    """out[j] = fold of combine(a, b) over x's `axes`, from `identity`, in out's type; each
    element v of x enters as to_out (default: converted to out's type)."""
    axes = sorted(a % len(x.shape) for a in axes) if x.shape else []
    table = reduce_table(out, x, axes)
    src = MATH + source("reduce", IN_T=x.wgsl, OUT_T=out.wgsl, IDENTITY=identity,
                        COMBINE=combine, TO_OUT=to_out or f"{out.wgsl}(v)")
    launch(src, "reduce", out, [x], table, grid(table[0]))


def argmax(out: WGPUView, x: WGPUView, axis: int) -> None:
    """out[j] = the first index of the largest x along `axis` (NaN largest), as i32."""
    table = reduce_table(out, x, [axis % len(x.shape)] if x.shape else [])
    src = source("argmax", IN_T=x.wgsl, IS_NAN=IS_NAN[x.wgsl])
    launch(src, "argmax", out, [x], table, grid(table[0]))


# *** 5. matmul ***


def matmul(out: WGPUView, a: WGPUView, b: WGPUView) -> None:
    """out = a @ b over the last two dims; the batch dims of a and b broadcast to out's.

    Shapes: a (..., M, K), b (..., K, N) -> out (..., M, N)."""
    (m, n), k = out.shape[-2:], a.shape[-1]
    batch = out.shape[:-2]
    table = [m, n, k, len(batch), *batch]
    for v in (a, b, out):
        st = broadcast_strides(v, len(out.shape))
        table += [v.offset, *st[:-2], *v.strides[-2:]]
    groups = (-(-n // 32), -(-m // 32), math.prod(batch))
    launch(source("matmul"), "matmul_strided", out, [a, b], table, groups)


# *** 6. index ops: gather, index, index_put, scatter_add, argsort ***


def index_decls(indices) -> str:
    """Bindings 2 + k for the int index views, and read_index(k, pos) choosing among them."""
    lines = [f"@group(0) @binding({k + 2}) var<storage, read> index{k}: array<i32>;"
             for k in range(len(indices))]
    cases = " ".join(f"case {k}u: {{ return index{k}[pos]; }}" for k in range(len(indices)))
    lines.append(f"fn read_index(k: u32, pos: i32) -> i32 {{ switch k {{ {cases} "
                 "default: { return 0; } } }")
    return "\n".join(lines)


def _index_launch(out: WGPUView, x: WGPUView, x_strides, picks, lowest: str, fault: int) -> None:
    """out[i] = x[xpos(i) + sum_k index_k[i] * step_k] (index.wgsl).

    x_strides: x's strides laid over out's shape; picks: (index view laid over out's shape,
    size and stride of the dim of x it picks); an index below `lowest` (WGSL, in `size`) or
    past the size raises fault code `fault`."""
    views = [(out.offset, out.strides), (x.offset, x_strides)]
    views += [(v.offset, v.strides) for v, _, _ in picks]
    table = view_table(out.shape, views) + [n for _, size, step in picks for n in (size, step)]
    decls = index_decls(picks) + "\n" + fault_decl(len(picks) + 2)
    src = source("views") + source("index", T=out.wgsl, INDICES=decls, NINDEX=str(len(picks)),
                                   TABLE_BINDING=str(len(picks) + 3), LOWEST=lowest,
                                   FAULT=str(fault))
    launch(src, "index", out, [x] + [v for v, _, _ in picks], table, grid(-(-out.numel // 64)),
           (FAULT.binding(),))


def gather(out: WGPUView, x: WGPUView, index: WGPUView, axis: int) -> None:
    """out[.., i, ..] = x[.., index[.., i, ..], ..] along axis. Shapes: out = index's."""
    axis %= len(x.shape)
    x_strides = [0 if d == axis else s for d, s in enumerate(x.strides)]
    _index_launch(out, x, x_strides, [(index, x.shape[axis], x.strides[axis])], "0",
                  GATHER_FAULT)


def index_layout(x_shape, positions, b_ndim: int) -> tuple[int, list[int]]:
    """Where numpy puts things in x[..., idx, ...]: the first result dim of the indices'
    broadcast shape B, and the result dim of each dim of x that is not indexed."""
    adjacent = list(positions) == list(range(positions[0], positions[0] + len(positions)))
    start = positions[0] if adjacent else 0
    rest = [d for d in range(len(x_shape)) if d not in positions]
    if adjacent:  # x[:, idx, :]: B replaces the indexed dims where they were
        return start, [r if r < start else r + b_ndim for r in range(len(rest))]
    return start, [b_ndim + r for r in range(len(rest))]  # x[idx, :, idx]: B goes first


def over_b(v: WGPUView, b_shape) -> list[int]:
    """v's strides over the broadcast shape B (right-aligned; 0 where v has size 1 or no dim)."""
    pad = len(b_shape) - len(v.shape)
    return [0 if d < pad or v.shape[d - pad] == 1 else v.strides[d - pad]
            for d in range(len(b_shape))]


def index(out: WGPUView, x: WGPUView, *indices: WGPUView, positions) -> None:
    """out = x[indices at `positions`], numpy's advanced indexing. Shapes: out = numpy's."""
    b_ndim = len(out.shape) - (len(x.shape) - len(positions))
    start, where = index_layout(x.shape, positions, b_ndim)
    b_shape = out.shape[start:start + b_ndim]
    rest = [d for d in range(len(x.shape)) if d not in positions]
    x_strides = [0] * len(out.shape)
    for d, r in zip(rest, where):
        x_strides[r] = x.strides[d]
    picks = []
    for v, p in zip(indices, positions):
        strides = [0] * len(out.shape)
        strides[start:start + b_ndim] = over_b(v, b_shape)
        picks.append((v._replace(strides=tuple(strides)), x.shape[p], x.strides[p]))
    _index_launch(out, x, x_strides, picks, "-size", INDEX_FAULT)


def _scatter_launch(out: WGPUView, src: WGPUView, src_c, b_shape, picks, src_b,
                    accumulate: bool) -> None:
    """index_put.wgsl: each element of out sums (or takes the last of) what its indices send.

    src_c: src's strides over out's shape; picks: (index view, its strides over B, the dim of
    out it picks, that dim's size); src_b: src's strides over B."""
    table = view_table(out.shape, [(out.offset, out.strides), (src.offset, src_c)])
    table += [len(b_shape), *b_shape]
    for v, strides, dim, size in picks:
        table += [dim, size, v.offset, *strides]
    table += src_b
    src_text = source("views") + source(
        "index_put", T=out.wgsl, INDICES=index_decls(picks) + "\n" + fault_decl(len(picks) + 2),
        NINDEX=str(len(picks)), TABLE_BINDING=str(len(picks) + 3),
        ACCUMULATE="true" if accumulate else "false", FAULT=str(INDEX_FAULT))
    launch(src_text, "index_put", out, [src] + [p[0] for p in picks], table,
           grid(-(-out.numel // 64)), (FAULT.binding(),))


def copy_into(out: WGPUView, x: WGPUView) -> None:
    """out = x (same shape), unless out already is x."""
    if x.data is not out.data or x.strides != out.strides or x.offset != out.offset:
        elementwise(f"{out.wgsl}(a)", out, x)


def index_put(out: WGPUView, x: WGPUView, src: WGPUView, *indices: WGPUView, positions,
              accumulate: bool) -> None:
    """out = x, then out[indices] = src (+= with accumulate). Shapes: src is the result's."""
    copy_into(out, x)
    b_ndim = len(src.shape) - (len(x.shape) - len(positions))
    start, where = index_layout(x.shape, positions, b_ndim)
    b_shape = src.shape[start:start + b_ndim]
    src_strides = broadcast_strides(src, len(src.shape))
    src_c = [0] * len(x.shape)
    rest = [d for d in range(len(x.shape)) if d not in positions]
    for d, r in zip(rest, where):
        src_c[d] = src_strides[r]
    picks = [(v, over_b(v, b_shape), p, x.shape[p]) for v, p in zip(indices, positions)]
    _scatter_launch(out, src, src_c, b_shape, picks, src_strides[start:start + b_ndim],
                    accumulate)


def scatter_add(out: WGPUView, x: WGPUView, index: WGPUView, src: WGPUView, axis: int) -> None:
    """out = x, then out[.., index[.., i, ..], ..] += src[.., i, ..] along axis.

    Shapes: index (and the part of src that is used) no larger than x in any dim."""
    copy_into(out, x)
    axis %= len(x.shape)
    table = view_table(out.shape, [(out.offset, out.strides)])
    table += [axis, *index.shape, index.offset, *index.strides, src.offset, *src.strides]
    src_text = source("views") + source("scatter_add", T=out.wgsl, FAULT_DECL=fault_decl(3),
                                        FAULT=str(GATHER_FAULT))
    launch(src_text, "scatter_add", out, [src, index], table, grid(-(-out.numel // 64)),
           (FAULT.binding(),))


def argsort(out: WGPUView, x: WGPUView, axis: int, descending: bool) -> None:
    """out = the indices that sort x along axis, stably (argsort.wgsl)."""
    if not x.shape:
        return elementwise("0", out)
    axis %= len(x.shape)
    keep = [d for d in range(len(x.shape)) if d != axis]
    table = [math.prod(x.shape[d] for d in keep), x.shape[axis], len(keep),
             *[x.shape[d] for d in keep]]
    for v in (x, out):
        table += [v.offset, *[v.strides[d] for d in keep], v.strides[axis]]
    src = source("argsort", T=x.wgsl, IS_NAN=IS_NAN[x.wgsl],
                 DESCENDING="true" if descending else "false")
    launch(src, "argsort", out, [x], table, grid(-(-x.numel // 64)))


# *** 7. fused row kernels: softmax, layer norm, cross-entropy ***


def _rows(file: str, out: WGPUView, inputs, extra=(0, 0), buffers=()) -> None:
    """Run a rows.wgsl kernel: one workgroup per row of contiguous (R, C) matrices; `buffers`
    are bound after the inputs (the fault word)."""
    for v in (out, *inputs):  # the kernels index whole buffers from word 0, row-major
        row_major = tuple(math.prod(v.shape[d + 1:]) for d in range(len(v.shape)))
        if v.offset or (v.strides != row_major and v.numel > 1):
            raise ValueError(f"{file}: operands must be contiguous from offset 0 (call "
                             f".contiguous()), got shape {v.shape}, strides {v.strides}, "
                             f"offset {v.offset}")
    rows, cols = (out.shape[0], inputs[0].shape[-1]) if inputs[0].shape else (0, 0)
    src = source("rows") + source(file)
    prog = device().build(file, src)
    if rows:  # the uniform dims is the Program's vals buffer (cached by content)
        prog(out.data.buf, *[v.data.buf for v in inputs], *buffers, global_size=(rows, 1, 1),
             vals=(rows, cols, *extra))


def softmax(out: WGPUView, x: WGPUView) -> None:
    """out = softmax(x) along the last dim. Shapes: x (R, C) contiguous -> out (R, C)."""
    _rows("softmax", out, [x])


def layernorm(out: WGPUView, x: WGPUView, weight: WGPUView, bias: WGPUView,
              eps: float) -> None:
    """out = layer_norm(x) * weight + bias along the last dim. Shapes: x (R, C), weight and
    bias (C,), all contiguous -> out (R, C)."""
    eps_bits = int(np.float32(eps).view(np.uint32))
    _rows("layernorm", out, [x, weight, bias], (eps_bits, 0))


def cross_entropy(loss: WGPUView, logits: WGPUView, target: WGPUView,
                  ignore_index: int = -100) -> None:
    """loss[r] = logsumexp(logits[r]) - logits[r, target[r]] (0 where target == ignore_index;
    a target out of range raises TARGET_FAULT at the next download).

    Shapes: logits (R, C), target (R,) int -> loss (R,), all contiguous."""
    _rows("cross_entropy", loss, [logits, target], (ignore_index, TARGET_FAULT),
          (FAULT.binding(),))
