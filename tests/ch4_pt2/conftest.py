"""Shared set-up for the ch4_pt2 suite: a compile cache of the session's own, and evaluators.

`evaluate(u, env)` computes a scalar kernel-IR expression with Python's own integer and boolean
operators (not our constant folder), so the rule tests have an independent reference.
"""

import os

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
