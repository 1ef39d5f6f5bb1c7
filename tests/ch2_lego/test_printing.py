"""Printing (book 2.6): repr/str and format specs exactly as torch prints the same tensors.

Each case builds one tensor with the same code in both libraries; torch's text, with its module
name `torch.` read as ours, is the expected output.
"""

import importlib
import os

import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_6
NAN, INF = float("nan"), float("inf")

CASES = {
    "fixed": lambda m: m.tensor([1.5, 2.25, -3.0]),
    "integral floats": lambda m: m.tensor([1.0, 2.0, -30.0]),
    "small needs sci": lambda m: m.tensor([1e-5, 1.0, 2.0]),
    "wide range sci": lambda m: m.tensor([1.0, 2000.0]),
    "huge integral sci": lambda m: m.tensor([1e9, 1.0]),
    "just under the sci range": lambda m: m.tensor([1.0, 999.0, 0.5]),
    "nonfinite padded": lambda m: m.tensor([1.5, NAN, INF, -INF]),
    "integral with inf": lambda m: m.tensor([1.0, INF, -2.0]),
    "zeros": lambda m: m.tensor([0.0, -0.0]),
    "only nan": lambda m: m.tensor([NAN]),
    "scalar": lambda m: m.tensor(3.25),
    "scalar int": lambda m: m.tensor(-7),
    "scalar bool": lambda m: m.tensor(True),
    "scalar sci": lambda m: m.tensor(1.5e-7),
    "int matrix": lambda m: m.tensor([[1, 2], [3, -400]]),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "bool": lambda m: m.tensor([True, False, True]),
    "float64": lambda m: m.tensor([1.5, 1 / 3], dtype=m.float64),
    "float16": lambda m: m.tensor([1 / 3, 2.0, 1000.0], dtype=m.float16),
    "bfloat16": lambda m: m.tensor([[1 / 3, 2.0], [-5.5, 7.0]], dtype=m.bfloat16),
    "empty": lambda m: m.zeros(0),
    "empty 2d": lambda m: m.zeros(0, 3),
    "empty int": lambda m: m.zeros(2, 0, dtype=m.int64),
    "empty bool": lambda m: m.zeros(0, dtype=m.bool),
    "empty float64": lambda m: m.zeros(0, dtype=m.float64),
    "wraps lines": lambda m: m.arange(40.0) / 3,
    "wraps ints": lambda m: m.arange(100) * 12345,
    "3d": lambda m: m.arange(24).reshape(2, 3, 4),
    "4d": lambda m: (m.arange(36.0) / 7).reshape(3, 1, 3, 4),
    "summarized vector": lambda m: m.arange(2000),
    "summarized float": lambda m: m.arange(1500.0) / 9,
    "summarized matrix": lambda m: (m.arange(2000.0) / 7).reshape(40, 50),
    "summarized 3d": lambda m: m.arange(5000).reshape(10, 10, 50),
    "summarized few rows": lambda m: m.arange(1200.0).reshape(2, 600),
    "summarized sci from edges": lambda m: m.cat([m.tensor([1e-6]), m.ones(2000)]),
    "requires grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "requires grad scalar": lambda m: m.tensor(2.0, requires_grad=True),
    "grad_fn add": lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    "grad_fn mul": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn sum": lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    "grad_fn exp": lambda m: m.tensor([[1.0], [2.0]], requires_grad=True).exp(),
    "suffix on a new line": lambda m: (m.arange(30.0) / 7).reshape(3, 10).double()
    .requires_grad_(),
    "dtype and grad": lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True),
    "negative widths": lambda m: m.tensor([[-1.25, 10.5], [3.0, -100.125]]),
}


@pytest.mark.parametrize("case", CASES)
def test_repr_and_str_match_torch(case):
    ours, ref = CASES[case](lego), CASES[case](torch)
    expected = repr(ref).replace("torch.", f"{lego.__name__}.")
    assert repr(ours) == expected
    assert str(ours) == str(ref).replace("torch.", f"{lego.__name__}.")


def test_print_options_change_precision_and_threshold_as_torch():
    try:
        for m in (lego, torch):
            m.set_printoptions(precision=2, threshold=5)
        ours, ref = repr(lego.arange(10.0) / 3), repr(torch.arange(10.0) / 3)
        assert ours == ref
        for m in (lego, torch):
            m.set_printoptions(sci_mode=True)
        assert repr(lego.tensor([1.5])) == repr(torch.tensor([1.5]))
    finally:
        for m in (lego, torch):
            m.set_printoptions(profile="default")
            m.set_printoptions(sci_mode=None)
    assert repr(lego.arange(10.0) / 3) == repr(torch.arange(10.0) / 3)


SPECS = [".4f", ".2e", ">12.3f", "", "g", "+.1f"]


@pytest.mark.parametrize("spec", SPECS)
def test_format_spec_on_a_0_dim_tensor_is_its_numbers(spec):
    for value in (0.123456, -2.5, 1e-7):
        ours, ref = lego.tensor(value), torch.tensor(value)
        assert format(ours, spec) == format(ref, spec)
        assert format(ours.requires_grad_(), spec) == format(ref.requires_grad_(), spec)
    assert format(lego.tensor(42), "5d") == format(torch.tensor(42), "5d")
    assert f"{lego.tensor(3.0) * 2:.4f}" == "6.0000"


def test_format_spec_on_other_tensors_is_torchs_type_error():
    for ours, ref in ((lego.ones(1), torch.ones(1)), (lego.ones(2, 2), torch.ones(2, 2))):
        with pytest.raises(TypeError) as theirs:
            format(ref, ".4f")
        with pytest.raises(TypeError) as mine:
            format(ours, ".4f")
        assert str(mine.value) == str(theirs.value)
        # an empty spec is str()
        assert format(ours, "") == str(ours)
