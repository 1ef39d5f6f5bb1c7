"""Dtypes and promotion (book 2.4): construction infers torch's dtypes, every pair of dtypes (as
tensors, 0-dim tensors and python scalars) promotes as torch.result_type says, and conversions
round and convert as torch does."""

import importlib
import itertools
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_6

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
SAMPLE = {"bool": [True, False], "int32": [3, -2], "int64": [5, 7], "float32": [1.5, -2.0]}
SAMPLE["float64"] = [0.25, 4.0]


def name(dtype):
    return str(dtype).split(".")[-1]


def operand(m, kind, dtype):
    """A tensor of 1 dim, a 0-dim tensor, or (kind 'scalar') a python scalar of that dtype."""
    values = SAMPLE[dtype]
    if kind == "tensor":
        return m.tensor(values, dtype=getattr(m, dtype))
    if kind == "zero_dim":
        return m.tensor(values[0], dtype=getattr(m, dtype))
    return {"bool": True, "int32": 2, "int64": 2, "float32": 2.5, "float64": 2.5}[dtype]


# *** 1. the promotion table ***

KINDS = [("tensor", "tensor"), ("tensor", "zero_dim"), ("zero_dim", "tensor")]
KINDS += [("zero_dim", "zero_dim"), ("tensor", "scalar"), ("scalar", "tensor")]
KINDS += [("zero_dim", "scalar")]
CASES = [
    (ka, kb, da, db)
    for (ka, kb), da, db in itertools.product(KINDS, DTYPES, DTYPES)
    if not (ka == "scalar" and da in ("int32", "float32"))
    if not (kb == "scalar" and db in ("int32", "float32"))  # python has one int, one float
]


@pytest.mark.parametrize("kind_a, kind_b, dtype_a, dtype_b", CASES)
def test_promotion_table(kind_a, kind_b, dtype_a, dtype_b):
    expected = torch.result_type(operand(torch, kind_a, dtype_a), operand(torch, kind_b, dtype_b))
    a, b = operand(lego, kind_a, dtype_a), operand(lego, kind_b, dtype_b)
    assert name(lego.result_type(a, b)) == name(expected)
    if "bool" not in (dtype_a, dtype_b) or dtype_a == dtype_b:
        assert name((a * b).dtype) == name(expected)
        assert name((a + b).dtype) == name(expected)


@pytest.mark.parametrize("dtype_a, dtype_b", list(itertools.product(DTYPES, DTYPES)))
def test_promote_types(dtype_a, dtype_b):
    expected = torch.promote_types(getattr(torch, dtype_a), getattr(torch, dtype_b))
    assert name(lego.promote_types(getattr(lego, dtype_a), getattr(lego, dtype_b))) == name(
        expected
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_true_division_is_floating(dtype):
    ours = operand(lego, "tensor", dtype) / lego.tensor([2, 4])
    ref = operand(torch, "tensor", dtype) / torch.tensor([2, 4])
    assert name(ours.dtype) == name(ref.dtype)
    np.testing.assert_allclose(ours.numpy(), ref.numpy())


def test_promoted_values_are_computed_in_the_wider_type():
    big = 2**40 + 1  # not representable in float32
    ours = lego.tensor([big]) + lego.tensor([1], dtype=lego.int32)
    assert ours.dtype == lego.int64 and ours.item() == big + 1
    x = lego.tensor([1.0], dtype=lego.float32) + lego.tensor([1e-10], dtype=lego.float64)
    assert x.dtype == lego.float64 and x.item() == 1.0 + 1e-10


# *** 2. construction infers dtypes ***

CONSTRUCT = [
    ([1, 2, 3], "int64"),
    ([1.0, 2], "float32"),
    ([[True], [False]], "bool"),
    (3, "int64"),
    (2.5, "float32"),
    (True, "bool"),
    ([[1, 2], [3, 4.5]], "float32"),
    (np.array([1.0, 2.0]), "float64"),
    (np.array([1, 2], dtype=np.int32), "int32"),
    (np.array([1, 2], dtype=np.int64), "int64"),
    (np.array([1.0], dtype=np.float32), "float32"),
    (np.array([True]), "bool"),
    (np.float64(2.0), "float64"),
    ([], "float32"),
]


@pytest.mark.parametrize("data, expected", CONSTRUCT, ids=str)
def test_tensor_infers_dtype(data, expected):
    ours, ref = lego.tensor(data), torch.tensor(data)
    assert name(ref.dtype) == expected
    assert name(ours.dtype) == expected
    assert tuple(ours.shape) == tuple(ref.shape)
    assert ours.tolist() == ref.tolist()


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_with_explicit_dtype(dtype):
    ours = lego.tensor([[1, 0], [2, 3]], dtype=getattr(lego, dtype))
    ref = torch.tensor([[1, 0], [2, 3]], dtype=getattr(torch, dtype))
    assert name(ours.dtype) == dtype
    assert ours.numpy().dtype == ref.numpy().dtype
    assert ours.tolist() == ref.tolist()


def test_ragged_lists_raise():
    with pytest.raises(ERRORS):
        lego.tensor([[1, 2], [3]])


def test_default_dtype_and_floating_point():
    assert lego.get_default_dtype() == lego.float32
    assert lego.tensor([1.0]).is_floating_point()
    assert not lego.tensor([1]).is_floating_point()
    assert lego.float64.is_floating_point and not lego.int64.is_floating_point
    assert lego.float32.itemsize == 4 and lego.int64.itemsize == 8 and lego.bool.itemsize == 1


# *** 3. conversions ***

CONVERT = {
    "to_float32": lambda m, x: x.to(m.float32),
    "to_int64": lambda m, x: x.to(m.int64),
    "to_int32": lambda m, x: x.to(dtype=m.int32),
    "to_bool": lambda m, x: x.to(m.bool),
    "float": lambda m, x: x.float(),
    "double": lambda m, x: x.double(),
    "long": lambda m, x: x.long(),
    "int": lambda m, x: x.int(),
    "bool": lambda m, x: x.bool(),
    "to_other": lambda m, x: x.to(m.zeros(1, dtype=m.int32)),
    "type_as": lambda m, x: x.type_as(m.zeros(1, dtype=m.float32)),
}


@pytest.mark.parametrize("conv", list(CONVERT))
@pytest.mark.parametrize("src", DTYPES)
def test_conversions(src, conv):
    data = {"bool": [True, False, True], "int32": [-3, 0, 7], "int64": [-3, 0, 2**31 + 5]}
    data |= {"float32": [-1.7, 0.0, 2.5], "float64": [-1.7, 0.4, 1e9]}
    x = lego.tensor(data[src], dtype=getattr(lego, src))
    xt = torch.tensor(data[src], dtype=getattr(torch, src))
    ours, ref = CONVERT[conv](lego, x), CONVERT[conv](torch, xt)
    assert name(ours.dtype) == name(ref.dtype)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_to_same_dtype_returns_self_and_to_other_copies():
    x = lego.tensor([1.0, 2.0])
    assert x.to(lego.float32) is x
    assert x.to("cpu") is x
    y = x.to(lego.float64)
    y[0] = 5.0
    assert x[0].item() == 1.0


def test_conversion_is_differentiable():
    x = lego.tensor([1.0, 2.0], dtype=lego.float32, requires_grad=True)
    y = x.double() * lego.tensor([3.0, 4.0], dtype=lego.float64)
    y.sum().backward()
    assert x.grad.dtype == lego.float32 and x.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    "data, dtype, expected_type",
    [(2.5, "float64", float), (7, "int64", int), (True, "bool", bool), (-3, "int32", int)],
)
def test_item_returns_python_scalars(data, dtype, expected_type):
    ours = lego.tensor(data, dtype=getattr(lego, dtype))
    value = ours.item()
    assert type(value) is expected_type and value == torch.tensor(data).item()
    assert type(lego.tensor([[data]], dtype=getattr(lego, dtype)).item()) is expected_type
    assert type(ours.tolist()) is expected_type
    assert float(ours) == float(data) and int(ours) == int(data) and bool(ours) == bool(data)


def test_item_of_many_elements_raises():
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        lego.tensor([1.0, 2.0]).item()


def test_bool_of_many_elements_raises():
    with pytest.raises(ERRORS, match="ambiguous"):
        bool(lego.tensor([1.0, 2.0]))


def test_tolist_and_numpy_of_views():
    a = np.arange(12).reshape(3, 4)
    x, xt = lego.tensor(a).t()[::2], torch.tensor(a).t()[::2]
    assert x.tolist() == xt.tolist()
    assert x.numpy().dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_numpy_of_a_tensor_that_requires_grad_raises():
    x = lego.tensor([1.0], requires_grad=True)
    with pytest.raises(ERRORS, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_bad_dtype_raises():
    with pytest.raises(ERRORS):
        lego.tensor([1.0], dtype="float64")
    with pytest.raises(ERRORS):
        lego.zeros(3).to(np.complex64)
