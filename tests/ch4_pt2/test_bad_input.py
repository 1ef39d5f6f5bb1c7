"""A reader's mistakes in graph mode get eager ch2's (and PyTorch's) named errors, raised where
the mistake is made, never a traceback from deep inside the compiler (book 4.5)."""

import pytest
import torch

import ch2_lego as lego
import ch4_pt2
from ch2_lego.errors import DTypeError, ShapeError

pytestmark = pytest.mark.sec_4_5


def test_shapes_that_do_not_broadcast_are_torchs_error():
    with pytest.raises(RuntimeError, match="must match the size of tensor b") as want:
        torch.ones(2, 3) + torch.ones(4)
    with pytest.raises(ShapeError, match="The size of tensor a \\(3\\) must match the size of "
                                         "tensor b \\(4\\) at non-singleton dimension 1"):
        lego.ones(2, 3, device="lazy") + lego.ones(4, device="lazy")
    assert "non-singleton dimension 1" in str(want.value)


@pytest.mark.parametrize("returned", [{"loss": 1}, 2.5, (1, 2)])
def test_compile_says_what_fn_must_return(returned):
    f = ch4_pt2.compile(lambda x: returned)
    with pytest.raises(TypeError, match="fn must return a Tensor, a tuple or list of Tensors, "
                                        f"or None; it returned {type(returned).__name__}"):
        f(lego.ones(2))


def test_compile_of_something_not_callable():
    with pytest.raises(TypeError, match="compile\\(\\) expects a function, got int"):
        ch4_pt2.compile(5)


@pytest.mark.parametrize("make", [
    lambda: lego.tensor([1.0, 2.0], dtype=lego.float16, device="lazy"),
    lambda: lego.ones(2, device="lazy").half(),
    lambda: lego.ones(2).half().to("lazy"),
])
def test_half_precision_in_graph_mode_is_a_dtype_error_where_it_is_made(make):
    """The C backend has no half type: ch2's DTypeError for a device's dtype, raised at the op
    that makes the tensor (it was a KeyError from the renderer at the next realize)."""
    with pytest.raises(DTypeError, match="^dtype 'Half' is not supported on device 'lazy' "
                                         r"\(it stores bool, float32, float64, int32, int64\)$"):
        make()
