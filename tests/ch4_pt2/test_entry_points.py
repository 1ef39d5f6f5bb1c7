"""The package's entry points given what a reader might pass by mistake: an eager tensor, a
numpy array, a tensor where a graph node is expected. Each raises a named error saying which
argument and what to do (torch's TypeError for a wrong type)."""

import numpy as np
import pytest

import ch2_lego as lego
import ch4_pt2
from ch2_lego.errors import DeviceError

pytestmark = pytest.mark.sec_4_5


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
