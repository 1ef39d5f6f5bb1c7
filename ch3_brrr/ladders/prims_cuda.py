"""The ch2 device "cuda" primitive by primitive: each core op through chapter 2's API, against
numpy in float64 (exactly, where the result is exact), every fresh device buffer poisoned first.

The GPT check (gpt_cuda.py) shows the kernels of ops.cu work together; this one shows each of
them alone, on shapes no block size divides, on views (transposed, stepped, broadcast), on empty
tensors and for every dtype family, so a wrong kernel is named rather than blurred into a loss.
`check(device)` returns the number of cases passed, raises ValidationError on the first that
fails, and fails too if some core primitive of the device never ran (the case list would then
prove nothing about it). Run on "cpu" (no GPU needed) it checks the cases themselves.

Bounds against the float64 value: exp, log, sin within 4 ulps (CUDA's expf, logf, sinf are
within 2; sqrt, division and floor round correctly), pow within 8; a sum of K terms and a
matmul within K * eps * sum |terms| (common.matmul_bound).
"""

from __future__ import annotations

import numpy as np

from ch3_brrr.ladders.common import ValidationError, matmul_bound, validate


def ulps(ref: np.ndarray, dtype, n: int) -> np.ndarray:
    """n units in the last place of ref rounded to dtype, as float64."""
    return n * np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)


def exact(name: str, out: np.ndarray, ref: np.ndarray) -> None:
    """Bitwise equality of integers and booleans (a poisoned byte 0xFF is no bool True)."""
    ref = np.asarray(ref)
    if out.shape != ref.shape or out.dtype != ref.dtype:
        raise ValidationError(f"{name}: {out.dtype}{out.shape}, expected {ref.dtype}{ref.shape}")
    if not np.array_equal(out.reshape(-1).view(np.uint8), ref.reshape(-1).view(np.uint8)):
        raise ValidationError(f"{name}: got\n{out}\nwant\n{ref}")


class Poisoned:
    """Within `with Poisoned(dev):` every buffer the device allocates starts as 0xFF bytes (NaN
    floats, -1 integers, an invalid bool), and the kernels that run are recorded in `ran`."""

    def __init__(self, dev):
        self.dev, self.ran = dev, set()

    def __enter__(self):
        dev = self.dev
        self.alloc, self.kernels = dev.alloc, dict(dev.kernels)

        def alloc(numel, dtype):
            buf = self.alloc(numel, dtype)
            if isinstance(buf, np.ndarray):
                buf.view(np.uint8)[...] = 0xFF
            elif numel:  # a CudaMemory
                from ch3_brrr.device_cuda import GPU
                ones = np.full(numel * np.dtype(dtype.np).itemsize, 0xFF, np.uint8)
                GPU.allocator.copyin(buf.alloc, memoryview(ones))
            return buf

        def recorded(op, fn):
            def run(*args, **kwargs):
                self.ran.add(op)
                return fn(*args, **kwargs)
            return run

        dev.alloc = alloc
        dev.kernels.update({op: (recorded(op, fn), dtypes)
                            for op, (fn, dtypes) in self.kernels.items()})
        return self

    def __exit__(self, *exc):
        self.dev.alloc = self.alloc
        self.dev.kernels.clear()
        self.dev.kernels.update(self.kernels)


def cases(torch, rng: np.random.Generator):
    """(name, ch2 computation, numpy float64 reference, bound or None for exact) for each case.

    The computation takes `t`, which puts a host array on the device under test."""
    f32 = rng.standard_normal((37, 53)).astype(np.float32)
    g32 = rng.standard_normal((37, 53)).astype(np.float32)
    f64 = rng.standard_normal((3, 5, 7))
    i64 = rng.integers(-50, 50, (37, 53))
    j64 = rng.integers(1, 9, (37, 53)) * rng.choice([-1, 1], (37, 53))
    i32 = rng.integers(-9, 9, (5, 300)).astype(np.int32)
    wide = rng.standard_normal((19, 1000)).astype(np.float32)
    x64, eps32 = f32.astype(np.float64), float(np.finfo(np.float32).eps)
    idx = rng.integers(0, 53, (37, 11))
    rows = rng.integers(0, 37, 9)
    yield "fill float32", lambda t: torch.full((37, 53), 2.5, device=t.device), \
        np.full((37, 53), 2.5, np.float32), None
    yield "fill int64 empty", lambda t: torch.zeros((0, 4), dtype=torch.int64, device=t.device), \
        np.zeros((0, 4), np.int64), None
    yield "copy transposed", lambda t: t(f32).T.contiguous(), np.ascontiguousarray(f32.T), None
    yield "copy stepped", lambda t: t(f32)[::2, 1::3].contiguous(), f32[::2, 1::3].copy(), None
    yield "copy broadcast", lambda t: t(f32[:1]).expand(37, 53).contiguous(), \
        np.repeat(f32[:1], 37, 0), None
    yield "cast float32 -> int32", lambda t: (t(f32) * 10).to(torch.int32), \
        np.trunc(f32 * np.float32(10)).astype(np.int32), None
    yield "cast int64 -> float32", lambda t: t(i64).to(torch.float32), i64.astype(np.float32), None
    yield "cast bool -> float64", lambda t: (t(f64) > 0).to(torch.float64), \
        (f64 > 0).astype(np.float64), None
    yield "neg int64", lambda t: -t(i64), -i64, None
    yield "neg float64", lambda t: -t(f64), -f64, None
    # (name, ch2 op, numpy op, ulps, the argument as the op receives it: rounded alike by both)
    for name, fn, ref, n, arg in (("exp", torch.exp, np.exp, 4, abs),
                                  ("sin", torch.sin, np.sin, 4, lambda a: a),
                                  ("log", torch.log, np.log, 4, lambda a: abs(a) + 0.1),
                                  ("sqrt", torch.sqrt, np.sqrt, 1, abs),
                                  ("floor", torch.floor, np.floor, 0, lambda a: a * 4)):
        for host in (f32, f64):
            truth = ref(arg(host).astype(np.float64))
            yield f"{name} {host.dtype}", lambda t, fn=fn, arg=arg, host=host: fn(arg(t(host))), \
                truth, ulps(truth, host.dtype, n)
    yield "add broadcast float32", lambda t: t(f32) + t(g32[0]), x64 + g32[0], \
        ulps(x64 + g32[0], np.float32, 1)
    yield "add python number", lambda t: t(i64) + 7, i64 + 7, None
    yield "mul float32", lambda t: t(f32) * t(g32), x64 * g32, ulps(x64 * g32, np.float32, 1)
    den = np.abs(g32) + 0.5  # rounded in float32, as on the device
    yield "div float32", lambda t: t(f32) / (t(g32).abs() + 0.5), x64 / den, \
        ulps(x64 / den, np.float32, 2)
    yield "floordiv int64", lambda t: t(i64) // t(j64), i64 // j64, None
    yield "floordiv int32 by a number", lambda t: t(i32) // -4, i32 // np.int32(-4), None
    yield "pow float64", lambda t: t(f64).abs() ** t(f64), np.abs(f64) ** f64, \
        ulps(np.abs(f64) ** f64, np.float64, 8) + 1e-300
    yield "pow int64", lambda t: t(i64) ** 3, i64**3, None
    yield "maximum int32", lambda t: torch.maximum(t(i32), t(i32[::-1].copy())), \
        np.maximum(i32, i32[::-1]), None
    yield "lt float32", lambda t: t(f32) < t(g32), f32 < g32, None
    yield "eq int64", lambda t: t(i64) == t(j64), i64 == j64, None
    yield "where", lambda t: torch.where(t(f32) > 0, t(f32), t(g32)), np.where(f32 > 0, f32, g32), \
        None
    sums = wide.astype(np.float64)
    yield "sum rows float32", lambda t: t(wide).sum(dim=1), sums.sum(1), \
        1000 * eps32 * np.abs(sums).sum(1)
    yield "sum columns float32", lambda t: t(wide).sum(dim=0), sums.sum(0), \
        19 * eps32 * np.abs(sums).sum(0)
    yield "sum all int32", lambda t: t(i32).sum(), np.int64(i32.sum()), None
    yield "sum empty", lambda t: t(f32[:0]).sum(dim=0), np.zeros(53), np.zeros(53)
    yield "amax float64", lambda t: t(f64).amax(dim=(0, 2)), f64.max(axis=(0, 2)), None
    yield "argmax float32", lambda t: t(wide).argmax(dim=1), wide.argmax(1), None
    b = rng.standard_normal((53, 29)).astype(np.float32)
    yield "matmul float32", lambda t: t(f32) @ t(b), x64 @ b, matmul_bound(f32, b, eps32)
    p, q = rng.standard_normal((3, 17, 33)), rng.standard_normal((3, 33, 9))
    yield "matmul batched float64", lambda t: t(p) @ t(q), p @ q, \
        matmul_bound(p, q, float(np.finfo(np.float64).eps))
    yield "matmul int64", lambda t: t(i64) @ t(j64.T.copy()), i64 @ j64.T, None
    yield "gather", lambda t: torch.gather(t(f32), 1, t(idx)), np.take_along_axis(f32, idx, 1), \
        None
    src = rng.integers(-9, 9, (37, 11))
    scattered = np.zeros((37, 53), np.int64)
    np.add.at(scattered, (np.arange(37)[:, None], idx), src)
    yield "scatter_add int64", lambda t: torch.zeros(
        (37, 53), dtype=torch.int64, device=t.device).scatter_add(1, t(idx), t(src)), \
        scattered, None
    yield "index rows", lambda t: t(f32)[t(rows)], f32[rows], None
    yield "index columns", lambda t: t(i64)[:, t(idx[0])], i64[:, idx[0]], None
    yield "index two dims", lambda t: t(f64)[t(np.array([2, 0])), :, t(np.array([6, 1]))], \
        f64[[2, 0], :, [6, 1]], None
    put = i64.copy()
    np.add.at(put, rows, i64[:9])
    yield "index_put accumulate", lambda t: t(i64).index_put_((t(rows),), t(i64[:9]),
                                                                accumulate=True), put, None
    order = np.argsort(i32, axis=1, kind="stable")
    yield "argsort stable", lambda t: torch.argsort(t(i32), dim=1, stable=True), order, None
    yield "argsort descending", lambda t: torch.argsort(t(i32), dim=1, descending=True,
                                                         stable=True), \
        np.argsort(-i32, axis=1, kind="stable"), None


def check(device: str = "cuda", rng: np.random.Generator | None = None, log=print) -> int:
    """Every case on `device`; returns the number passed (see the module docstring)."""
    import ch2_lego as torch
    from ch2_lego import backend
    from ch2_lego.errors import IntegerDivisionError, OutOfRangeError
    if device == "cuda":
        import ch3_brrr.device_cuda  # noqa: F401 -- registers the device
    rng = rng or np.random.default_rng(0)

    def t(a):
        return torch.tensor(np.asarray(a), device=device)
    t.device = device
    passed = 0
    with Poisoned(backend.DEVICES[device]) as watch:
        for name, compute, ref, bound in cases(torch, rng):
            out = compute(t).to("cpu").numpy()
            if bound is None:
                exact(f"{name} on {device}", out, ref)
            else:
                validate(f"{name} on {device}", out, ref, bound)
            passed += 1
        for name, compute, error in (
                ("integer division by zero", lambda: t([3, 4]) // t([1, 0]), IntegerDivisionError),
                ("index out of range", lambda: t([1.0, 2.0])[t([0, 2])], OutOfRangeError)):
            try:
                compute().to("cpu")
            except error:
                passed += 1
            else:
                raise ValidationError(f"{name} on {device}: no {error.__name__}")
        missing = set(backend.CORE) - watch.ran if device != "cpu" else set()
    if missing:
        raise ValidationError(f"core primitives no case ran on {device}: "
                              f"{sorted(op.name for op in missing)}")
    log(f"ch2 primitives on {device}: {passed} checks passed")
    return passed
