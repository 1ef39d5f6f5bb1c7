"""Shared set-up for the ch4_pt2 suite: a compile cache of the session's own, and evaluators.

`evaluate(u, env)` computes a scalar kernel-IR expression with Python's own integer and boolean
operators (not our constant folder), so the rule tests have an independent reference.
`bounds` gives tolerances from error bounds (as the ch2 suite's), the same on every CPU and libm.
"""

import os
from types import SimpleNamespace

import numpy as np
import pytest

from ch4_pt2.ops import Ops

PY_OPS = {
    Ops.ADD: lambda a, b: a + b, Ops.SUB: lambda a, b: a - b, Ops.MUL: lambda a, b: a * b,
    Ops.IDIV: lambda a, b: a // b, Ops.MOD: lambda a, b: a % b, Ops.MAX: max, Ops.MIN: min,
    Ops.CMPLT: lambda a, b: a < b, Ops.CMPLE: lambda a, b: a <= b,
    Ops.CMPEQ: lambda a, b: a == b, Ops.CMPNE: lambda a, b: a != b,
    Ops.AND: lambda a, b: a and b, Ops.OR: lambda a, b: a or b, Ops.NEG: lambda a: -a,
    Ops.NOT: lambda a: not a, Ops.WHERE: lambda c, a, b: a if c else b,
}


def evaluate(u, env: dict):
    """Value of integer/bool expression u, with RANGE values taken from env (name -> int)."""
    if u.op is Ops.CONST:
        return u.arg
    if u.op is Ops.RANGE:
        return env[u.arg[0]]
    return PY_OPS[u.op](*(evaluate(s, env) for s in u.src))


@pytest.fixture
def evaluate_ir():
    """The `evaluate(u, env)` reference evaluator above."""
    return evaluate


@pytest.fixture(autouse=True, scope="session")
def _compile_cache(tmp_path_factory):
    """Kernels compiled by this session go to a temporary cache, never ~/.cache."""
    old = os.environ.get("SINGSYS_CACHE")
    os.environ["SINGSYS_CACHE"] = str(tmp_path_factory.mktemp("singsys-cache"))
    yield
    if old is None:
        os.environ.pop("SINGSYS_CACHE", None)
    else:
        os.environ["SINGSYS_CACHE"] = old


# *** tolerances from error bounds ***

EPS = {"float32": 2.0**-23, "float64": 2.0**-52}


def op_bound(ref, dtype: str, ops: int, scale=0.0) -> np.ndarray:
    """The error of `ops` roundings per element: ops * eps * max(|ref|, scale). `scale` is the
    magnitude the computation passes through (its inputs, a sum's terms): a result that cancels
    toward 0 keeps an error at that magnitude, not at its own."""
    ref = np.abs(np.asarray(ref, np.float64))
    return ops * EPS[dtype] * np.maximum(ref, scale)


def assert_within(ours, ref, bound) -> None:
    """|ours - ref| <= bound elementwise (shapes equal, values finite)."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != {ref.shape}"
    excess = float((np.abs(ours - ref) - bound).max())
    assert excess <= 0, f"exceeds the error bound by {excess:.3g}"


@pytest.fixture
def bounds():
    """`bounds.op(ref, "float64", ops, scale)` and `bounds.within(ours, ref, bound)`."""
    return SimpleNamespace(op=op_bound, within=assert_within)
