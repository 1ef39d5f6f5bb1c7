"""The package's entry points given what a reader might pass by mistake: an eager tensor, a
numpy array, a tensor where a graph node is expected. Each raises a named error saying which
argument and what to do (torch's TypeError for a wrong type)."""

import numpy as np
import pytest

import ch2_lego as lego
import ch4_pt2
from ch2_lego.errors import DeviceError

pytestmark = pytest.mark.sec_4_5

EPS32 = float(np.finfo(np.float32).eps)


@pytest.mark.parametrize("entry", [ch4_pt2.realize, ch4_pt2.explain_tensors])
def test_an_eager_tensor_is_refused_with_the_device_named(entry):
    lazy = lego.tensor([1.0, 2.0], device="lazy")
    with pytest.raises(DeviceError, match=r"argument 1 is on device cpu, not on 'lazy'"):
        entry(lazy, lego.tensor([1.0]))


@pytest.mark.parametrize("entry", [ch4_pt2.realize, ch4_pt2.explain_tensors])
def test_a_numpy_array_is_refused_as_not_a_tensor(entry):
    with pytest.raises(TypeError, match=r"argument 0 must be a Tensor, not ndarray"):
        entry(np.ones(3))


def test_explain_wants_graph_nodes_and_points_to_explain_tensors():
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a UOp, not Tensor.*explain_tensors"):
        ch4_pt2.explain([lego.tensor([1.0], device="lazy")])


def test_the_entry_points_work_on_lazy_tensors():
    x = lego.tensor(np.arange(4.0), device="lazy")
    y = (x * 2).exp()
    assert ch4_pt2.realize(y) is y
    np.testing.assert_allclose(y.numpy(), np.exp(2 * np.arange(4.0)), rtol=4 * 2**-52)
    assert "EXP" in ch4_pt2.explain_tensors(x + 1, y)


def test_debug_env_var_prints_the_graph_the_kernels_and_their_source():
    """DEBUG=1: a line per realize with its kernel count; DEBUG=3 adds the graph and kernels
    (with their reasons); DEBUG=4 each kernel's C source (plan.py's docstring)."""
    import os
    import subprocess
    import sys

    program = ("import numpy as np, ch2_lego as lego, ch4_pt2\n"
               "x = lego.tensor(np.ones((4, 8), np.float32), device='lazy')\n"
               "print('sum', (x.exp() * 2).sum(1).numpy()[0])\n")

    def output(level: int) -> str:
        env = dict(os.environ, DEBUG=str(level))
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                              text=True, timeout=300, check=True)
        return done.stdout

    one, three, four = output(1), output(3), output(4)
    assert "realize: 1 outputs, 1 kernels" in one and "graph:" not in one
    assert "graph:" in three and "REDUCE_AXIS" in three and "kernel 0" in three
    assert "void " not in three and "void " in four
    for text in (one, three, four):  # the value still comes: 8 terms of 2e, in float32
        (line,) = [t for t in text.splitlines() if t.startswith("sum ")]
        assert abs(float(line.split()[1]) - 16 * np.e) <= 16 * 16 * np.e * EPS32
