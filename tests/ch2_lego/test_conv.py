"""Convolution and pooling against torch.nn.functional, values and gradients (section 2.14).

Inputs and weights are float64; every stride/padding/dilation/groups combination of a small
grid is compared in the forward pass and in the gradients of input, weight and bias.
"""

import importlib
import itertools
import os

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
pytestmark = pytest.mark.sec_2_14


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def compare(fn_name, arrays, *args, rtol=1e-9, atol=1e-11, **kwargs):
    """Run F.<fn_name> on lego and torch copies of arrays; compare outputs and all grads."""
    results = []
    for lib in (lego, torch):
        inputs = [None if a is None else lib.tensor(a, requires_grad=True) for a in arrays]
        out = getattr(lib.nn.functional, fn_name)(*inputs, *args, **kwargs)
        upstream = np.sin(np.arange(out.numel()) * 0.37).reshape(tuple(out.shape))
        out.backward(lib.tensor(upstream))
        results.append([np_of(out)] + [np_of(t.grad) for t in inputs if t is not None])
    for ours, ref in zip(*results):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol)


CONV2D_GRID = list(itertools.product([1, 2, (2, 1)], [0, 1, (2, 0)], [1, 2], [1, 2]))


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV2D_GRID)
def test_conv2d(stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6)
    compare("conv2d", [x, w, b], stride=stride, padding=padding, dilation=dilation, groups=groups)


def test_conv2d_without_bias_and_same_padding():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    compare("conv2d", [x, w], padding=1)
    compare("conv2d", [x, w], padding="same")
    compare("conv2d", [x, w], padding="valid")


@pytest.mark.parametrize(
    "stride,padding,dilation,groups", list(itertools.product([1, 2], [0, 2], [1, 3], [1, 2]))
)
def test_conv1d(stride, padding, dilation, groups):
    rng = np.random.default_rng(2)
    x, w, b = (
        rng.standard_normal((2, 4, 13)),
        rng.standard_normal((6, 4 // groups, 3)),
        rng.standard_normal(6),
    )
    compare("conv1d", [x, w, b], stride=stride, padding=padding, dilation=dilation, groups=groups)


@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation,groups",
    [
        (1, 0, 0, 1, 1),
        (2, 0, 1, 1, 1),
        (2, 1, 0, 1, 2),
        (3, 1, 2, 1, 1),
        (1, 2, 0, 2, 1),
        (2, 2, 1, 2, 2),
        ((2, 1), (1, 0), (1, 0), 1, 1),
    ],
)
def test_conv_transpose2d(stride, padding, output_padding, dilation, groups):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 4, 5))
    w = rng.standard_normal((4, 6 // groups, 3, 2))
    b = rng.standard_normal(6)
    compare(
        "conv_transpose2d",
        [x, w, b],
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


@pytest.mark.parametrize(
    "kernel,stride,padding,dilation",
    [
        (2, None, 0, 1),
        (3, 2, 1, 1),
        (3, 1, 1, 1),
        ((3, 2), (2, 1), (1, 0), 1),
        (2, 1, 0, 2),
    ],
)
def test_max_pool2d(kernel, stride, padding, dilation):
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6))  # no ties: a unique argmax
    compare("max_pool2d", [x], kernel, stride, padding, dilation)


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((3, 2), 1, (1, 0))])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d(kernel, stride, padding, count_include_pad):
    x = np.random.default_rng(5).standard_normal((2, 3, 7, 6))
    compare("avg_pool2d", [x], kernel, stride, padding, count_include_pad=count_include_pad)


@pytest.mark.parametrize("fn_name,arrays,kwargs", [
    ("conv2d", [(4, 7, 6), (6, 2, 3, 2), (6,)], {"stride": 2, "padding": 1, "groups": 2}),
    ("conv1d", [(4, 9), (6, 4, 3), None], {"dilation": 2}),
    ("conv_transpose2d", [(4, 5, 5), (4, 3, 3, 3), (3,)], {"stride": 2, "padding": 1}),
    ("max_pool2d", [(3, 7, 6)], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool2d", [(3, 7, 6)], {"kernel_size": 2}),
], ids=["conv2d", "conv1d", "conv_transpose2d", "max_pool2d", "avg_pool2d"])
def test_unbatched_inputs(fn_name, arrays, kwargs):
    # PyTorch accepts (C,H,W) for (1,C,H,W) and returns an unbatched result.
    rng = np.random.default_rng(8)
    compare(fn_name, [None if s is None else rng.standard_normal(s) for s in arrays], **kwargs)


def test_unfold_im2col():
    x = np.random.default_rng(6).standard_normal((2, 3, 6, 5))
    compare("unfold", [x], (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))


@pytest.mark.parametrize(
    "build,shape",
    [
        (lambda lib: lib.nn.Conv2d(3, 8, 3, stride=2, padding=1), (2, 3, 9, 9)),
        (lambda lib: lib.nn.Conv2d(4, 4, (3, 1), groups=4, bias=False), (1, 4, 5, 5)),
        (lambda lib: lib.nn.Conv1d(3, 5, 4, dilation=2), (2, 3, 12)),
        (lambda lib: lib.nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (1, 3, 4, 4)),
        (lambda lib: lib.nn.MaxPool2d(2), (2, 3, 6, 6)),
        (lambda lib: lib.nn.AvgPool2d(3, stride=1, padding=1), (2, 3, 5, 5)),
    ],
)
def test_modules_with_copied_weights(build, shape):
    ours, ref = build(lego).double(), build(torch).double()
    ref.load_state_dict({k: torch.tensor(np_of(v)) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(7).standard_normal(shape)
    x_ours, x_ref = lego.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_ref = ours(x_ours), ref(x_ref)
    np.testing.assert_allclose(np_of(out_ours), np_of(out_ref), rtol=1e-9, atol=1e-12)
    out_ours.sum().backward()
    out_ref.sum().backward()
    np.testing.assert_allclose(np_of(x_ours.grad), np_of(x_ref.grad), rtol=1e-9, atol=1e-12)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(np_of(p.grad), np_of(q.grad), rtol=1e-9, atol=1e-12)


def test_conv_errors():
    F = lego.nn.functional
    x = lego.ones(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(lego.ones(1, 3, 5, 5), lego.ones(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        F.conv2d(lego.ones(1, 1, 2, 2), lego.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        lego.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(x, lego.ones(1, 1, 2, 2), stride=0)
    with pytest.raises(RuntimeError, match="dilation should be greater than zero"):
        F.conv2d(x, lego.ones(1, 1, 2, 2), dilation=0)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.max_pool2d(x, 2, 0)
    with pytest.raises(RuntimeError, match="Expected 3D .unbatched. or 4D .batched. input"):
        F.conv2d(lego.ones(4, 4), lego.ones(1, 1, 2, 2))
    with pytest.raises(RuntimeError):  # a 3-D weight for a 2-D convolution
        F.conv2d(x, lego.ones(1, 1, 2))


@pytest.mark.skipif(ORACLE != "ch2_lego", reason="our own extra: the strided window view")
def test_windows_are_a_view_of_the_input():
    from ch2_lego.nn.conv_ops import windows

    x = lego.arange(2 * 3 * 6 * 5, dtype=lego.float64).reshape(2, 3, 6, 5)
    cols = windows(x, (3, 2), stride=(2, 1), dilation=(1, 2))
    assert tuple(cols.shape) == (2, 3, 2, 3, 3, 2)
    assert cols.data_ptr() == x.data_ptr()  # no copy: the same storage
    # the strides are the input's, recombined: (s_b, s_c, 2*s_h, s_w, s_h, 2*s_w)
    assert cols.stride() == (90, 30, 10, 1, 5, 2)
    ref = torch.tensor(np_of(x)).unfold(2, 3, 2).unfold(3, 3, 1)[..., ::1, ::2]
    np.testing.assert_array_equal(np_of(cols), ref.numpy())
