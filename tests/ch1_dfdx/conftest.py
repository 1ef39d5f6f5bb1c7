"""Shared helpers for the ch1_dfdx suite: random expression programs and the torch oracle.

A program is a list of steps over a growing list of registers, which start as the inputs:
each step applies one operation to earlier registers and appends the result, so registers are
reused (diamonds, a value used many times) and the last register is the output. The same
program runs on Values, Duals and float64 torch tensors, since all three share the operator and
method names used here.
"""

import math

import pytest
import torch
from hypothesis import strategies as st

# *** 1. the operations a program may use ***

# Each takes registers (a, b) and returns a new one; the guards keep every operation inside its
# domain (a denominator b*b + 1 is never zero, a log's argument is at least 1).
UNARY = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "exp": lambda a: a.exp(),
    "log": lambda a: (a * a + 1).log(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "sqrt": lambda a: (a * a + 1) ** 0.5,
    "rpow": lambda a: 2.0 ** (a.tanh()),
    "const": lambda a: 3.0 - a * 0.5,
    "rdiv": lambda a: 1.0 / (a * a + 1),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
}


def run_program(program, inputs):
    """The output register of `program` run on `inputs` (Values, Duals or tensors)."""
    regs = list(inputs)
    for op, i, j in program:
        regs.append(BINARY[op](regs[i], regs[j]) if op in BINARY else UNARY[op](regs[i]))
    return regs[-1]


@st.composite
def programs(draw, n_inputs: int, max_steps: int = 12):
    """A random program over n_inputs inputs; operands favour recent registers."""
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        n = n_inputs + k
        op = draw(st.sampled_from(sorted(UNARY) + sorted(BINARY)))
        i = draw(st.integers(max(0, n - 4), n - 1) | st.integers(0, n - 1))
        j = draw(st.integers(0, n - 1))
        steps.append((op, i, j))
    return steps


def inputs(n: int):
    return st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=n, max_size=n)


@pytest.fixture(scope="session", name="run_program")
def run_program_fixture():
    return run_program


@pytest.fixture(scope="session")
def program_strategy():
    """programs(n_inputs) as a fixture, for tests that draw with st.data()."""
    return programs


@pytest.fixture(scope="session")
def input_strategy():
    return inputs


# *** 2. the torch oracle ***


def torch_leaves(xs):
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]


@pytest.fixture(scope="session")
def torch_value_and_grad():
    """(f(xs), grads) by torch in float64; f runs on tensors. Unused inputs get grad 0."""

    def value_and_grad(f, xs):
        leaves = torch_leaves(xs)
        out = f(*leaves)
        grads = torch.autograd.grad(out, leaves, allow_unused=True)
        return out.item(), [0.0 if g is None else g.item() for g in grads]

    return value_and_grad


@pytest.fixture(scope="session")
def close():
    """Relative tolerance 1e-9, with an absolute floor of 1e-12 for results near zero."""

    def close(a, b, rel=1e-9, abs_=1e-12):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)

    return close
